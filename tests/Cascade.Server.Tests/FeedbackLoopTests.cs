using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cascade.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Tests;

/// <summary>The loop closes: what the server served and what users clicked in it trains the next ranker.</summary>
public sealed class FeedbackLoopTests
{
    // 60 users, each clicking 6–9 of 40 items.
    private static async Task PostClicks(RunningServer server, int seed)
    {
        var random = new Random(seed);
        var events = new StringBuilder("[");
        for (int u = 0; u < 60; u++)
        {
            foreach (int i in Enumerable.Range(0, 40).OrderBy(_ => random.Next()).Take(6 + random.Next(4)))
            {
                events.Append(events.Length > 1 ? "," : "").Append($$"""{"userId":"u{{u}}","itemId":"i{{i}}","type":"click"}""");
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", events.Append(']').ToString())).StatusCode);
    }

    [Fact]
    public async Task Served_lists_and_their_clicks_reach_the_next_rankers_training()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:Pipeline:Sources:0:Name"] = "pop",
            ["Cascade:Pipeline:Sources:0:Kind"] = "popular",
            ["Cascade:Pipeline:Sources:0:Quota"] = "20",
            ["Cascade:Pipeline:Sources:1:Name"] = "new",
            ["Cascade:Pipeline:Sources:1:Kind"] = "latest",
            ["Cascade:Pipeline:Sources:1:Quota"] = "20",
            ["Cascade:Pipeline:Ranker:Kind"] = "lr",
        });
        var items = string.Join(",", Enumerable.Range(0, 40).Select(i => $$"""{"id":"i{{i}}","title":"I{{i}}","categories":["c{{i % 3}}"]}"""));
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/items", $"[{items}]")).StatusCode);
        await PostClicks(server, seed: 9);
        var first = await server.Client.PostAsync("/v1/admin/train", null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(0, (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ranker").GetProperty("servedLists").GetInt32());

        // Serve lists (the server logs their impressions) and click the third item of each, joined by request id.
        var clicks = new StringBuilder("[");
        for (int u = 0; u < 30; u++)
        {
            var list = await server.Client.GetFromJsonAsync<JsonElement>($"/v1/recommend/u{u}?n=5");
            string requestId = list.GetProperty("requestId").GetString()!;
            string item = list.GetProperty("items")[2].GetProperty("itemId").GetString()!;
            clicks.Append(clicks.Length > 1 ? "," : "").Append($$"""{"userId":"u{{u}}","itemId":"{{item}}","type":"click","requestId":"{{requestId}}","position":2}""");
        }
        await server.Services.GetRequiredService<RecommendationService>().WaitForImpressionsAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", clicks.Append(']').ToString())).StatusCode);

        var second = await server.Client.PostAsync("/v1/admin/train", null);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var ranker = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ranker");
        Assert.Equal(30, ranker.GetProperty("servedLists").GetInt32());
        Assert.True(ranker.GetProperty("heldOutGroups").GetInt32() >= 20);
    }

    [Fact]
    public async Task A_ranker_with_the_servers_feature_definitions_reads_the_live_store()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:Features:IncludeUserId"] = "false",
            ["Cascade:Features:IncludeItemId"] = "false",
            ["Cascade:Pipeline:Sources:0:Name"] = "pop",
            ["Cascade:Pipeline:Sources:0:Kind"] = "popular",
            ["Cascade:Pipeline:Ranker:Kind"] = "lr",
            ["Cascade:Pipeline:Ranker:EntityFeatures:IncludeUserId"] = "false",
            ["Cascade:Pipeline:Ranker:EntityFeatures:IncludeItemId"] = "false",
        });
        await PostClicks(server, seed: 4);
        var trained = await server.Client.PostAsync("/v1/admin/train", null);
        Assert.Equal(HttpStatusCode.OK, trained.StatusCode);
        Assert.Equal("live", (await trained.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ranker").GetProperty("entityFeatures").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/recommend/u1?n=5")).StatusCode);
    }
}
