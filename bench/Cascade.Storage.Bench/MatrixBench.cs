using System.Diagnostics;
using System.Globalization;
using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Snapshot;

namespace Cascade.Storage.Bench;

/// <summary>One matrix measurement, printed by a child process as one tab-separated line.</summary>
/// <param name="Scenario">"matrix" (CsrMatrixBuilder) or "snapshot" (InteractionSnapshot from the log).</param>
/// <param name="Events">Events (triples) in.</param>
/// <param name="Users">Rows.</param>
/// <param name="Items">Columns.</param>
/// <param name="NonZeros">Entries out.</param>
/// <param name="ColdSeconds">The first build in the process (JIT included).</param>
/// <param name="WarmSeconds">The best of three further builds.</param>
/// <param name="WarmAddSeconds">For the builder: the Add part of the best warm build.</param>
/// <param name="AllocatedBytes">Managed bytes allocated by one warm build (GC.GetTotalAllocatedBytes).</param>
/// <param name="PeakWorkingSetBytes">The process's peak working set (VmHWM) at the end, input data included.</param>
/// <param name="PrepareSeconds">Untimed preparation: generating the input, or filling and applying the log.</param>
internal sealed record MatrixResult(string Scenario, int Events, int Users, int Items, long NonZeros, double ColdSeconds, double WarmSeconds, double WarmAddSeconds,
    long AllocatedBytes, long PeakWorkingSetBytes, double PrepareSeconds)
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public string ToLine() => string.Join('\t', Scenario, Events, Users, Items, NonZeros, ColdSeconds.ToString("R", C), WarmSeconds.ToString("R", C),
        WarmAddSeconds.ToString("R", C), AllocatedBytes, PeakWorkingSetBytes, PrepareSeconds.ToString("R", C));

    public static MatrixResult Parse(string line)
    {
        var p = line.Split('\t');
        return new MatrixResult(p[0], int.Parse(p[1], C), int.Parse(p[2], C), int.Parse(p[3], C), long.Parse(p[4], C), double.Parse(p[5], C),
            double.Parse(p[6], C), double.Parse(p[7], C), long.Parse(p[8], C), long.Parse(p[9], C), double.Parse(p[10], C));
    }

    public static void PrintTable(List<MatrixResult> results)
    {
        Console.WriteLine("Interaction matrix build: first call in a fresh process (cold) and best of 3 more (warm); peak working set = the process's VmHWM, input data included");
        Console.WriteLine("| what | events | users × items | non-zeros | cold, s | warm, s | allocated per build | process peak working set | preparation (not timed), s |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            string what = r.Scenario == "matrix"
                ? $"CsrMatrixBuilder Add + Build (warm: {r.WarmAddSeconds:0.000} + {r.WarmSeconds - r.WarmAddSeconds:0.000} s)"
                : "InteractionSnapshot.Build from the log";
            string prep = r.Scenario == "matrix" ? "generate triples" : "generate, append, apply to the catalog (separate process)";
            Console.WriteLine($"| {what} | {r.Events:N0} | {r.Users:N0} × {r.Items:N0} | {r.NonZeros:N0} | {r.ColdSeconds:0.000} | {r.WarmSeconds:0.000} | {Mib(r.AllocatedBytes)} | {Mib(r.PeakWorkingSetBytes)} | {prep}: {r.PrepareSeconds:0.0} |");
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

        CsrMatrix? matrix = null;
        double cold = 0, warm = double.MaxValue, warmAdd = 0;
        long allocated = 0;
        for (int rep = 0; rep < 4; rep++)
        {
            GC.Collect();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var builder = new CsrMatrixBuilder(events);
            for (int i = 0; i < events; i++)
            {
                builder.Add(rows[i], cols[i], weights[i], times[i]);
            }
            double add = clock.Elapsed.TotalSeconds;
            matrix = builder.Build(users, items, dropNonPositive: true);
            double total = clock.Elapsed.TotalSeconds;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            if (rep == 0)
            {
                cold = total;
            }
            else if (total < warm)
            {
                (warm, warmAdd) = (total, add);
            }
        }
        return new MatrixResult("matrix", events, users, items, matrix!.NonZeros, cold, warm, warmAdd, allocated, Process.GetCurrentProcess().PeakWorkingSet64, prepareSeconds);
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
        InteractionSnapshot? snapshot = null;
        double cold = 0, warm = double.MaxValue;
        long allocated = 0;
        for (int rep = 0; rep < 4; rep++)
        {
            GC.Collect();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            snapshot = InteractionSnapshot.Build(engine);
            double seconds = clock.Elapsed.TotalSeconds;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            if (rep == 0)
            {
                cold = seconds;
            }
            else
            {
                warm = Math.Min(warm, seconds);
            }
        }
        return new MatrixResult("snapshot", events, snapshot!.UserIds.Count, snapshot.ItemIds.Count, snapshot.Matrix.NonZeros, cold, warm, 0, allocated,
            Process.GetCurrentProcess().PeakWorkingSet64, prepareSeconds);
    }
}
