namespace Cascade.Experiments.Tests;

public sealed class ReportTests
{
    /// <summary>An arm of <paramref name="units"/> users with CTR about <paramref name="ctr"/>.</summary>
    private static ArmData Arm(string name, int units, double ctr, int seed)
    {
        var random = new Random(seed);
        var impressions = new double[units];
        var clicks = new double[units];
        var pre = new double[units];
        for (int i = 0; i < units; i++)
        {
            double propensity = ctr * (0.5 + random.NextDouble());
            impressions[i] = 10 + random.Next(40);
            for (int k = 0; k < impressions[i]; k++)
            {
                clicks[i] += random.NextDouble() < propensity ? 1 : 0;
            }
            pre[i] = Math.Round(propensity * 30) + random.Next(2);
        }
        return new ArmData(name, 0.5, impressions, clicks, [], [], pre);
    }

    [Fact]
    public void A_clear_winner_gets_a_plain_language_verdict_with_its_lift_and_interval()
    {
        var report = ExperimentReportBuilder.Build("ranker-v2", [Arm("A", 20_000, 0.05, 1), Arm("B", 20_000, 0.06, 2)]);
        var verdict = Assert.Single(report.Verdicts);
        Assert.Equal(VerdictKind.TreatmentWins, verdict.Kind);
        Assert.StartsWith("B wins on ctr by +", verdict.Text, StringComparison.Ordinal);
        Assert.Contains("no guardrail hit", verdict.Text, StringComparison.Ordinal);
        Assert.Contains(Methods.MixtureSprtNormal, verdict.Text, StringComparison.Ordinal);
        var ctr = report.Metrics.Single(m => m.Metric == "ctr");
        Assert.Equal(Methods.DeltaMethod, ctr.FixedHorizon.Method);
        Assert.Equal(Methods.Cuped, ctr.Cuped!.Method);
        Assert.True(ctr.Cuped.VarianceReduction > 0);
        Assert.Equal(Methods.WelchT, report.Metrics.Single(m => m.Metric == "clicks_per_user").FixedHorizon.Method);
        Assert.Equal(Methods.Holm, report.Correction!.Method);
        Assert.Equal(20_000, report.Arms[1].Units);
    }

    [Fact]
    public void An_a_a_test_says_keep_running()
    {
        var report = ExperimentReportBuilder.Build("aa", [Arm("A", 5000, 0.05, 3), Arm("B", 5000, 0.05, 4)]);
        Assert.Equal(VerdictKind.KeepRunning, report.Verdicts[0].Kind);
        Assert.StartsWith("keep running", report.Verdicts[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sample_ratio_mismatch_blocks_the_verdict_whatever_the_metrics_say()
    {
        var report = ExperimentReportBuilder.Build("srm", [Arm("A", 20_000, 0.05, 5), Arm("B", 21_000, 0.06, 6)]);
        Assert.True(report.Srm.Mismatch);
        Assert.Equal(VerdictKind.Blocked, report.Verdicts[0].Kind);
        Assert.StartsWith("stop: SRM (p = ", report.Verdicts[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_significant_harm_on_a_guardrail_stops_the_launch()
    {
        var control = Arm("A", 20_000, 0.05, 7);
        var treatment = Arm("B", 20_000, 0.05, 8);
        treatment = treatment with { Impressions = [.. treatment.Impressions.Select(i => Math.Max(1, i - 3))] };
        var report = ExperimentReportBuilder.Build("guard", [control, treatment]);
        Assert.Equal(VerdictKind.GuardrailHit, report.Verdicts[0].Kind);
        Assert.Contains("impressions_per_user", report.Verdicts[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Sequential_results_carry_over_from_the_previous_report()
    {
        var arms = new[] { Arm("A", 3000, 0.05, 9), Arm("B", 3000, 0.05, 10) };
        var first = ExperimentReportBuilder.Build("x", arms);
        var previous = first.Metrics.ToDictionary(m => $"{m.Arm}/{m.Metric}", m => m.Sequential!);
        var second = ExperimentReportBuilder.Build("x", arms, previousLooks: previous);
        Assert.All(second.Metrics, m => Assert.Equal(2, m.Sequential!.Looks));
    }
}
