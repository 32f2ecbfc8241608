namespace Cascade.Monitoring.Tests;

/// <summary>The monitor on simulated traffic with and without shifts, and on hand-made windows.</summary>
public sealed class DetectorTests
{
    private static readonly DriftSimulationOptions Traffic = new() { EventsPerWindow = 5000 };

    private static (ReferenceSnapshot Reference, SimulatedTraffic Traffic) Reference(DriftSimulationOptions options, ulong seed = 3)
    {
        var traffic = new SimulatedTraffic(options);
        var random = new SplitMixRandom(seed);
        var builder = new ReferenceBuilder(options.Drift, traffic.Popularity(50_000, ref random), options.CatalogSize);
        for (int w = 0; w < 24; w++)
        {
            builder.Add(traffic.Window(w - 24, ShiftKind.None, 0, ref random));
        }
        return (builder.Build(), traffic);
    }

    private static List<DriftReport> Evaluate(DriftSimulationOptions options, ShiftKind shift, int windows, ulong seed = 3)
    {
        var (reference, traffic) = Reference(options, seed);
        var monitor = new DriftMonitor(reference, options.Drift);
        var random = new SplitMixRandom(seed + 100);
        return [.. Enumerable.Range(0, windows).Select(w => monitor.Evaluate(traffic.Window(w, shift, 0, ref random)))];
    }

    private static DriftSignal Signal(DriftReport report, string signal, string statistic) =>
        report.Signals.Single(s => s.Signal == signal && s.Statistic == statistic);

    [Fact]
    public void Windows_like_the_reference_raise_no_drift()
    {
        var reports = Evaluate(Traffic, ShiftKind.None, 12);
        var drifting = reports.SelectMany(r => r.Drifting).Select(s => $"{s.Signal}/{s.Statistic}={s.Value}").ToList();
        Assert.True(drifting.Count == 0, string.Join(", ", drifting));
        Assert.All(reports, r => Assert.Contains(r.Status, new[] { DriftStatus.Ok, DriftStatus.Warning }));
    }

    [Fact]
    public void Every_kind_of_signal_is_reported()
    {
        var report = Evaluate(Traffic, ShiftKind.None, 1)[0];
        string[] kinds = [.. report.Signals.Select(s => s.Kind).Distinct().Order()];
        Assert.Equal(new[] { "concept", "data", "events", "prediction", "served" }, kinds);
        Assert.Equal(["ks", "missing-rate-diff", "psi"], report.Signals.Where(s => s.Signal == "price").Select(s => s.Statistic).Order().ToArray());
        Assert.Contains(report.Signals, s => s.Signal == "device" && s.Statistic == "unknown-rate");
        Assert.Contains(report.Signals, s => s.Signal == "category" && s.Statistic == "chi2");
    }

    [Fact]
    public void A_covariate_shift_drifts_the_moved_feature_and_not_the_others()
    {
        var report = Evaluate(Traffic with { CovariateShift = 0.3 }, ShiftKind.Covariate, 1)[0];
        Assert.Equal(DriftStatus.Drift, Signal(report, "user_activity", "ks").Status);
        Assert.Equal(DriftStatus.Drift, Signal(report, "score", "ks").Status);
        Assert.All(report.Signals.Where(s => s.Kind == SignalKinds.Data && s.Signal != "user_activity"), s => Assert.NotEqual(DriftStatus.Drift, s.Status));
    }

    [Fact]
    public void A_concept_shift_drifts_auc_and_calibration_while_the_inputs_stay()
    {
        var report = Evaluate(Traffic, ShiftKind.Concept, 1)[0];
        var auc = Signal(report, "auc", "auc-diff");
        Assert.Equal(DriftStatus.Drift, auc.Status);
        Assert.True(auc.Observed < auc.Reference - 0.04, $"AUC {auc.Observed} against {auc.Reference}");
        Assert.Equal(DriftStatus.Drift, Signal(report, "ece", "calibration-chi2").Status);
        Assert.All(report.Signals.Where(s => s.Kind is SignalKinds.Data or SignalKinds.Prediction), s => Assert.NotEqual(DriftStatus.Drift, s.Status));
    }

