using System.Diagnostics;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Storage.Bench;

/// <summary>One ingestion measurement.</summary>
internal sealed record IngestResult(string Path, int Appenders, bool EventIds, long Events, double Seconds, double P50BatchMs, double P99BatchMs, double CatalogLagSeconds)
{
    public double EventsPerSecond => Events / Seconds;

    public double MinEventsPerSecond { get; init; }

    public double MaxEventsPerSecond { get; init; }
}

/// <summary>Durable ingestion: batches of 1,000 events, fsync before each acknowledgement (DurabilityMode.EveryBatch).</summary>
internal static class Ingestion
{
    private const int BatchSize = 1000;

    /// <summary>Each configuration runs this many times; the table shows the median run and the range.</summary>
    public const int Repeats = 3;

    public static List<IngestResult> RunAll(string root, int eventsPerRun)
    {
        var results = new List<IngestResult>();
        // Warm-up (JIT, file system) not reported.
        Run(root, "engine", 1, true, 20_000);
        var configs = new List<(string Path, int Appenders, bool EventIds)>
        {
            ("engine", 1, true), ("engine", 2, true), ("engine", 4, true), ("engine", 8, true), ("engine", 4, false), ("log", 1, true), ("log", 4, true),
        };
        foreach (var (path, appenders, ids) in configs)
        {
            var runs = Enumerable.Range(0, Repeats).Select(_ => Run(root, path, appenders, ids, eventsPerRun)).OrderBy(r => r.EventsPerSecond).ToList();
            results.Add(runs[Repeats / 2] with { MinEventsPerSecond = runs[0].EventsPerSecond, MaxEventsPerSecond = runs[^1].EventsPerSecond });
        }
        return results;
    }

    /// <summary>
    /// Appends <paramref name="events"/> synthetic events in batches of 1,000 from <paramref name="appenders"/>
    /// concurrent tasks. "engine" goes through CascadeEngine.AppendEventsAsync (encoding included, the catalog
    /// applier running alongside); "log" appends pre-encoded entries straight to EventLog.AppendAsync.
    /// </summary>
    public static IngestResult Run(string root, string path, int appenders, bool eventIds, int events)
    {
        string dir = Path.Combine(root, $"ingest-{path}-{appenders}-{Guid.NewGuid():N}");
        var synthetic = new Synthetic(100_000, 20_000, seed: 17);
        var batches = new List<FeedbackEvent[]>();
        for (int b = 0; b < events / BatchSize; b++)
        {
            var batch = new FeedbackEvent[BatchSize];
            for (int i = 0; i < BatchSize; i++)
            {
                batch[i] = synthetic.NextEvent(eventIds ? $"evt-{b}-{i}" : null);
            }
            batches.Add(batch);
        }
        var entries = path == "log" ? batches.Select(b => b.Select(RecordCodec.ToEntry).ToArray()).ToList() : null;
        var latencies = new double[batches.Count];
        try
        {
            using var engine = CascadeEngine.Open(new EngineOptions
            {
                DataDirectory = dir,
                Log = new EventLogOptions { Durability = DurabilityMode.EveryBatch },
            });
            int next = -1;
            var clock = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, appenders).Select(_ => Task.Run(async () =>
            {
                int b;
                while ((b = Interlocked.Increment(ref next)) < batches.Count)
                {
                    long start = Stopwatch.GetTimestamp();
                    if (entries is null)
                    {
                        await engine.AppendEventsAsync(batches[b]);
                    }
                    else
                    {
                        await engine.Log.AppendAsync(entries[b]);
                    }
                    latencies[b] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            })).ToArray();
            Task.WaitAll(tasks);
            double seconds = clock.Elapsed.TotalSeconds;
            // How far the catalog (SQLite) trails the log when ingestion stops.
            var lag = Stopwatch.StartNew();
            engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
            Array.Sort(latencies);
            return new IngestResult(path, appenders, eventIds, (long)batches.Count * BatchSize, seconds,
                latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.99)], lag.Elapsed.TotalSeconds);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static void PrintTable(List<IngestResult> results)
    {
        Console.WriteLine($"Durable ingestion (DurabilityMode.EveryBatch: fsync before every acknowledgement), batches of 1,000 events; median of {Repeats} runs (range)");
        Console.WriteLine("| path | appenders | client event ids | events per run | seconds | events/s | range, events/s | batch p50 ms | batch p99 ms | catalog catch-up after, s |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            string path = r.Path == "engine" ? "CascadeEngine.AppendEventsAsync" : "EventLog.AppendAsync (pre-encoded)";
            Console.WriteLine($"| {path} | {r.Appenders} | {(r.EventIds ? "yes" : "no")} | {r.Events:N0} | {r.Seconds:0.00} | {r.EventsPerSecond:N0} | {r.MinEventsPerSecond:N0} – {r.MaxEventsPerSecond:N0} | {r.P50BatchMs:0.0} | {r.P99BatchMs:0.0} | {r.CatalogLagSeconds:0.0} |");
        }
    }
}
