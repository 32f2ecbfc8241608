using System.Diagnostics;
using System.Globalization;
using System.Text;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;
using Xunit.Abstractions;

namespace Cascade.Storage.Tests;

/// <summary>
/// The crash test: a child process (tests/Cascade.CrashChild) ingests events with client event ids from several
/// concurrent appenders and is killed with SIGKILL at seeded-random moments, over and over on one data folder.
/// After every kill the data folder is opened again (as a restart would) and every event the child acknowledged
/// must be in the log exactly once, at the sequence it was acknowledged with, and the catalog must agree.
/// The suite runs <see cref="DefaultKills"/> cycles; bench/crash.sh runs it at scale (CASCADE_CRASH_CYCLES, default
/// 100 there) and reads the summary line it prints.
/// </summary>
public class CrashTests(ITestOutputHelper output)
{
    private const int DefaultKills = 24;
    private const int Appenders = 3;
    private const int Users = 40;                 // the child draws users u0 … u39
    private const long SegmentBytes = 256 << 10;  // small, so kills also land around segment rolls

    private static EngineOptions Options(string dataDir) => new()
    {
        DataDirectory = dataDir,
        Log = new EventLogOptions { Durability = DurabilityMode.EveryBatch, SegmentBytes = SegmentBytes },
    };

