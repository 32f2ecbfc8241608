using System.Globalization;

namespace Cascade.Experiments;

/// <summary>
/// Plain-language verdicts, in order of precedence: an SRM alarm blocks ("stop: SRM …"); a hit guardrail stops a
/// launch; a significant primary metric (always-valid p ≤ α) names the winner or loser with the lift and its
/// interval; otherwise "keep running".
/// </summary>
public static class VerdictBuilder
{
    /// <summary>The verdict for one treatment arm.</summary>
    /// <param name="arm">The treatment arm's name.</param>
    /// <param name="srm">The SRM check.</param>
    /// <param name="primary">The primary metric's result for the arm, or null when none is configured.</param>
    /// <param name="guardrails">The arm's guardrail results.</param>
    /// <param name="alpha">The level.</param>
    public static Verdict Build(string arm, SrmResult srm, MetricResult? primary, IReadOnlyList<MetricResult> guardrails, double alpha)
    {
        ArgumentNullException.ThrowIfNull(srm);
        ArgumentNullException.ThrowIfNull(guardrails);
        var c = CultureInfo.InvariantCulture;
        if (srm.Mismatch)
        {
            string counts = string.Join(" / ", srm.Observed.Select(o => o.ToString("N0", c)));
            string expected = string.Join(" / ", srm.Expected.Select(e => e.ToString("N0", c)));
            return new Verdict(VerdictKind.Blocked, string.Create(c,
                $"stop: SRM (p = {srm.PValue:G3}): units {counts} where the shares expect {expected}; fix assignment or logging before reading any metric"));
        }
        var hits = guardrails.Where(g => g.GuardrailHit == true).ToArray();
        if (hits.Length > 0)
        {
            string list = string.Join(", ", hits.Select(h => $"{h.Metric} {Percent(h.FixedHorizon.RelativeLift)}"));
            return new Verdict(VerdictKind.GuardrailHit, $"stop: {arm} hits guardrail {list}");
        }
        if (primary is null)
        {
            return new Verdict(VerdictKind.KeepRunning, "keep running: no primary metric is configured");
        }
        var (lift, interval, method) = Headline(primary);
        double p = ExperimentReportBuilder.DecisionPValue(primary);
        string shown = string.Create(c, $"{Percent(lift)} [{Percent(interval.Lower)}, {Percent(interval.Upper)}] ({method}, p = {p:G3})");
        if (p <= alpha)
        {
            bool better = lift > 0;
            string guard = guardrails.Count == 0 ? "no guardrail configured" : "no guardrail hit";
            return better
                ? new Verdict(VerdictKind.TreatmentWins, $"{arm} wins on {primary.Metric} by {shown}, {guard}")
                : new Verdict(VerdictKind.TreatmentLoses, $"{arm} loses on {primary.Metric} by {shown}");
        }
        return new Verdict(VerdictKind.KeepRunning, $"keep running: no significant difference on {primary.Metric} yet, {shown}");
    }

    /// <summary>
    /// The relative lift and its interval: the confidence sequence divided by the control estimate when there is a
    /// sequential look (it matches the decision), else the fixed-horizon relative interval.
    /// </summary>
    private static (double Lift, Interval Interval, string Method) Headline(MetricResult result)
    {
        var f = result.FixedHorizon;
        if (result.Sequential is { } s && f.ControlEstimate != 0)
        {
            double scale = Math.Abs(f.ControlEstimate);
            return (f.RelativeLift, new Interval(s.ConfidenceSequence.Lower / scale, s.ConfidenceSequence.Upper / scale), s.Method);
        }
        return (f.RelativeLift, f.RelativeInterval, f.Method);
    }

    private static string Percent(double share) => (share * 100).ToString("+0.0 '%';-0.0 '%';0.0 '%'", CultureInfo.InvariantCulture);
}
