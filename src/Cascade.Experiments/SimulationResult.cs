using System.Globalization;
using System.Text.Json;

namespace Cascade.Experiments;

/// <summary>
/// What a simulation measured over its runs. Rates are shares of runs. The false-positive rates are null when the
/// true lift is not 0 (a rejection is then no false positive); with a lift of 0 the powers are the rejection rates
/// under the null, i.e. false-positive rates too. Coverage is null when the traffic source does not know its truth.
/// </summary>
/// <param name="Runs">Simulated experiments.</param>
/// <param name="Days">Days (daily looks) per experiment.</param>
/// <param name="Users">Users per experiment.</param>
/// <param name="Lift">The true relative CTR lift of B over A (null when the source does not know it).</param>
/// <param name="Srm">The injected sample-ratio mismatch S (see <see cref="SimulationOptions.Srm"/>).</param>
/// <param name="Seed">The seed.</param>
/// <param name="Seconds">Wall-clock seconds the simulation took.</param>
/// <param name="FalsePositiveRateSequential">A/A: share of runs where the mSPRT rejected at some daily look.</param>
/// <param name="FalsePositiveRateNaiveDaily">A/A: share of runs where a fixed-horizon z test at some daily look rejected.</param>
/// <param name="CoverageFixedHorizon">Share of runs whose final 95 % interval of the relative lift holds the true lift.</param>
/// <param name="CoverageFixedHorizonAbsolute">The same for the absolute lift (true control CTR × lift).</param>
/// <param name="CoverageSequential">Share of runs whose confidence sequence held the true absolute lift at every look.</param>
/// <param name="PowerSequential">Share of runs where the mSPRT rejected by the last day.</param>
/// <param name="PowerFixedHorizon">Share of runs where the fixed-horizon test at the last day rejected.</param>
/// <param name="PowerCuped">Share of runs where the CUPED-adjusted fixed-horizon test rejected.</param>
/// <param name="TheoreticalPowerFixedHorizon">Normal-approximation power of the fixed-horizon test at the true lift and the runs' mean standard error.</param>
/// <param name="MeanStoppingDaySequential">Mean day (1-based) at which the mSPRT rejected, over the runs where it did.</param>
/// <param name="CupedVarianceReduction">Mean over runs of 1 − Var(CUPED difference) / Var(difference).</param>
/// <param name="SrmDetectionRate">Share of runs whose final SRM check alarmed (p &lt; 0.001): detection with S &gt; 0, false alarms with S = 0.</param>
/// <param name="MeanRelativeLiftEstimate">Mean over runs of the final relative-lift estimate.</param>
/// <param name="MeanExposedUsers">Mean over runs of the users with at least one impression by the last day.</param>
public sealed record SimulationResult(
    int Runs,
    int Days,
    int Users,
    double? Lift,
    double Srm,
    ulong Seed,
    double Seconds,
    double? FalsePositiveRateSequential,
    double? FalsePositiveRateNaiveDaily,
    double? CoverageFixedHorizon,
    double? CoverageFixedHorizonAbsolute,
    double? CoverageSequential,
    double PowerSequential,
    double PowerFixedHorizon,
    double PowerCuped,
    double? TheoreticalPowerFixedHorizon,
    double? MeanStoppingDaySequential,
    double CupedVarianceReduction,
    double SrmDetectionRate,
    double MeanRelativeLiftEstimate,
    double MeanExposedUsers)
{
    /// <summary>The one summary line: <c>experiments: runs=… fpr_sequential=… fpr_naive=… coverage=… power=… cuped_reduction=… srm=…</c> (n/a for a null).</summary>
    public string SummaryLine() => string.Create(CultureInfo.InvariantCulture,
        $"experiments: runs={Runs} fpr_sequential={Format(FalsePositiveRateSequential)} fpr_naive={Format(FalsePositiveRateNaiveDaily)} coverage={Format(CoverageFixedHorizon)} power={Format(PowerFixedHorizon)} cuped_reduction={Format(CupedVarianceReduction)} srm={Format(SrmDetectionRate)}");

    /// <summary>Writes the result as one JSON object with snake_case keys (docs/experiments.md lists them).</summary>
    /// <param name="stream">Where to write.</param>
    public void WriteJson(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("runs", Runs);
        json.WriteNumber("days", Days);
        json.WriteNumber("users", Users);
        Number(json, "lift", Lift);
        json.WriteNumber("srm", Srm);
        json.WriteNumber("seed", Seed);
        json.WriteNumber("seconds", Math.Round(Seconds, 2));
        Number(json, "false_positive_rate_sequential", FalsePositiveRateSequential);
        Number(json, "false_positive_rate_naive_daily", FalsePositiveRateNaiveDaily);
        Number(json, "coverage_fixed_horizon", CoverageFixedHorizon);
        Number(json, "coverage_fixed_horizon_absolute", CoverageFixedHorizonAbsolute);
        Number(json, "coverage_sequential", CoverageSequential);
        json.WriteNumber("power_sequential", PowerSequential);
        json.WriteNumber("power_fixed_horizon", PowerFixedHorizon);
        json.WriteNumber("power_cuped", PowerCuped);
        Number(json, "theoretical_power_fixed_horizon", TheoreticalPowerFixedHorizon);
        Number(json, "mean_stopping_day_sequential", MeanStoppingDaySequential);
        json.WriteNumber("cuped_variance_reduction", CupedVarianceReduction);
        json.WriteNumber("srm_detection_rate", SrmDetectionRate);
        json.WriteNumber("mean_relative_lift_estimate", MeanRelativeLiftEstimate);
        json.WriteNumber("mean_exposed_users", MeanExposedUsers);
        json.WriteString("methods", $"{Methods.DeltaMethod} (fixed horizon and naive daily), {Methods.MixtureSprtNormal} (sequential), {Methods.Cuped}, {Methods.SrmChiSquare}");
        json.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a";
}
