using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cascade.Client.Bench;

/// <summary>The real server, <c>cascade serve</c>, as a child process on a free loopback port over a fresh data folder.</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dataDirectory;
    private int _disposed;

    private LoopbackServer(Process process, string dataDirectory, Uri address)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        Address = address;
    }

    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The repository root (the folder holding Cascade.slnx).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cascade.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Cascade.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Starts the server built beside this benchmark (same configuration) and waits until it is live.</summary>
    public static async Task<LoopbackServer> StartAsync()
    {
        string cli = Path.Combine(AppContext.BaseDirectory.Replace("Cascade.Client.Bench", "Cascade.Cli", StringComparison.Ordinal), "cascade.dll");
        if (!File.Exists(cli))
        {
            throw new FileNotFoundException($"cascade.dll not found at {cli}; build with: dotnet build -c Release bench/Cascade.Client.Bench", cli);
        }
        string data = Path.Combine(Path.GetTempPath(), "cascade-client-bench", Guid.NewGuid().ToString("N"));
        var address = new Uri($"http://127.0.0.1:{FreePort()}/");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { cli, "serve", "--data-dir", data, "--urls", address.ToString().TrimEnd('/') })
        {
            psi.ArgumentList.Add(a);
        }
        // Trainings only when asked (the benchmark trains once, before measuring); only warnings in the log.
        psi.Environment["Cascade__TrainingIntervalSeconds"] = "0";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 })
            {
                Console.Error.WriteLine("server: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LoopbackServer(process, data, address);
        // Should the benchmark process end without disposing it, the server goes with it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"cascade serve exited with code {process.ExitCode}");
            }
            try
            {
                using var live = await probe.GetAsync(new Uri("health/live", UriKind.Relative));
                if (live.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // A probe timed out while the server starts.
            }
            await Task.Delay(100);
        }
        server.Dispose();
        throw new TimeoutException($"cascade serve did not answer {address}health/live within 60 s");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS temp cleaner gets the rest.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
