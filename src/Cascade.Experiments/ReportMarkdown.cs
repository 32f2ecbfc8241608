using System.Globalization;
using System.Text;

namespace Cascade.Experiments;

/// <summary>An <see cref="ExperimentReport"/> as Markdown: the verdicts, the SRM check, exposures per arm and one row per metric, each naming its method.</summary>
public static class ReportMarkdown
{
    /// <summary>Renders the report.</summary>
    /// <param name="report">The report.</param>
    public static string Render(ExperimentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.Append("# Experiment ").AppendLine(report.Experiment).AppendLine();
        foreach (var verdict in report.Verdicts)
        {
            md.Append("- **").Append(verdict.Kind).Append("**: ").AppendLine(verdict.Text);
        }
        md.AppendLine();
        var srm = report.Srm;
        md.AppendLine(Invariant($"SRM ({srm.Method}): χ² = {srm.ChiSquare:0.###}, p = {P(srm.PValue)}, threshold {srm.Threshold} — {(srm.Mismatch ? "**mismatch: the verdict is blocked**" : "no mismatch")}."))
            .AppendLine();
        md.AppendLine("| arm | units | impressions | clicks | conversions | value |").AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var a in report.Arms)
        {
            md.AppendLine(Invariant($"| {a.Arm} | {a.Units:N0} | {a.Impressions:N0} | {a.Clicks:N0} | {a.Conversions:N0} | {a.Value:0.##} |"));
        }
        md.AppendLine()
            .AppendLine("| metric | role | arm | method | control | treatment | relative lift [95 % CI] | p (fixed) | p (sequential) | p (corrected) | CUPED relative lift | guardrail |")
            .AppendLine("|---|---|---|---|---:|---:|---|---:|---:|---:|---|---|");
        foreach (var m in report.Metrics)
        {
            var f = m.FixedHorizon;
            string cuped = m.Cuped is { } c ? Invariant($"{Pct(c.Comparison.RelativeLift)} [{Pct(c.Comparison.RelativeInterval.Lower)}, {Pct(c.Comparison.RelativeInterval.Upper)}] (variance −{c.VarianceReduction:P0})") : "";
            md.AppendLine(Invariant($"| {m.Metric} | {m.Role.ToString().ToLowerInvariant()} | {m.Arm} | {f.Method} | {f.ControlEstimate:0.#####} | {f.TreatmentEstimate:0.#####} | {Pct(f.RelativeLift)} [{Pct(f.RelativeInterval.Lower)}, {Pct(f.RelativeInterval.Upper)}] | {P(f.PValue)} | {(m.Sequential is { } s ? P(s.PValue) : "")} | {(m.AdjustedPValue is { } adj ? P(adj) : "")} | {cuped} | {(m.GuardrailHit is { } hit ? (hit ? "hit" : "ok") : "")} |"));
        }
        if (report.Correction is { } correction)
        {
            md.AppendLine().AppendLine(Invariant($"Corrected over the primary and secondary metrics with {correction.Method} at level {correction.Level}."));
        }
        return md.ToString();
    }

    private static string Pct(double value) => double.IsFinite(value) ? value.ToString("+0.0#%;-0.0#%;0 %", CultureInfo.InvariantCulture) : "n/a";

    private static string P(double p) => double.IsFinite(p) ? (p < 0.0001 ? "< 0.0001" : p.ToString("0.0000", CultureInfo.InvariantCulture)) : "n/a";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
