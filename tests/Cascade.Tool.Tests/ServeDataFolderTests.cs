using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Cascade.Tool.Tests;

/// <summary>Which data folder <c>cascade serve</c> opens: the flag, else the configuration, else CASCADE_DATA_DIR.</summary>
public sealed class ServeDataFolderTests
{
    [Fact]
    public async Task Serve_without_the_flag_opens_the_folder_the_environment_configures()
    {
        string root = Directory.CreateTempSubdirectory("cascade-serve-dir-").FullName;
        string configured = Path.Combine(root, "configured");
        string cwd = Directory.CreateDirectory(Path.Combine(root, "cwd")).FullName;
        try
        {
            int port = FreePort();
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
            foreach (string a in new[] { Cli.CascadeDll(), "serve", "--urls", $"http://127.0.0.1:{port}" })
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["Cascade__DataDirectory"] = configured;
            psi.Environment["Cascade__TrainOnStart"] = "false";
            psi.Environment.Remove("CASCADE_DATA_DIR");
            using var server = Process.Start(psi)!;
            var stdout = server.StandardOutput.ReadToEndAsync();
            var stderr = server.StandardError.ReadToEndAsync();
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                bool live = false;
                for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(120) && !server.HasExited && !live; await Task.Delay(250))
                {
                    try
                    {
                        live = (await http.GetAsync($"http://127.0.0.1:{port}/health/live")).StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException)
                    {
                    }
                    catch (TaskCanceledException)
                    {
                    }
                }
                Assert.True(live, "the server did not come up: " + (server.HasExited ? await stderr : "still starting"));
            }
            finally
            {
                if (!server.HasExited)
                {
                    server.Kill(entireProcessTree: true);
                }
                await server.WaitForExitAsync();
                _ = await stdout;
                _ = await stderr;
            }
            Assert.True(Directory.Exists(configured) && Directory.EnumerateFileSystemEntries(configured).Any(), "Cascade__DataDirectory was not used");
            Assert.False(Directory.Exists(Path.Combine(cwd, "cascade-data")), "the default folder was opened instead of the configured one");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
