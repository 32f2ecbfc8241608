namespace Cascade.Monitoring.Tests;

public sealed class SnapshotTests
{
    private static ReferenceSnapshot Build()
    {
        var options = new DriftSimulationOptions { EventsPerWindow = 1000 };
        var traffic = new SimulatedTraffic(options);
        var random = new SplitMixRandom(11);
        var builder = new ReferenceBuilder(options.Drift, traffic.Popularity(10_000, ref random), options.CatalogSize);
        for (int w = 0; w < 4; w++)
        {
            builder.Add(traffic.Window(w, ShiftKind.None, 0, ref random));
        }
        return builder.Build();
    }

    [Fact]
    public void A_snapshot_reads_back_what_it_wrote()
    {
        var snapshot = Build();
        string json = snapshot.ToJson();
        var back = ReferenceSnapshot.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(4, back.Numeric.Count);
        Assert.Equal(1001, back.Numeric[0].Quantiles.Count);
        Assert.Equal(snapshot.Concept!.Auc, back.Concept!.Auc);
        Assert.Contains("\"format_version\":1", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_read_back_judges_a_window_as_the_original_does()
    {
        var snapshot = Build();
        var back = ReferenceSnapshot.FromJson(snapshot.ToJson());
        var traffic = new SimulatedTraffic(new DriftSimulationOptions { EventsPerWindow = 1000 });
        var random = new SplitMixRandom(12);
        var window = traffic.Window(10, ShiftKind.Covariate, 1, ref random);
        var options = new DriftOptions();
        Assert.Equal(new DriftMonitor(snapshot, options).Evaluate(window).ToJson(), new DriftMonitor(back, options).Evaluate(window).ToJson());
    }

    [Fact]
    public void Another_format_version_or_broken_json_is_refused_with_what_to_do()
    {
        string json = Build().ToJson().Replace("\"format_version\":1", "\"format_version\":7", StringComparison.Ordinal);
        var e = Assert.Throws<InvalidDataException>(() => ReferenceSnapshot.FromJson(json));
        Assert.Contains("version 7", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => ReferenceSnapshot.FromJson("{\"numeric\": ["));
    }

    [Fact]
    public void Building_without_windows_is_refused()
    {
        var builder = new ReferenceBuilder(new DriftOptions(), new Dictionary<string, long>(), 10);
        Assert.Throws<InvalidOperationException>(builder.Build);
    }

    [Fact]
    public void Out_of_range_options_are_refused_with_their_name()
    {
        Assert.Equal("Alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new DriftOptions { Alpha = 0 }.Validate()).ParamName);
        Assert.Equal("PsiDrift", Assert.Throws<ArgumentOutOfRangeException>(() => new DriftOptions { PsiDrift = 0.05 }.Validate()).ParamName);
        Assert.Equal("Days", Assert.Throws<ArgumentOutOfRangeException>(() => new DriftSimulationOptions { Days = 0 }.Validate()).ParamName);
    }
}
