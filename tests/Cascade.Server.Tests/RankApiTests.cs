using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cascade.Server.Tests;

/// <summary>POST /v1/rank: pCTR × bid with a reserve and the second-price rule, over the online features.</summary>
public sealed class RankApiTests
{
    [Fact]
    public async Task Ads_are_ranked_by_expected_value_pay_the_second_price_and_losers_are_explained()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:TrainingIntervalSeconds"] = "0" });
        await server.PostJson("/v1/items", """[{"id":"a","title":"A"},{"id":"b","title":"B"},{"id":"c","title":"C"}]""");
        var events = new StringBuilder("[");
        for (int i = 0; i < 10; i++)
        {
            events.Append(i > 0 ? "," : "").Append($$"""{"userId":"v{{i}}","itemId":"a","type":"impression"},{"userId":"v{{i}}","itemId":"b","type":"impression"}""");
            if (i < 5)
            {
                events.Append($$""",{"userId":"v{{i}}","itemId":"a","type":"click"}""");
            }
        }
        var ack = await server.PostJson("/v1/events", events.Append(']').ToString());
        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);

        await server.SettledAsync(); // the online feature store applies the events in the background
        var response = await server.PostJson("/v1/rank", """{"userId":"x","candidates":[{"itemId":"b","bid":3},{"itemId":"a","bid":1},{"itemId":"c","bid":0.5}],"reservePrice":0.05}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var r = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(28, r.GetProperty("featuresAsOfSequence").GetInt64()); // 3 items + 25 events
        var items = r.GetProperty("items").EnumerateArray().ToArray();
        // Smoothed CTR (positives + 0.05 × 10) / (impressions + 10): a = 5.5/20, b = 0.5/20, c = 0.5/10.
        double pa = items.Single(i => i.GetProperty("itemId").GetString() == "a").GetProperty("pCtr").GetDouble();
        double pb = items.Single(i => i.GetProperty("itemId").GetString() == "b").GetProperty("pCtr").GetDouble();
        Assert.Equal(0.275, pa, 1e-4);
        Assert.Equal(0.025, pb, 1e-4);
        Assert.Equal(["a", "b", "c"], items.Select(i => i.GetProperty("itemId").GetString()));
        Assert.Equal(1, items[0].GetProperty("rank").GetInt32());
        // a pays what keeps it above b: b's value (0.025 × 3) / a's pCTR, below its bid of 1.
        Assert.Equal(pb * 3 / pa, items[0].GetProperty("price").GetDouble(), 1e-6);
        Assert.Equal(2, items[1].GetProperty("rank").GetInt32());
        Assert.Equal(0.05 / pb, items[1].GetProperty("price").GetDouble(), 1e-6); // last winner pays the reserve
        Assert.False(items[2].TryGetProperty("rank", out _)); // below the reserve: no rank
        Assert.Contains("below the reserve", items[2].GetProperty("explanation").GetString(), StringComparison.Ordinal);
        Assert.All(items, i => Assert.Equal("empirical", i.GetProperty("pCtrSource").GetString()));

        foreach (var (body, field) in new[]
        {
            ("""{"candidates":[]}""", "candidates"),
            ("""{"candidates":[{"itemId":"a","bid":1},{"itemId":"b"}]}""", "candidates[1].bid"),
            ("""{"candidates":[{"itemId":"a","bid":-1}]}""", "candidates[0].bid"),
            ("""{"candidates":[{"itemId":"a"}],"reservePrice":-2}""", "reservePrice"),
            ("""{"candidates":[{"itemId":""}]}""", "candidates[0].itemId"),
            ("""{"candidates":[{"itemId":"a"},{"itemId":"a"}]}""", "candidates"),
        })
        {
            var bad = await server.PostJson("/v1/rank", body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
            Assert.Contains(field, await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
