using System.Diagnostics;
using System.Globalization;
using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Snapshot;

namespace Cascade.Storage.Bench;

/// <summary>One matrix measurement, printed by a child process as one tab-separated line.</summary>
internal sealed record MatrixResult(string Scenario, int Events, int Users, int Items, long NonZeros, double AddSeconds, double BuildSeconds, long AllocatedBytes, long PeakWorkingSetBytes, double PrepareSeconds)
{
    public string ToLine() => string.Join('\t', Scenario, Events, Users, Items, NonZeros,
        AddSeconds.ToString("R", CultureInfo.InvariantCulture), BuildSeconds.ToString("R", CultureInfo.InvariantCulture),
        AllocatedBytes, PeakWorkingSetBytes, PrepareSeconds.ToString("R", CultureInfo.InvariantCulture));

    public static MatrixResult Parse(string line)
    {
        var p = line.Split('\t');
        var c = CultureInfo.InvariantCulture;
        return new MatrixResult(p[0], int.Parse(p[1], c), int.Parse(p[2], c), int.Parse(p[3], c), long.Parse(p[4], c),
            double.Parse(p[5], c), double.Parse(p[6], c), long.Parse(p[7], c), long.Parse(p[8], c), double.Parse(p[9], c));
    }

    public static void PrintTable(List<MatrixResult> results)
    {
        Console.WriteLine("Interaction matrix build (each row a fresh process; peak working set = the process's VmHWM, input data included)");
        Console.WriteLine("| what | events | users × items | non-zeros | time, s | allocated during the build | process peak working set | preparation (not timed), s |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            string what = r.Scenario == "matrix"
                ? $"CsrMatrixBuilder: Add ({r.AddSeconds:0.000} s) + Build ({r.BuildSeconds - r.AddSeconds:0.000} s)"
                : "InteractionSnapshot.Build from the log";
            string prep = r.Scenario == "matrix" ? "generate triples" : "generate, append and apply to the catalog";
            Console.WriteLine($"| {what} | {r.Events:N0} | {r.Users:N0} × {r.Items:N0} | {r.NonZeros:N0} | {r.BuildSeconds:0.000} | {Mib(r.AllocatedBytes)} | {Mib(r.PeakWorkingSetBytes)} | {prep}: {r.PrepareSeconds:0.0} |");
        }
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024):N0} MiB";
}

internal static class MatrixBench
{
    /// <summary>Users and items for a run of <paramref name="events"/> events: 20 events per user, 20 users per item on average.</summary>
    private static (int Users, int Items) Shape(int events) => (Math.Max(100, events / 20), Math.Max(100, events / 100));

    /// <summary>CsrMatrixBuilder on synthetic triples: the timed part is Add for every event plus Build.</summary>
    public static MatrixResult RunBuilder(int events)
    {
        var (users, items) = Shape(events);
        var prepare = Stopwatch.StartNew();
        var synthetic = new Synthetic(users, items, seed: 42);
        var rows = new int[events];
        var cols = new int[events];
        var weights = new float[events];
        var times = new long[events];
        for (int i = 0; i < events; i++)
        {
            var (u, it, type, value, ts) = synthetic.Next();
            EventTypeRegistry.Default.TryGet(type, out var t);
            rows[i] = u;
            cols[i] = it;
            weights[i] = t.WeightOf(value);
            times[i] = ts;
        }
        double prepareSeconds = prepare.Elapsed.TotalSeconds;

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var builder = new CsrMatrixBuilder(events);
        for (int i = 0; i < events; i++)
        {
            builder.Add(rows[i], cols[i], weights[i], times[i]);
        }
        double add = clock.Elapsed.TotalSeconds;
        var matrix = builder.Build(users, items, dropNonPositive: true);
        double total = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        GC.KeepAlive(matrix);
        return new MatrixResult("matrix", events, users, items, matrix.NonZeros, add, total, allocated, Process.GetCurrentProcess().PeakWorkingSet64, prepareSeconds);
    }

    /// <summary>Fills a data folder with <paramref name="events"/> synthetic events and lets the catalog apply them (preparation of a snapshot run).</summary>
    public static double Fill(int events, string dir)
    {
        var (users, items) = Shape(events);
        var clock = Stopwatch.StartNew();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir, Log = new EventLogOptions { Durability = DurabilityMode.Off } });
        var synthetic = new Synthetic(users, items, seed: 42);
        const int Batch = 10_000;
        var pending = new List<Task>();
        for (int done = 0; done < events; done += Batch)
        {
            var batch = new FeedbackEvent[Math.Min(Batch, events - done)];
            for (int i = 0; i < batch.Length; i++)
            {
                batch[i] = synthetic.NextEvent();
            }
            pending.Add(engine.AppendEventsAsync(batch));
            if (pending.Count == 8)
            {
                Task.WaitAll(pending);
                pending.Clear();
            }
        }
        Task.WaitAll(pending);
        engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromHours(1)).GetAwaiter().GetResult();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// InteractionSnapshot.Build over the event log of a data folder filled by <see cref="Fill"/> in another process,
    /// so the peak working set here is the snapshot's own (engine open included). Timed: the snapshot alone (log read,
    /// decode, id lookups, CSR build).
    /// </summary>
    public static MatrixResult RunSnapshot(int events, string dir, double prepareSeconds)
    {
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir });
        GC.Collect();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var snapshot = InteractionSnapshot.Build(engine);
        double seconds = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new MatrixResult("snapshot", events, snapshot.UserIds.Count, snapshot.ItemIds.Count, snapshot.Matrix.NonZeros, 0, seconds, allocated,
            Process.GetCurrentProcess().PeakWorkingSet64, prepareSeconds);
    }
}
