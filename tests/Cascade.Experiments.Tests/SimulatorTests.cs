namespace Cascade.Experiments.Tests;

public sealed class SimulatorTests
{
    private static SimulationResult Simulate(double lift, double srm = 0, int runs = 40, int users = 3000, int days = 7, int parallelism = 0) =>
        new ExperimentSimulator(new SimulationOptions { Runs = runs, Days = days, Users = users, Srm = srm, Seed = 3, Parallelism = parallelism },
            new ClickModelTraffic { Lift = lift }).Run();

    [Fact]
    public void The_same_seed_gives_the_same_figures_whatever_the_number_of_threads()
    {
        var one = Simulate(0, runs: 12, users: 1000, days: 4, parallelism: 1);
        var two = Simulate(0, runs: 12, users: 1000, days: 4, parallelism: 2);
        Assert.Equal(one with { Seconds = 0 }, two with { Seconds = 0 });
    }

    [Fact]
    public void An_a_a_simulation_reports_false_positive_rates_and_coverage()
    {
        var r = Simulate(0);
        Assert.NotNull(r.FalsePositiveRateSequential);
        Assert.NotNull(r.FalsePositiveRateNaiveDaily);
        Assert.Equal(r.PowerSequential, r.FalsePositiveRateSequential);
        Assert.True(r.FalsePositiveRateSequential <= r.FalsePositiveRateNaiveDaily);
        Assert.InRange(r.CoverageFixedHorizon!.Value, 0.8, 1);
        Assert.InRange(r.MeanExposedUsers, 2500, 3000);
        Assert.True(r.CupedVarianceReduction > 0.1, $"CUPED reduction {r.CupedVarianceReduction}");
    }

    [Fact]
    public void A_large_true_lift_is_detected_and_false_positive_rates_are_not_applicable()
    {
        var r = Simulate(0.3);
        Assert.Null(r.FalsePositiveRateSequential);
        Assert.Null(r.FalsePositiveRateNaiveDaily);
        Assert.True(r.PowerFixedHorizon >= 0.9, $"power {r.PowerFixedHorizon}");
        Assert.True(r.PowerSequential >= 0.7, $"sequential power {r.PowerSequential}");
        Assert.InRange(r.MeanRelativeLiftEstimate, 0.2, 0.4);
        Assert.InRange(r.TheoreticalPowerFixedHorizon!.Value, 0.9, 1);
    }

    [Fact]
    public void An_injected_sample_ratio_mismatch_is_flagged()
    {
        Assert.Equal(1.0, Simulate(0, srm: 0.05, runs: 20).SrmDetectionRate);
    }

    [Fact]
    public void The_summary_line_names_every_figure()
    {
        string line = Simulate(0.3, runs: 4, users: 500, days: 3).SummaryLine();
        Assert.Matches(@"^experiments: runs=4 fpr_sequential=n/a fpr_naive=n/a coverage=[0-9.]+ power=[0-9.]+ cuped_reduction=-?[0-9.]+ srm=[0-9.]+$", line);
    }

    [Fact]
    public void Out_of_range_settings_are_refused_with_their_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new SimulationOptions { Srm = 0.6 }.Validate());
        Assert.Equal("Srm", e.ParamName);
    }
}
