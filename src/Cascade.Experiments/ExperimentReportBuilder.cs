namespace Cascade.Experiments;

/// <summary>
/// Builds an <see cref="ExperimentReport"/> from per-unit sufficient statistics: arm 0 is control, every other arm is
/// compared with it. Decisions use the always-valid sequential p-values (safe however often the report is read);
/// fixed-horizon and CUPED comparisons are reported beside them. An SRM alarm blocks every verdict.
/// </summary>
public static class ExperimentReportBuilder
{
    /// <summary>The metrics a report can compute: ratios (Σ over units / Σ over units) and per-unit means.</summary>
    public static IReadOnlyList<string> KnownMetrics { get; } =
        ["ctr", "conversion_rate", "clicks_per_user", "conversions_per_user", "value_per_user", "impressions_per_user"];

    /// <summary>Builds the report.</summary>
    /// <param name="experiment">The experiment's name.</param>
    /// <param name="arms">The arms, control first; two or more.</param>
    /// <param name="options">The settings, or null for the defaults.</param>
    /// <param name="previousLooks">The previous report's sequential results keyed "arm/metric", to carry the running p-values and confidence sequences; null at the first look.</param>
    public static ExperimentReport Build(string experiment, IReadOnlyList<ArmData> arms, ReportOptions? options = null, IReadOnlyDictionary<string, SequentialResult>? previousLooks = null)
    {
        ArgumentNullException.ThrowIfNull(arms);
        options ??= new ReportOptions();
        if (arms.Count < 2)
        {
            throw new ArgumentException($"A report needs a control and at least one treatment arm; got {arms.Count} arm(s).", nameof(arms));
        }
        foreach (var spec in options.Metrics)
        {
            if (!KnownMetrics.Contains(spec.Name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"Metric '{spec.Name}' is not known; known: {string.Join(", ", KnownMetrics)}.", nameof(options));
            }
        }
        var exposures = arms.Select(a => new ArmExposure(a.Name, a.Units, a.Impressions.Sum(), a.Clicks.Sum(), a.Conversions.Sum(), a.Value.Sum())).ToArray();
        var srm = SampleRatioMismatch.Check([.. arms.Select(a => (long)a.Units)], [.. arms.Select(a => a.Share)], options.SrmThreshold);
        var results = new List<MetricResult>();
        for (int t = 1; t < arms.Count; t++)
        {
            foreach (var spec in options.Metrics)
            {
                string key = $"{arms[t].Name}/{spec.Name}";
                results.Add(Measure(spec, arms[0], arms[t], options, previousLooks?.GetValueOrDefault(key)));
            }
        }
        var family = results.Select((r, i) => (r, i)).Where(x => x.r.Role != MetricRole.Guardrail).ToArray();
        CorrectionResult? correction = null;
        if (family.Length > 0)
        {
            double[] p = [.. family.Select(x => DecisionPValue(x.r))];
            correction = options.Correction == Methods.BenjaminiHochberg
                ? MultipleTesting.BenjaminiHochberg(p, options.Alpha)
                : MultipleTesting.Holm(p, options.Alpha);
            for (int k = 0; k < family.Length; k++)
            {
                results[family[k].i] = results[family[k].i] with { AdjustedPValue = correction.Adjusted[k] };
            }
        }
        var verdicts = new List<Verdict>();
        for (int t = 1; t < arms.Count; t++)
        {
            string arm = arms[t].Name;
            var ofArm = results.Where(r => r.Arm == arm).ToArray();
            verdicts.Add(VerdictBuilder.Build(arm, srm, ofArm.FirstOrDefault(r => r.Role == MetricRole.Primary), [.. ofArm.Where(r => r.Role == MetricRole.Guardrail)], options.Alpha));
        }
        return new ExperimentReport(experiment, exposures, srm, results, correction, verdicts);
    }

    /// <summary>The p-value decisions are made on: the sequential one when there is one, else the fixed-horizon one.</summary>
    /// <param name="result">A metric result.</param>
    public static double DecisionPValue(MetricResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Sequential?.PValue ?? result.FixedHorizon.PValue;
    }

    private static MetricResult Measure(MetricSpec spec, ArmData control, ArmData treatment, ReportOptions options, SequentialResult? previous)
    {
        double confidence = 1 - options.Alpha;
        (double[] num, double[]? den) Pick(ArmData a) => spec.Name switch
        {
            "ctr" => (a.Clicks, a.Impressions),
            "conversion_rate" => (a.Conversions, a.Impressions),
            "clicks_per_user" => (a.Clicks, null),
            "conversions_per_user" => (a.Conversions, null),
            "value_per_user" => (a.Value, null),
            _ => (a.Impressions, null),
        };
        var (cNum, cDen) = Pick(control);
        var (tNum, tDen) = Pick(treatment);
        ComparisonResult fixedHorizon;
        CupedArm? cupedControl = null, cupedTreatment = null;
        bool withCovariate = control.PreMetric.Length == control.Units && treatment.PreMetric.Length == treatment.Units && control.Units > 1;
        if (cDen is not null && tDen is not null)
        {
            fixedHorizon = RatioMetric.Compare(RatioSummary.FromUnits(cNum, cDen), RatioSummary.FromUnits(tNum, tDen), confidence);
            if (withCovariate)
            {
                cupedControl = CupedArm.ForRatio(cNum, cDen, control.PreMetric);
                cupedTreatment = CupedArm.ForRatio(tNum, tDen, treatment.PreMetric);
            }
        }
        else
        {
            fixedHorizon = FixedHorizon.WelchT(SampleSummary.FromValues(cNum), SampleSummary.FromValues(tNum), confidence);
            if (withCovariate)
            {
                cupedControl = CupedArm.ForMean(cNum, control.PreMetric);
                cupedTreatment = CupedArm.ForMean(tNum, treatment.PreMetric);
            }
        }
        var cuped = cupedControl is not null && cupedTreatment is not null ? Cuped.Compare(cupedControl, cupedTreatment, confidence) : null;
        double variance = fixedHorizon.StandardError * fixedHorizon.StandardError;
        SequentialResult? sequential = variance > 0 && fixedHorizon.ControlEstimate != 0
            ? MixtureSprt.Look(fixedHorizon.AbsoluteLift, variance, MixtureSprt.MixingVariance(Math.Abs(fixedHorizon.ControlEstimate), options.RelativeMixingSd), options.Alpha, previous)
            : previous;
        bool? hit = null;
        if (spec.Role == MetricRole.Guardrail)
        {
            double harm = spec.HigherIsBetter ? -fixedHorizon.RelativeLift : fixedHorizon.RelativeLift;
            double p = sequential?.PValue ?? fixedHorizon.PValue;
            hit = p <= options.Alpha && harm > spec.Tolerance;
        }
        return new MetricResult(spec.Name, spec.Role, treatment.Name, fixedHorizon, cuped, sequential, null, hit);
    }
}
