// Durable ingestion over HTTP: starts `cascade serve` (fsync on every group commit) as its own process on
// loopback and posts pre-serialised batches of events from several concurrent connections.
// Usage: dotnet run -c Release --project bench/Cascade.Ingest.Bench -- [events] [batch] [connections]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Cascade.Serving.Ingestion;
using Cascade.Tooling;

long total = args.Length > 0 ? long.Parse(args[0]) : 1_000_000;
int batchSize = args.Length > 1 ? int.Parse(args[1]) : 1_000;
int connections = args.Length > 2 ? int.Parse(args[2]) : 4;

string cli = Path.Combine(AppContext.BaseDirectory.Replace("Cascade.Ingest.Bench", "Cascade.Cli"), "cascade.dll");
if (!File.Exists(cli))
{
    Console.Error.WriteLine($"cascade.dll not found at {cli}; build with: dotnet build -c Release bench/Cascade.Ingest.Bench");
    return 1;
}
string dataDir = Path.Combine(Path.GetTempPath(), "cascade-ingest-bench-" + Guid.NewGuid().ToString("N"));
int port = FreePort();
var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
foreach (var a in (string[])[cli, "serve", "--data-dir", dataDir, "--urls", $"http://127.0.0.1:{port}"])
{
    psi.ArgumentList.Add(a);
}
psi.Environment["Cascade__TrainingIntervalSeconds"] = "0";
psi.Environment["Cascade__Durability"] = "EveryBatch";
psi.Environment["Logging__LogLevel__Default"] = "Warning";
using var server = Process.Start(psi)!;
server.OutputDataReceived += (_, _) => { };
server.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("server: " + e.Data); } };
server.BeginOutputReadLine();
server.BeginErrorReadLine();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
for (int i = 0; ; i++)
{
    try
    {
        if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
        {
            break;
        }
    }
    catch (HttpRequestException) when (i < 200)
    {
    }
    await Task.Delay(100);
}

Console.WriteLine($"Preparing {total:N0} synthetic events in batches of {batchSize:N0} (JSON serialised before timing)...");
var data = new SyntheticData(new SyntheticOptions { Users = 100_000, Items = 50_000, Events = total, Seed = 1 });
var bodies = new List<byte[]>();
var batch = new List<EventInput>(batchSize);
foreach (var e in data.Events())
{
    batch.Add(e);
    if (batch.Count == batchSize)
    {
        bodies.Add(JsonSerializer.SerializeToUtf8Bytes(batch, CascadeJson.Options));
        batch.Clear();
    }
}
if (batch.Count > 0)
{
    bodies.Add(JsonSerializer.SerializeToUtf8Bytes(batch, CascadeJson.Options));
}
long bytes = bodies.Sum(b => (long)b.Length);

int next = -1;
long stored = 0;
var latencies = new List<double>[connections];
var sw = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
{
    latencies[c] = [];
    int i;
    while ((i = Interlocked.Increment(ref next)) < bodies.Count)
    {
        var start = Stopwatch.GetTimestamp();
        using var content = new ByteArrayContent(bodies[i]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("/v1/events", content);
        string body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"batch {i}: {(int)response.StatusCode} {body}");
        }
        using var doc = JsonDocument.Parse(body);
        Interlocked.Add(ref stored, doc.RootElement.GetProperty("stored").GetInt32());
        latencies[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}));
sw.Stop();
var all = latencies.SelectMany(l => l).Order().ToArray();
double p(double q) => all[Math.Min(all.Length - 1, (int)(q * all.Length))];
double rate = stored / sw.Elapsed.TotalSeconds;
Console.WriteLine($"| events | batch | connections | seconds | events/s | MB/s | batch p50 ms | batch p99 ms |");
Console.WriteLine($"|---|---|---|---|---|---|---|---|");
Console.WriteLine($"| {stored:N0} | {batchSize:N0} | {connections} | {sw.Elapsed.TotalSeconds:0.00} | {rate:N0} | {bytes / 1e6 / sw.Elapsed.TotalSeconds:0.0} | {p(0.5):0.0} | {p(0.99):0.0} |");
Console.WriteLine($"http_events_per_second={rate:0} durability=EveryBatch batch={batchSize} connections={connections}");
server.Kill(entireProcessTree: true);
await server.WaitForExitAsync();
Directory.Delete(dataDir, recursive: true);
return 0;

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}
