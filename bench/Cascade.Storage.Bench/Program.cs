// The storage benchmarks of docs/benchmarks.md.
//
//   dotnet run -c Release --project bench/Cascade.Storage.Bench [-- <what> [options]]
//
//   all (default)               ingestion table, then each matrix scenario in a fresh child process
//                               (--snapshot-10m adds the snapshot of a 10M-event log: its preparation takes minutes)
//   ingest [events] [dir]       durable ingestion through CascadeEngine.AppendEventsAsync, fsync every batch
//   matrix <events>             CsrMatrixBuilder on synthetic triples (one process per run: peak memory is its own)
//   snapshot <events>           InteractionSnapshot.Build from an event log of <events> events (filled by a separate
//                               "fill" process first, so the snapshot process's peak memory is its own)
//   trickle <data-dir> [seconds] [events/s] [batch]
//                               impressions appended at a steady rate in small batches (the serving write pattern)
//                               into an existing data folder (use a copy: it grows); prints the process CPU spent
//
// Data folders go under --dir (default: the system temp folder); fsync figures mean nothing on tmpfs, so the
// file system type of the folder is printed with the results.
using System.Diagnostics;
using System.Globalization;
using Cascade.Storage.Bench;

var culture = CultureInfo.InvariantCulture;
CultureInfo.DefaultThreadCurrentCulture = culture;
CultureInfo.CurrentCulture = culture;

string what = args.Length > 0 ? args[0] : "all";
string root = Option("--dir") ?? Path.Combine(Path.GetTempPath(), "cascade-storage-bench");
Directory.CreateDirectory(root);

switch (what)
{
    case "ingest":
        Ingestion.PrintTable(Ingestion.RunAll(root, Count(1, 300_000)));
        return 0;
    case "matrix":
        Console.WriteLine(MatrixBench.RunBuilder(Count(1, 1_000_000)).ToLine());
        return 0;
    case "fill":
        Console.WriteLine(MatrixBench.Fill(Count(1, 1_000_000), args[2]).ToString("R", culture));
        return 0;
    case "snapshot" when args.Length > 3 && args[2] != "--dir":
        Console.WriteLine(MatrixBench.RunSnapshot(Count(1, 1_000_000), args[2], double.Parse(args[3], culture)).ToLine());
        return 0;
    case "snapshot":
        Console.WriteLine(RunSnapshotPair(Count(1, 1_000_000), root).ToLine());
        return 0;
    case "trickle" when args.Length > 1:
        Console.WriteLine(Trickle.Run(args[1], Count(2, 40), Count(3, 6000), Count(4, 20)));
        return 0;
    case "all":
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; data folder {root} on {FileSystemOf(root)}; load average {LoadAverage()}");
        Console.WriteLine();
        var ingest = Ingestion.RunAll(root, Count(1, 300_000));
        Ingestion.PrintTable(ingest);
        Console.WriteLine();
        var matrix = new List<MatrixResult>();
        foreach (var (scenario, n) in !args.Contains("--snapshot-10m")
    ? new[] { ("matrix", 1_000_000), ("matrix", 10_000_000), ("snapshot", 1_000_000) }
    : [("matrix", 1_000_000), ("matrix", 10_000_000), ("snapshot", 1_000_000), ("snapshot", 10_000_000)])
        {
            matrix.Add(scenario == "matrix" ? MatrixResult.Parse(LastLine(RunSelf("matrix", n.ToString(culture)))) : RunSnapshotPair(n, root));
        }
        MatrixResult.PrintTable(matrix);
        var best = ingest.Where(r => r.Path == "engine").MaxBy(r => r.EventsPerSecond)!;
        var snap1m = matrix.First(m => m.Scenario == "snapshot" && m.Events == 1_000_000);
        Console.WriteLine();
        Console.WriteLine($"summary: durable ingestion through CascadeEngine {best.EventsPerSecond:N0} events/s (median of {Ingestion.Repeats}) at best ({best.Appenders} appenders), " +
                          $"{ingest.First(r => r.Path == "engine" && r.Appenders == 1).EventsPerSecond:N0} events/s with one appender; target >= 100,000: {(ingest.Where(r => r.Path == "engine").Min(r => r.EventsPerSecond) >= 100_000 ? "met by every row" : best.EventsPerSecond >= 100_000 ? "met at best, not by every row" : "NOT met")}; " +
                          $"1M-event snapshot from the log {snap1m.ColdSeconds:0.000} s cold, {snap1m.WarmSeconds:0.000} s warm; " +
                          $"10M-event CSR build {matrix.First(m => m.Scenario == "matrix" && m.Events == 10_000_000).WarmSeconds:0.000} s warm; load average {LoadAverage()}");
        return 0;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{what}'; use all, ingest, matrix, snapshot or trickle.");
        return 2;
}

int Count(int index, int fallback) =>
    args.Length > index && int.TryParse(args[index], NumberStyles.Integer, culture, out int n) ? n : fallback;

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static MatrixResult RunSnapshotPair(int events, string root)
{
    // One process fills the data folder, a fresh one builds the snapshot: the peak working set is the snapshot's own.
    string dir = Path.Combine(root, $"snapshot-{events}-{Guid.NewGuid():N}");
    try
    {
        string prepare = LastLine(RunSelf("fill", events.ToString(CultureInfo.InvariantCulture), dir));
        return MatrixResult.Parse(LastLine(RunSelf("snapshot", events.ToString(CultureInfo.InvariantCulture), dir, prepare)));
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}

static string LastLine(string output) => output.Trim().Split('\n')[^1];

static string RunSelf(params string[] arguments)
{
    string self = Environment.GetCommandLineArgs()[0];
    var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
    {
        info.ArgumentList.Add(self);
    }
    foreach (string a in arguments)
    {
        info.ArgumentList.Add(a);
    }
    using var p = Process.Start(info)!;
    string output = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"{string.Join(' ', arguments)} failed with exit code {p.ExitCode}:\n{output}");
    }
    return output;
}

static string LoadAverage()
{
    try
    {
        return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }
    catch (IOException)
    {
        return "unknown";
    }
}

static string FileSystemOf(string path)
{
    try
    {
        string full = Path.GetFullPath(path);
        string best = "", type = "unknown";
        foreach (string line in File.ReadAllLines("/proc/mounts"))
        {
            var parts = line.Split(' ');
            if (parts.Length > 2 && full.StartsWith(parts[1], StringComparison.Ordinal) && parts[1].Length > best.Length)
            {
                best = parts[1];
                type = $"{parts[2]} ({parts[0]} at {parts[1]})";
            }
        }
        return type;
    }
    catch (IOException)
    {
        return "unknown";
    }
}
