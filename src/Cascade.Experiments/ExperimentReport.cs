namespace Cascade.Experiments;

/// <summary>
/// One arm's per-unit sufficient statistics, aligned by unit (each index one exposed user or session): the input a
/// report is built from. Arrays may be empty for a metric that is not tracked, except impressions and clicks.
/// </summary>
/// <param name="Name">The arm's name.</param>
/// <param name="Share">The arm's configured traffic share.</param>
/// <param name="Impressions">Per unit: impressions.</param>
/// <param name="Clicks">Per unit: clicks.</param>
/// <param name="Conversions">Per unit: conversions (or empty).</param>
/// <param name="Value">Per unit: value, e.g. revenue or watch time (or empty).</param>
/// <param name="PreMetric">Per unit: the pre-experiment value of the CUPED covariate, e.g. pre-period clicks (or empty for no CUPED).</param>
public sealed record ArmData(string Name, double Share, double[] Impressions, double[] Clicks, double[] Conversions, double[] Value, double[] PreMetric)
{
    /// <summary>The number of units.</summary>
    public int Units => Impressions.Length;
}

/// <summary>What a metric is for in the verdict.</summary>
public enum MetricRole
{
    /// <summary>The metric the decision is made on.</summary>
    Primary,

    /// <summary>Reported, corrected for multiplicity, not decisive.</summary>
    Secondary,

    /// <summary>Must not get significantly worse; a hit stops a launch.</summary>
    Guardrail,
}

/// <summary>A metric to report and its role.</summary>
/// <param name="Name">One of <see cref="ExperimentReportBuilder.KnownMetrics"/>.</param>
/// <param name="Role">Its role.</param>
/// <param name="HigherIsBetter">Whether an increase is good (a guardrail is hit by a significant move the other way).</param>
/// <param name="Tolerance">For a guardrail: the relative harm tolerated before a significant harm counts as a hit (0.01 = 1 %).</param>
public sealed record MetricSpec(string Name, MetricRole Role, bool HigherIsBetter = true, double Tolerance = 0);

/// <summary>The settings of a report.</summary>
public sealed record ReportOptions
{
    /// <summary>α of every test. Default 0.05.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>The mSPRT mixing standard deviation relative to the control level. Default <see cref="MixtureSprt.DefaultRelativeMixingSd"/>.</summary>
    public double RelativeMixingSd { get; init; } = MixtureSprt.DefaultRelativeMixingSd;

    /// <summary>The SRM alarm threshold. Default 0.001.</summary>
    public double SrmThreshold { get; init; } = SampleRatioMismatch.DefaultThreshold;

    /// <summary>The correction over the primary and secondary metrics: <see cref="Methods.Holm"/> or <see cref="Methods.BenjaminiHochberg"/>. Default Holm.</summary>
    public string Correction { get; init; } = Methods.Holm;

    /// <summary>The metrics. Default: CTR primary, clicks per user secondary, impressions per user guardrail.</summary>
    public IReadOnlyList<MetricSpec> Metrics { get; init; } =
    [
        new("ctr", MetricRole.Primary),
        new("clicks_per_user", MetricRole.Secondary),
        new("impressions_per_user", MetricRole.Guardrail),
    ];
}

/// <summary>One arm's exposure totals.</summary>
/// <param name="Arm">The arm's name.</param>
/// <param name="Units">Exposed units.</param>
/// <param name="Impressions">Σ impressions.</param>
/// <param name="Clicks">Σ clicks.</param>
/// <param name="Conversions">Σ conversions.</param>
/// <param name="Value">Σ value.</param>
public sealed record ArmExposure(string Arm, long Units, double Impressions, double Clicks, double Conversions, double Value);

/// <summary>One metric of one treatment arm against control.</summary>
/// <param name="Metric">The metric's name.</param>
/// <param name="Role">Its role.</param>
/// <param name="Arm">The treatment arm.</param>
/// <param name="FixedHorizon">The fixed-horizon comparison (<see cref="Methods.DeltaMethod"/> for ratios, <see cref="Methods.WelchT"/> for per-user means).</param>
/// <param name="Cuped">The CUPED comparison, when a pre-period covariate was given.</param>
/// <param name="Sequential">The always-valid look.</param>
/// <param name="AdjustedPValue">The multiplicity-corrected p-value of the sequential test (primary and secondary metrics); null for guardrails.</param>
/// <param name="GuardrailHit">For a guardrail: whether it was hit.</param>
public sealed record MetricResult(string Metric, MetricRole Role, string Arm, ComparisonResult FixedHorizon, CupedResult? Cuped, SequentialResult? Sequential, double? AdjustedPValue, bool? GuardrailHit);

/// <summary>The kind of a verdict.</summary>
public enum VerdictKind
{
    /// <summary>The SRM check alarmed: nothing may be concluded.</summary>
    Blocked,

    /// <summary>A guardrail was hit.</summary>
    GuardrailHit,

    /// <summary>The treatment is significantly better on the primary metric and no guardrail was hit.</summary>
    TreatmentWins,

    /// <summary>The treatment is significantly worse on the primary metric.</summary>
    TreatmentLoses,

    /// <summary>No significant difference yet.</summary>
    KeepRunning,
}

/// <summary>A plain-language verdict.</summary>
/// <param name="Kind">Its kind.</param>
/// <param name="Text">The sentence, e.g. "B wins on ctr by +3.1 % [+1.2 %, +5.0 %], no guardrail hit".</param>
public sealed record Verdict(VerdictKind Kind, string Text);

/// <summary>An experiment's report: exposures, SRM, metric results with intervals and sequential p-values, correction, verdict.</summary>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Arms">Exposures per arm (control first).</param>
/// <param name="Srm">The SRM check.</param>
/// <param name="Metrics">Every metric of every treatment arm.</param>
/// <param name="Correction">The multiplicity correction over primary and secondary metrics.</param>
/// <param name="Verdicts">One verdict per treatment arm.</param>
public sealed record ExperimentReport(string Experiment, IReadOnlyList<ArmExposure> Arms, SrmResult Srm, IReadOnlyList<MetricResult> Metrics, CorrectionResult? Correction, IReadOnlyList<Verdict> Verdicts);