    [Fact]
    public async Task Every_acknowledged_event_is_stored_exactly_once_across_repeated_SIGKILLs()
    {
        string child = LocateChild();
        int kills = Environment.GetEnvironmentVariable("CASCADE_CRASH_CYCLES") is { Length: > 0 } c ? int.Parse(c, CultureInfo.InvariantCulture) : DefaultKills;
        int seed = Environment.GetEnvironmentVariable("CASCADE_CRASH_SEED") is { Length: > 0 } sd ? int.Parse(sd, CultureInfo.InvariantCulture) : 20261122;
        using var dir = new TempDirectory();
        string dataDir = dir.Combine("data");
        var random = new Random(seed);
        long lost = 0, duplicated = 0;
        var acknowledged = new Dictionary<string, long>(StringComparer.Ordinal); // event id → sequence
        var resentDuplicates = 0;
        var killedBeforeReady = 0;
        string? previousTag = null;
        var previousHighest = new int[Appenders];

        for (int run = 0; run < kills; run++)
        {
            string tag = $"r{run}";
            // Re-send some acknowledged ids (must come back as duplicates with their first sequence) and the ids just
            // after each appender's last printed acknowledgement (in flight at the kill: stored or not, never twice).
            var knownIds = acknowledged.Keys.OrderBy(_ => random.Next()).Take(40).ToList();
            var maybeIds = previousTag is null ? [] : Enumerable.Range(0, Appenders)
                .SelectMany(a => Enumerable.Range(previousHighest[a] + 1, 30).Select(n => $"{previousTag}-a{a}-{n}")).ToList();
            string resendFile = dir.Combine($"resend-{run}.txt");
            await File.WriteAllLinesAsync(resendFile, [.. knownIds, .. maybeIds]);

            bool beforeReady = random.Next(6) == 0; // sometimes kill during recovery and catalog catch-up
            int delayMs = beforeReady ? random.Next(0, 400) : random.Next(20, 600);
            var acks = await RunAndKill(child, [dataDir, tag, random.Next().ToString(CultureInfo.InvariantCulture), resendFile, Appenders.ToString(CultureInfo.InvariantCulture), SegmentBytes.ToString(CultureInfo.InvariantCulture)], beforeReady, delayMs);
            killedBeforeReady += beforeReady ? 1 : 0;

            Array.Fill(previousHighest, -1);
            foreach (var (id, sequence, duplicate) in acks)
            {
                if (acknowledged.TryGetValue(id, out long earlier))
                {
                    if (!duplicate || earlier != sequence)
                    {
                        duplicated++; // acknowledged before at `earlier`, stored again at `sequence`
                        output.WriteLine($"run {run}: {id} was acknowledged before at {earlier} but again at {sequence} (duplicate flag {duplicate})");
                    }
                    resentDuplicates++;
                }
                else
                {
                    acknowledged[id] = sequence;
                }
                if (id.StartsWith(tag + "-a", StringComparison.Ordinal))
                {
                    int a = id[tag.Length + 2] - '0';
                    previousHighest[a] = Math.Max(previousHighest[a], int.Parse(id.AsSpan(id.LastIndexOf('-') + 1), CultureInfo.InvariantCulture));
                }
            }
            previousTag = tag;

            var verified = await VerifyAfterRestart(dataDir, acknowledged, run, output);
            lost += verified.Lost;
            duplicated += verified.Duplicated;
            output.WriteLine($"run {run,2}: killed {(beforeReady ? "before ready" : "while ingesting")} after {delayMs,3} ms; {acks.Count,6} acknowledgements; log {verified.Records,7} records; torn tail truncated {verified.TruncatedBytes} bytes; lost {verified.Lost}, duplicated {verified.Duplicated}");
            if (lost + duplicated > 0)
            {
                break;
            }
        }

        output.WriteLine($"{acknowledged.Count} distinct events acknowledged, {resentDuplicates} re-sent ids acknowledged as duplicates, {killedBeforeReady} kills before the child was ready");
        output.WriteLine($"crash summary: cycles {kills}, acknowledged {acknowledged.Count}, lost {lost}, duplicated {duplicated}, re-sent acknowledged as duplicates {resentDuplicates}, killed before ready {killedBeforeReady}, seed {seed}");
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicated);
        Assert.True(acknowledged.Count > 1000, $"the child acknowledged only {acknowledged.Count} events over {kills} runs");
        Assert.True(resentDuplicates > 0, "no re-sent id was acknowledged as a duplicate");
    }

    private static async Task<(long Records, long TruncatedBytes, long Lost, long Duplicated)> VerifyAfterRestart(string dataDir, Dictionary<string, long> acknowledged, int run, ITestOutputHelper output)
    {
        using var engine = CascadeEngine.Open(Options(dataDir));

        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        var rows = new HashSet<string>(StringComparer.Ordinal);
        long events = 0, lost = 0, duplicated = 0;
        foreach (var record in engine.Log.ReadFrom(1))
        {
            Assert.Equal(RecordKind.Event, record.Kind);
            var e = RecordCodec.DecodeEvent(record.Payload.Span);
            Assert.NotNull(e.EventId);
            if (!stored.TryAdd(e.EventId, record.Sequence))
            {
                duplicated++;
                output.WriteLine($"run {run}: event id {e.EventId} is stored twice (sequences {stored[e.EventId]} and {record.Sequence})");
            }
            events++;
            if (e.Type != "impression")
            {
                rows.Add(e.EventId); // impressions stay in the log; the catalog makes rows of the other events
            }
        }
        foreach (var (id, sequence) in acknowledged)
        {
            if (!stored.TryGetValue(id, out long at) || at != sequence)
            {
                lost++;
                output.WriteLine($"run {run}: acknowledged event {id} (sequence {sequence}) is {(at == 0 ? "missing from the log" : $"at sequence {at}")}");
            }
        }
        if (lost + duplicated > 0)
        {
            return (events, engine.Log.Recovery.TruncatedBytes, lost, duplicated);
        }

        // The catalog, derived from the log, agrees with it once caught up.
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(60));
        Assert.Equal(engine.Log.LastSequence, engine.Catalog.AppliedSequence);
        Assert.Equal(rows.Count, engine.Catalog.Count(Apps.Default).Events);
        var inCatalog = new HashSet<string>(StringComparer.Ordinal);
        for (int u = 0; u < Users; u++)
        {
            foreach (var e in engine.Catalog.GetUserEvents(Apps.Default, $"u{u}", int.MaxValue))
            {
                Assert.True(inCatalog.Add(e.EventId!), $"run {run}: the catalog holds event {e.EventId} twice");
            }
        }
        Assert.True(inCatalog.SetEquals(rows), $"run {run}: the catalog's events differ from the log's");
        return (events, engine.Log.Recovery.TruncatedBytes, 0, 0);
    }

    /// <summary>Runs the child, kills it with SIGKILL after the delay, and returns the acknowledgements it printed in full.</summary>
    private static async Task<List<(string Id, long Sequence, bool Duplicate)>> RunAndKill(string childDll, string[] args, bool beforeReady, int delayMs)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(childDll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the crash child.");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("ready", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
                lines.Add(line);
            }
            ready.TrySetResult();
        });
        try
        {
            if (!beforeReady)
            {
                await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            await Task.Delay(delayMs);
            Assert.False(process.HasExited, $"the crash child exited by itself (code {(process.HasExited ? process.ExitCode : 0)}) before the kill:\n{stderr}");
        }
        finally
        {
            process.Kill(); // SIGKILL on Unix: no finalizers, no flush, no dispose
            await process.WaitForExitAsync();
        }
        await reader;

        var acks = new List<(string, long, bool)>();
        foreach (string line in lines)
        {
            // "ack <id> <sequence> <0|1> ." — a line cut short by the kill lacks the final " ." and is ignored.
            var parts = line.Split(' ');
            if (parts is ["ack", var id, var seq, var dup, "."])
            {
                acks.Add((id, long.Parse(seq, CultureInfo.InvariantCulture), dup == "1"));
            }
        }
        return acks;
    }

    /// <summary>Finds the child's build output next to this test assembly's (artifacts layout or classic bin/ layout).</summary>
    internal static string LocateChild()
    {
        const string Name = "Cascade.CrashChild";
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var candidates = new List<string>();
        // artifacts/bin/Cascade.Storage.Tests/<pivot>/ → artifacts/bin/Cascade.CrashChild/<pivot>/
        if (here.Parent?.Parent is { } bin)
        {
            candidates.Add(Path.Combine(bin.FullName, Name, here.Name, Name + ".dll"));
        }
        // tests/Cascade.Storage.Tests/bin/<config>/<tfm>/ → tests/Cascade.CrashChild/bin/<config>/<tfm>/
        if (here.Parent?.Parent?.Parent?.Parent is { } tests)
        {
            candidates.Add(Path.Combine(tests.FullName, Name, "bin", here.Parent!.Name, here.Name, Name + ".dll"));
        }
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"The crash child was not built; looked for: {string.Join(", ", candidates)}. Build Cascade.slnx (the test project references it).");
    }
}