    [Fact]
    public void A_popularity_shift_drifts_the_served_list_metrics()
    {
        var report = Evaluate(Traffic with { ShiftedPopularShare = 0.6 }, ShiftKind.Popularity, 1)[0];
        var popularity = Signal(report, "avg_recommended_popularity", "baseline-z");
        Assert.Equal(DriftStatus.Drift, popularity.Status);
        Assert.True(popularity.Observed > popularity.Reference);
        Assert.Equal(DriftStatus.Drift, Signal(report, "novelty", "baseline-z").Status);
    }

    [Fact]
    public void Missing_values_and_unknown_categories_are_flagged()
    {
        var (reference, traffic) = Reference(Traffic);
        var random = new SplitMixRandom(9);
        var window = traffic.Window(0, ShiftKind.None, 0, ref random);
        var price = window.Numeric["price"];
        var device = window.Categorical["device"];
        for (int i = 0; i < price.Length; i += 10)
        {
            price[i] = double.NaN;
            device[i + 1] = "smart-fridge";
        }
        var report = new DriftMonitor(reference, Traffic.Drift).Evaluate(window);
        var missing = Signal(report, "price", "missing-rate-diff");
        Assert.Equal(DriftStatus.Drift, missing.Status);
        Assert.InRange(missing.Observed!.Value, 0.10, 0.12);
        var unknown = Signal(report, "device", "unknown-rate");
        Assert.Equal(DriftStatus.Drift, unknown.Status);
        Assert.InRange(unknown.Value, 0.09, 0.11);
    }

    [Fact]
    public void A_window_with_too_few_values_is_insufficient_data()
    {
        var (reference, _) = Reference(Traffic);
        // About 100 impressions: below the 500 values of MinSamples and, at a CTR near 14 %, below 30 clicks.
        var small = new SimulatedTraffic(Traffic with { EventsPerWindow = 100 });
        var random = new SplitMixRandom(4);
        var report = new DriftMonitor(reference, Traffic.Drift).Evaluate(small.Window(0, ShiftKind.Concept, 0, ref random));
        Assert.Equal(DriftStatus.InsufficientData, Signal(report, "user_activity", "ks").Status);
        Assert.Equal(DriftStatus.InsufficientData, Signal(report, "auc", "auc-diff").Status);
        // The fall from about 5,000 impressions an hour to 100 is itself an event-rate anomaly.
        Assert.Equal(DriftStatus.Drift, Signal(report, "impression", "baseline-z").Status);
    }

    [Fact]
    public void With_two_consecutive_windows_required_the_first_crossing_is_only_a_warning()
    {
        var options = Traffic with { CovariateShift = 0.5, Drift = new DriftOptions { ConsecutiveWindows = 2 } };
        var reports = Evaluate(options, ShiftKind.Covariate, 2);
        Assert.Equal(DriftStatus.Warning, Signal(reports[0], "user_activity", "ks").Status);
        Assert.Equal(DriftStatus.Drift, Signal(reports[1], "user_activity", "ks").Status);
    }

    [Fact]
    public void Large_windows_are_judged_by_effect_sizes()
    {
        var options = Traffic with { Drift = new DriftOptions { LargeWindow = 1000 } };
        var report = Evaluate(options, ShiftKind.None, 1)[0];
        Assert.Equal(DriftStatus.Ok, Signal(report, "user_activity", "wasserstein").Status);
        Assert.Equal(DriftStatus.Ok, Signal(report, "category", "jensen-shannon").Status);
        Assert.DoesNotContain(report.Signals, s => s.Statistic is "ks" or "chi2");
    }

    [Fact]
    public void The_report_serialises_with_snake_case_keys_and_the_documented_statuses()
    {
        var report = Evaluate(Traffic with { CovariateShift = 0.5 }, ShiftKind.Covariate, 1)[0];
        string json = report.ToJson();
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var first = document.RootElement.GetProperty("signals")[0];
        foreach (string key in new[] { "signal", "kind", "statistic", "value", "threshold", "warning_threshold", "p_value", "observed", "reference", "samples", "window", "status" })
        {
            Assert.True(first.TryGetProperty(key, out _), $"missing key {key}");
        }
        Assert.True(first.GetProperty("window").TryGetProperty("start", out _));
        Assert.Equal("drift", document.RootElement.GetProperty("status").GetString());
        Assert.False(document.RootElement.TryGetProperty("drifting", out _), "the Drifting view is not part of the report's JSON");
        Assert.Contains("\"status\": \"ok\"", json, StringComparison.Ordinal);
    }
}
