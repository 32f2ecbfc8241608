using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Cascade.Core.Telemetry;
using Cascade.Pipeline;

namespace Cascade.Serving;

/// <summary>Latency percentiles of one pipeline stage over the recent requests.</summary>
/// <param name="Stage">"total", "source:NAME", "merge", "ranker", "rerank:NAME".</param>
/// <param name="Count">Samples held (at most the window).</param>
/// <param name="MeanMs">Mean milliseconds.</param>
/// <param name="P50Ms">Median.</param>
/// <param name="P95Ms">95th percentile.</param>
/// <param name="P99Ms">99th percentile.</param>
/// <param name="Degraded">Requests in which the stage degraded, since start (for "total": requests in which any stage degraded).</param>
public sealed record StageLatency(string Stage, int Count, double MeanMs, double P50Ms, double P95Ms, double P99Ms, long Degraded);

/// <summary>
/// Per-stage latency of the most recent requests (a fixed window per stage, lock-free writes) and degradation
/// counts since start: the serving process's own view of where request time goes.
/// </summary>
/// <param name="window">Samples kept per stage.</param>
public sealed class StageMetrics(int window = 8192)
{
    private readonly ConcurrentDictionary<string, Ring> _stages = new(StringComparer.Ordinal);

    private static readonly Histogram<double> StageDuration = CascadeTelemetry.LatencyHistogram("cascade.pipeline.stage.duration",
        "Time of one pipeline stage of a recommend request, by stage (total, history, source:NAME, merge, ranker, rerank:NAME, live-check, impressions).");

    private static readonly Histogram<long> StageItems = CascadeTelemetry.Meter.CreateHistogram<long>("cascade.pipeline.stage.items", "{item}",
        "Items a stage put out (a source's candidates), by stage.", tags: null,
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [0, 1, 5, 10, 25, 50, 100, 200, 500, 1000, 2000] });

    private static readonly Counter<long> StageDegraded = CascadeTelemetry.Meter.CreateCounter<long>("cascade.pipeline.stage.degraded", "{request}",
        "Requests in which the stage degraded (timed out or failed and was served around), by stage; total counts requests with any.");

    /// <summary>Records one request's stage reports and its total time.</summary>
    /// <param name="stages">The pipeline's stage reports.</param>
    /// <param name="totalMs">The whole request's milliseconds.</param>
    public void Record(IReadOnlyList<StageReport> stages, double totalMs)
    {
        ArgumentNullException.ThrowIfNull(stages);
        bool anyDegraded = stages.Any(static s => s.Degraded is not null);
        Get("total").Add(totalMs, anyDegraded);
        Export("total", totalMs, -1, anyDegraded);
        foreach (var s in stages)
        {
            Get(s.Stage).Add(s.Milliseconds, s.Degraded is not null);
            Export(s.Stage, s.Milliseconds, s.Count, s.Degraded is not null);
        }
    }

    /// <summary>Records one sample of one key alone (e.g. an experiment arm's request time).</summary>
    /// <param name="key">The stage or key.</param>
    /// <param name="milliseconds">The sample.</param>
    /// <param name="degraded">Whether it degraded.</param>
    public void Record(string key, double milliseconds, bool degraded) => Get(key).Add(milliseconds, degraded);

    /// <summary>Percentiles of every stage seen, "total" first.</summary>
    public IReadOnlyList<StageLatency> Snapshot() =>
        [.. _stages.OrderBy(p => p.Key == "total" ? "" : p.Key, StringComparer.Ordinal).Select(p => p.Value.Summarise(p.Key))];

    /// <summary>Samples recorded for <paramref name="stage"/> since start ("total": requests), beyond the window too.</summary>
    public long Recorded(string stage) => _stages.TryGetValue(stage, out var ring) ? ring.Recorded : 0;

    private static void Export(string stage, double milliseconds, int items, bool degraded)
    {
        var tag = new KeyValuePair<string, object?>("stage", stage);
        StageDuration.Record(milliseconds / 1000, tag);
        if (items >= 0)
        {
            StageItems.Record(items, tag);
        }
        if (degraded)
        {
            StageDegraded.Add(1, tag);
        }
    }

    private Ring Get(string stage) => _stages.GetOrAdd(stage, _ => new Ring(window));

    private sealed class Ring(int size)
    {
        private readonly double[] _values = new double[size];
        private long _next;
        private long _degraded;

        public long Recorded => Interlocked.Read(ref _next);

        public void Add(double value, bool degraded)
        {
            long at = Interlocked.Increment(ref _next) - 1;
            _values[at % _values.Length] = value;
            if (degraded)
            {
                Interlocked.Increment(ref _degraded);
            }
        }

        public StageLatency Summarise(string stage)
        {
            int count = (int)Math.Min(Interlocked.Read(ref _next), _values.Length);
            var copy = _values.AsSpan(0, count).ToArray();
            Array.Sort(copy);
            double At(double q) => count == 0 ? 0 : copy[Math.Min(count - 1, (int)Math.Ceiling(q * count) - 1 < 0 ? 0 : (int)Math.Ceiling(q * count) - 1)];
            return new StageLatency(stage, count, count == 0 ? 0 : copy.Average(), At(0.5), At(0.95), At(0.99), Interlocked.Read(ref _degraded));
        }
    }
}
