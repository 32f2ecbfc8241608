using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cascade.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Tests;

/// <summary>Cascade:StartupBundle: a restarted server serves a saved bundle instead of training its first one.</summary>
public sealed class StartupBundleTests
{
    private static async Task<string> DataWithSavedBundle(string name)
    {
        await using var first = await RunningServer.StartAsync(new() { ["Cascade:TrainOnStart"] = "false" });
        first.KeepData = true;
        await HardeningTests.Seed(first);
        first.Services.GetRequiredService<RecommendationService>().Bundles.SaveBundle("default", Path.Combine(first.DataDirectory, "bundles", name));
        // An interaction after the save: the restarted server has new inputs, and still serves the saved bundle first.
        Assert.Equal(HttpStatusCode.OK, (await first.PostJson("/v1/events", """[{"userId":"u0","itemId":"i7","type":"click"}]""")).StatusCode);
        return first.DataDirectory;
    }

    private static async Task<JsonElement> ReadyAsync(RunningServer server)
    {
        for (int i = 0; i < 600; i++)
        {
            var response = await server.Client.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the server did not become ready");
    }

    [Fact]
    public async Task A_restarted_server_serves_the_startup_bundle_without_training()
    {
        string data = await DataWithSavedBundle("saved");
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:DataDirectory"] = data, ["Cascade:StartupBundle"] = "saved" });
        var ready = await ReadyAsync(server);
        string version = ready.GetProperty("bundleVersion").GetString()!;
        Assert.Contains("-bundle-", version, StringComparison.Ordinal); // a loaded bundle, not a trained one
        var bundles = server.Services.GetRequiredService<RecommendationService>().Bundles;
        Assert.Single(bundles.History("default"));
        Assert.True(bundles.HasNewInputs("default")); // the click after the save: the next interval's training picks it up
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/recommend/u1?n=3")).StatusCode);
    }

    [Fact]
    public async Task A_missing_startup_bundle_is_logged_and_the_app_is_trained()
    {
        string data = await DataWithSavedBundle("saved");
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:DataDirectory"] = data, ["Cascade:StartupBundle"] = "other" });
        var ready = await ReadyAsync(server);
        Assert.DoesNotContain("-bundle-", ready.GetProperty("bundleVersion").GetString()!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../saved")]
    [InlineData("/tmp/saved")]
    public void A_startup_bundle_that_is_a_path_is_refused_at_start(string value)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cascade-server-tests", Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<InvalidOperationException>(() => CascadeServer.Build([], new Dictionary<string, string?>
        {
            ["Cascade:DataDirectory"] = dir,
            ["Cascade:StartupBundle"] = value,
        }));
        Assert.Contains("Cascade:StartupBundle", ex.Message, StringComparison.Ordinal);
    }
}
