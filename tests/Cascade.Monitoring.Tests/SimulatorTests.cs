namespace Cascade.Monitoring.Tests;

/// <summary>The simulator at small scale: two days of hourly windows, the shift injected after the first day.</summary>
public sealed class SimulatorTests
{
    private static DriftSimulationResult Simulate(ShiftKind shift, int runs = 3, int parallelism = 0, int days = 2, int events = 5000) =>
        new DriftSimulator(new DriftSimulationOptions { Days = days, Shift = shift, Runs = runs, EventsPerWindow = events, ReferenceWindows = 24, Seed = 5, Parallelism = parallelism }).Run();

    [Fact]
    public void The_same_seed_gives_the_same_figures_whatever_the_number_of_threads()
    {
        var one = Simulate(ShiftKind.Covariate, runs: 2, parallelism: 1, days: 1, events: 1000);
        var two = Simulate(ShiftKind.Covariate, runs: 2, parallelism: 2, days: 1, events: 1000);
        Assert.Equal(one.SummaryLine(), two.SummaryLine());
        Assert.Equal(one.FalseAlarmsPerSignal, two.FalseAlarmsPerSignal);
    }

    [Fact]
    public void With_no_shift_false_alarms_are_rare_and_no_detection_is_reported()
    {
        var r = Simulate(ShiftKind.None, runs: 2, events: 2000);
        Assert.Equal(2 * 48, r.UnshiftedWindows);
        Assert.True(r.MeanFalseAlarmsPer30Days <= 1, $"mean false alarms per signal per 30 days {r.MeanFalseAlarmsPer30Days}");
        Assert.Null(r.Detection);
        Assert.Contains("data:user_activity", r.FalseAlarmsPerSignal.Keys);
        Assert.Contains("served:coverage", r.FalseAlarmsPerSignal.Keys);
    }

    [Theory]
    [InlineData(ShiftKind.Covariate)]
    [InlineData(ShiftKind.Concept)]
    [InlineData(ShiftKind.Popularity)]
    public void Each_shift_is_detected_within_two_windows_at_5000_impressions_an_hour(ShiftKind shift)
    {
        var r = Simulate(shift);
        Assert.NotNull(r.Detection);
        Assert.Equal(3, r.Detection.Detected);
        Assert.Equal(1.0, r.Detection.WithinTwoWindows);
        Assert.Equal(24, r.InjectAt);
        Assert.Equal(3 * 24, r.UnshiftedWindows);
    }

    [Fact]
    public void A_shift_too_small_to_see_is_reported_as_missed()
    {
        var r = new DriftSimulator(new DriftSimulationOptions { Days = 1, Shift = ShiftKind.Covariate, CovariateShift = 1e-6, Runs = 1, EventsPerWindow = 500, ReferenceWindows = 4, InjectAt = 20 }).Run();
        Assert.Equal(0, r.Detection!.Detected);
        Assert.True(double.IsPositiveInfinity(r.Detection.MeanWindows));
        Assert.Matches(@"covariate_windows=inf ", r.SummaryLine());
    }

    [Fact]
    public void The_summary_line_names_every_figure()
    {
        string line = Simulate(ShiftKind.Concept, runs: 1, days: 1, events: 2000).SummaryLine();
        Assert.Matches(@"^drift: false_alarms_per_feature_30d=[0-9]+\.[0-9]{4} covariate_windows=n/a concept_windows=[0-9]+\.[0-9]{2} popularity_windows=n/a$", line);
    }

    [Fact]
    public void The_json_has_the_documented_keys_with_detection_keyed_by_kind()
    {
        var r = Simulate(ShiftKind.Popularity, runs: 1, days: 1, events: 2000);
        using var stream = new MemoryStream();
        r.WriteJson(stream);
        using var json = System.Text.Json.JsonDocument.Parse(stream.ToArray());
        var root = json.RootElement;
        Assert.True(root.GetProperty("false_alarms_per_feature_per_30_days").GetDouble() >= 0);
        var detection = root.GetProperty("detection_windows");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, detection.GetProperty("covariate").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, detection.GetProperty("concept").ValueKind);
        Assert.Equal(1, detection.GetProperty("popularity").GetProperty("detected").GetInt32());
    }
}
