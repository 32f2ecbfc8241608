// Report latency: an experiment's report over N logged impressions, through the server's own code path
// (ExperimentService.Report: one pass over the log, ExposureJoin, ExperimentReportBuilder).
// Writes a data folder with a started two-arm experiment, pre-period clicks (the CUPED covariate), N impressions
// tagged by the real assignment (10 per request) and their clicks (5 % in A, 5.5 % in B), waits until the engine
// has applied them, then times the report.
// Usage: dotnet run -c Release --project bench/Cascade.Experiments.Bench -- [impressions] [users] [runs]
//        dotnet run -c Release --project bench/Cascade.Experiments.Bench -- ope [runs] [users] [epsilon]   (OpeBench.cs)
using System.Diagnostics;
using System.Globalization;
using Cascade.Core.Domain;
using Cascade.Experiments;
using Cascade.Server.Experiments;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;

if (args.Length > 0 && args[0] == "ope")
{
    await OpeBench.Run(args[1..]);
    return 0;
}

long impressions = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 10_000_000;
int users = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
const int PerRequest = 10;
const string App = Apps.Default;

string dir = Path.Combine(Path.GetTempPath(), "cascade-experiments-bench-" + Guid.NewGuid().ToString("N"));
try
{
    using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir, Log = new EventLogOptions { Durability = DurabilityMode.Off } });
    var service = new ExperimentService(engine, new RecommendationService(engine, new RecommendationOptions { LogImpressions = false }), 0, Path.Combine(dir, "bundles"));
    var definition = new ExperimentDefinition
    {
        Id = "bench",
        Arms = [new() { Name = "a", Share = 0.5 }, new() { Name = "b", Share = 0.5 }],
        PrimaryMetric = "ctr",
        SecondaryMetrics = ["clicks_per_user"],
        PreExperimentDays = 14,
    };
    await service.CreateAsync(App, definition, CancellationToken.None);
    var (started, _) = await service.StartAsync(App, "bench", CancellationToken.None);
    long start = started.StartedAtMs!.Value;
    var running = service.Running(App);
    var random = new Random(7);
    var batch = new List<FeedbackEvent>(100_000);
    long written = 0, clicks = 0;
    var write = Stopwatch.StartNew();
    async Task Flush()
    {
        await engine.AppendEventsAsync(batch);
        written += batch.Count;
        batch.Clear();
    }
    // Pre-period: one click for about half of the users, in the two weeks before the start.
    for (int u = 0; u < users; u += 2)
    {
        batch.Add(new FeedbackEvent(App, null, $"u{u}", $"i{random.Next(50_000)}", "click", null, start - random.NextInt64(1, 14 * 86_400_000L), null, null));
        if (batch.Count == batch.Capacity)
        {
            await Flush();
        }
    }
    long requests = impressions / PerRequest;
    for (long r = 0; r < requests; r++)
    {
        string user = $"u{random.Next(users)}";
        var arms = running.Assign(user);
        string tag = RunningExperiments.Tag(arms)!;
        double ctr = arms[0].Arm == "b" ? 0.055 : 0.05;
        string request = r.ToString("x12", CultureInfo.InvariantCulture);
        long at = start + 1 + (r * 10);
        for (int p = 0; p < PerRequest; p++)
        {
            string item = $"i{random.Next(50_000)}";
            batch.Add(new FeedbackEvent(App, null, user, item, "impression", null, at, request, p, tag));
            if (random.NextDouble() < ctr)
            {
                batch.Add(new FeedbackEvent(App, null, user, item, "click", null, at + 5_000, request, p));
                clicks++;
            }
        }
        if (batch.Count >= batch.Capacity - (2 * PerRequest))
        {
            await Flush();
        }
        if (r % (requests / 10) == 0 && r > 0)
        {
            Console.Error.WriteLine($"written {written:N0} events ({write.Elapsed.TotalSeconds:0} s)");
        }
    }
    await Flush();
    Console.Error.WriteLine($"written {written:N0} events in {write.Elapsed.TotalSeconds:0} s; waiting for the projections");
    await engine.WaitForAllAsync(engine.Log.LastSequence);
    if (Environment.GetEnvironmentVariable("BENCH_PARTS") == "1")
    {
        var part = Stopwatch.StartNew();
        long n = 0;
        foreach (var record in engine.Log.ReadFrom(1)) { n += record.Payload.Length; }
        Console.Error.WriteLine($"read only: {part.Elapsed.TotalSeconds:0.00} s");
        part.Restart();
        foreach (var record in engine.Log.ReadFrom(1)) { if (record.Kind == RecordKind.Event) { n += Cascade.Storage.Records.RecordCodec.DecodeEvent(record.Payload.Span).TimestampMs; } }
        Console.Error.WriteLine($"read + decode: {part.Elapsed.TotalSeconds:0.00} s");
    }
    var times = new List<double>();
    ExperimentReportResponse? last = null;
    for (int run = 0; run < runs; run++)
    {
        var sw = Stopwatch.StartNew();
        last = service.Report(App, "bench", CancellationToken.None);
        times.Add(sw.Elapsed.TotalSeconds);
        Console.Error.WriteLine($"report {run + 1}: {sw.Elapsed.TotalSeconds:0.00} s");
    }
    var report = last!.Report!;
    times.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"report: impressions={impressions} clicks={clicks} events_read={last.EventsRead} units={report.Arms.Sum(a => a.Units)} seconds_median={times[times.Count / 2]:0.00} seconds_min={times[0]:0.00} verdict=\"{report.Verdicts[0].Text}\""));
    return 0;
}
finally
{
    try
    {
        Directory.Delete(dir, recursive: true);
    }
    catch (IOException)
    {
        // best effort
    }
}
