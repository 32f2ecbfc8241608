using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Cascade.Server.Tests;

/// <summary>
/// A fact that needs Debian's <c>prometheus</c> on the PATH. .ci/run installs it and sets CASCADE_REQUIRE_SERVERS=1, so
/// there a missing binary fails the test; elsewhere it is skipped with the reason printed.
/// </summary>
public sealed class PrometheusFactAttribute : FactAttribute
{
    public PrometheusFactAttribute()
    {
        if (PrometheusScrapeTests.Binary() is null && Environment.GetEnvironmentVariable("CASCADE_REQUIRE_SERVERS") != "1")
        {
            Skip = "prometheus is not installed (apt-get install -y prometheus; .ci/run does it).";
        }
    }
}

/// <summary>A real Prometheus scrapes a real server's /metrics, and a query through Prometheus's HTTP API reads the figures back.</summary>
public sealed class PrometheusScrapeTests
{
    internal static string? Binary() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "prometheus")).FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [PrometheusFact]
    public async Task Prometheus_scrapes_the_server_and_answers_a_query_on_its_request_histogram()
    {
        string binary = Binary() ?? throw new InvalidOperationException("prometheus is not on the PATH although CASCADE_REQUIRE_SERVERS=1");
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:TrainOnStart"] = "false" });
        const int Requests = 7;
        for (int i = 0; i < Requests; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", $$"""[{"userId":"u{{i}}","itemId":"i{{i}}","type":"click"}]""")).StatusCode);
        }
        string dir = Path.Combine(Path.GetTempPath(), "cascade-prometheus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        int port = FreePort();
        var target = server.Client.BaseAddress!;
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: cascade
                metrics_path: /metrics
                static_configs:
                  - targets: ["{target.Host}:{target.Port}"]
            """);
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[$"--config.file={Path.Combine(dir, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(dir, "data")}",
            $"--web.listen-address=127.0.0.1:{port}"])
        {
            psi.ArgumentList.Add(a);
        }
        using var prometheus = Process.Start(psi)!;
        var log = new System.Text.StringBuilder();
        prometheus.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        prometheus.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            string query = Uri.EscapeDataString("sum(cascade_http_request_duration_seconds_count{endpoint=\"/v1/events\",method=\"POST\",status=\"200\"})");
            double seen = -1;
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(90) && seen < Requests)
            {
                await Task.Delay(500); // Prometheus scrapes every second; the loop waits for its first scrapes, not for the server
                try
                {
                    using var answer = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/query?query={query}"));
                    var result = answer.RootElement.GetProperty("data").GetProperty("result");
                    if (result.GetArrayLength() > 0)
                    {
                        seen = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                    }
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
            }
            string output;
            lock (log)
            {
                output = log.ToString();
            }
            // At least this test's requests: the instruments are process-wide, so other tests' servers in this test
            // process may add to the same series while it runs.
            Assert.True(seen >= Requests, $"Prometheus answered {seen} for the request count (expected at least {Requests}); its log:\n{output}");
            using var up = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString("up{job=\"cascade\"}")}"));
            Assert.Equal("1", up.RootElement.GetProperty("data").GetProperty("result")[0].GetProperty("value")[1].GetString());
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
