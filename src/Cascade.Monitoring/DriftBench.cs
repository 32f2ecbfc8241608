using System.Diagnostics;

namespace Cascade.Monitoring;

/// <summary>The cost of one drift pass: every detector over one large window, timed without the data's generation.</summary>
public static class DriftBench
{
    /// <summary>What one timed pass measured.</summary>
    /// <param name="Events">Impressions in the window.</param>
    /// <param name="Signals">Signals reported.</param>
    /// <param name="Seconds">Wall-clock seconds of <see cref="DriftMonitor.Evaluate"/>.</param>
    /// <param name="Status">The window's worst status.</param>
    public sealed record Result(int Events, int Signals, double Seconds, DriftStatus Status);

    /// <summary>Builds a reference from 48 simulated hourly windows, generates one window of about <paramref name="events"/> impressions and times the drift pass over it.</summary>
    /// <param name="events">Impressions in the timed window.</param>
    /// <param name="seed">The seed.</param>
    public static Result Run(int events, ulong seed)
    {
        var options = new DriftSimulationOptions { Seed = seed };
        var traffic = new SimulatedTraffic(options);
        var random = new SplitMixRandom(SplitMixRandom.Mix(seed, 0));
        var builder = new ReferenceBuilder(options.Drift, traffic.Popularity(200_000, ref random), options.CatalogSize);
        for (int w = 0; w < options.ReferenceWindows; w++)
        {
            builder.Add(traffic.Window(w - options.ReferenceWindows, ShiftKind.None, 0, ref random));
        }
        var monitor = new DriftMonitor(builder.Build(), options.Drift);
        var large = new SimulatedTraffic(options with { EventsPerWindow = events });
        var window = large.Window(0, ShiftKind.None, 0, ref random);
        var clock = Stopwatch.StartNew();
        var report = monitor.Evaluate(window);
        double seconds = clock.Elapsed.TotalSeconds;
        return new Result(window.Predictions.Length, report.Signals.Count, seconds, report.Status);
    }
}
