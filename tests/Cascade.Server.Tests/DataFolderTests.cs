using System.Text.Json;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;

namespace Cascade.Server.Tests;

/// <summary>The server and its data folder: one process per folder, and repairs made at open are visible.</summary>
public class DataFolderTests
{
    private static string NewFolder() => Path.Combine(Path.GetTempPath(), "cascade-server-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_second_server_on_the_same_data_folder_is_refused_naming_the_first_ones_pid()
    {
        await using var first = await RunningServer.StartAsync();
        var ex = Assert.Throws<DataFolderLockedException>(() => CascadeServer.Build([], new Dictionary<string, string?>
        {
            ["Cascade:DataDirectory"] = first.DataDirectory,
            ["urls"] = "http://127.0.0.1:0",
        }));
        Assert.Contains($"in use by process {Environment.ProcessId}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_torn_tail_truncated_at_open_is_listed_by_health_ready_with_its_bytes()
    {
        string dir = NewFolder();
        using (var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir }))
        {
            await engine.AppendEventsAsync([.. Enumerable.Range(0, 20).Select(i => new FeedbackEvent(Apps.Default, $"e{i}", "u1", $"i{i}", "click", null, 1_700_000_000_000 + i, null, null))]);
        }
        string segment = Directory.GetFiles(Path.Combine(dir, "log"), "*.log").Single();
        using (var file = new FileStream(segment, FileMode.Append, FileAccess.Write))
        {
            file.Write([.. Enumerable.Range(0, 77).Select(i => (byte)(i * 5 + 1))]); // a group commit cut short
        }

        await using var server = await RunningServer.StartAsync(new() { ["Cascade:DataDirectory"] = dir });
        var response = await server.Client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var repair = Assert.Single(body.GetProperty("repairs").EnumerateArray());
        Assert.Equal("log-torn-tail", repair.GetProperty("kind").GetString());
        Assert.Equal(77, repair.GetProperty("bytesDropped").GetInt64());
        Assert.Equal(0, repair.GetProperty("recordsLost").GetInt64());
        Assert.Equal(20, body.GetProperty("logSequence").GetInt64());
        Directory.Delete(dir, recursive: true);
    }
}
