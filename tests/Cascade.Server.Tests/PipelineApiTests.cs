using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cascade.Core.Domain;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Tests;

/// <summary>The pipeline endpoints over a real server: explanations, pagination, sessions, listings, impressions.</summary>
public sealed class PipelineApiTests
{
    private static async Task<RunningServer> Seeded()
    {
        var server = await RunningServer.StartAsync(new() { ["Cascade:TrainingIntervalSeconds"] = "0" });
        var items = new StringBuilder("[");
        for (int i = 0; i < 30; i++)
        {
            items.Append(i > 0 ? "," : "").Append($$"""{"id":"i{{i}}","title":"Item {{i}}","categories":["c{{i % 3}}"],"createdAt":"2026-01-{{(i % 28) + 1:00}}T00:00:00Z"}""");
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/items", items.Append(']').ToString())).StatusCode);
        var events = new StringBuilder("[");
        var random = new Random(3);
        for (int u = 0; u < 20; u++)
        {
            for (int k = 0; k < 6; k++)
            {
                int item = Math.Min(random.Next(30), random.Next(30));
                events.Append(events.Length > 1 ? "," : "").Append($$"""{"userId":"u{{u}}","itemId":"i{{item}}","type":"click"}""");
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", events.Append(']').ToString())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
        return server;
    }

    private static string[] Ids(JsonElement response) => [.. response.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!)];

    [Fact]
    public async Task Explain_returns_each_items_trail_and_the_stage_timings()
    {
        await using var server = await Seeded();
        var r = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u1?n=5&explain=true");
        Assert.Equal(5, r.GetProperty("items").GetArrayLength());
        foreach (var item in r.GetProperty("items").EnumerateArray())
        {
            Assert.NotEmpty(item.GetProperty("sources").EnumerateArray());
            var trail = item.GetProperty("trail").EnumerateArray().ToArray();
            Assert.Contains(trail, t => t.GetProperty("stage").GetString()!.StartsWith("source:", StringComparison.Ordinal));
        }
        var stages = r.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()).ToArray();
        Assert.Contains("merge", stages);
        Assert.Empty(r.GetProperty("degraded").EnumerateArray());
        var plain = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u1?n=5");
        Assert.False(plain.GetProperty("items")[0].TryGetProperty("trail", out _));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await server.Client.GetAsync("/v1/recommend/u1?explain=maybe")).StatusCode);
    }

    [Fact]
    public async Task Pages_followed_by_cursor_never_repeat_an_item_and_bad_cursors_are_refused()
    {
        await using var server = await Seeded();
        var seen = new HashSet<string>();
        string? cursor = null;
        for (int page = 0; page < 4; page++)
        {
            var r = await server.Client.GetFromJsonAsync<JsonElement>($"/v1/recommend/u2?n=4{(cursor is null ? "" : "&cursor=" + cursor)}");
            foreach (string id in Ids(r))
            {
                Assert.True(seen.Add(id), $"page {page} repeats {id}");
            }
            cursor = r.GetProperty("nextCursor").GetString();
            Assert.NotNull(cursor);
        }
        var tampered = cursor![..^2] + (cursor[^2] == 'A' ? "BB" : "AA");
        var bad = await server.Client.GetAsync($"/v1/recommend/u2?n=4&cursor={tampered}");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("cursor", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // A cursor is bound to its user: another user's request refuses it.
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Client.GetAsync($"/v1/recommend/u3?n=4&cursor={cursor}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Client.GetAsync("/v1/recommend/u3?cursor=garbage!!")).StatusCode);
    }

    [Fact]
    public async Task An_anonymous_session_gets_items_outside_its_history_and_bad_bodies_name_the_field()
    {
        await using var server = await Seeded();
        var response = await server.PostJson("/v1/recommend", """{"items":["i1","i2","i3"],"n":5}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var r = await response.Content.ReadFromJsonAsync<JsonElement>();
        var ids = Ids(r);
        Assert.Equal(5, ids.Length);
        Assert.DoesNotContain("i1", ids);
        Assert.DoesNotContain("i2", ids);
        foreach (var (body, field) in new[] { ("""{"n":0}""", "n"), ("""{"items":[""]}""", "items[0]"), ("""{"userId":" "}""", "userId") })
        {
            var badResponse = await server.PostJson("/v1/recommend", body);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, badResponse.StatusCode);
            Assert.Contains(field, await badResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await server.PostJson("/v1/recommend", """{"itemz":[]}""")).StatusCode);
    }

    [Fact]
    public async Task Similar_popular_and_latest_list_servable_items_and_unknown_names_are_client_errors()
    {
        await using var server = await Seeded();
        var similar = await server.Client.GetFromJsonAsync<JsonElement>("/v1/similar/i0?n=5");
        Assert.DoesNotContain("i0", Ids(similar));
        Assert.NotEmpty(Ids(similar));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/v1/similar/nope")).StatusCode);

        var popular = Ids(await server.Client.GetFromJsonAsync<JsonElement>("/v1/popular?n=3"));
        Assert.Equal(3, popular.Length);
        var inCategory = Ids(await server.Client.GetFromJsonAsync<JsonElement>("/v1/popular?n=20&category=c1"));
        Assert.All(inCategory, id => Assert.Equal(1, int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture) % 3));

        var latest = Ids(await server.Client.GetFromJsonAsync<JsonElement>("/v1/latest?n=2"));
        Assert.Equal(["i27", "i26"], latest); // created 2026-01-28 and -27
        await server.Client.PostAsync("/v1/items/i27/hide", null); // acknowledged once applied to the catalog and the request path
        latest = Ids(await server.Client.GetFromJsonAsync<JsonElement>("/v1/latest?n=2"));
        Assert.Equal(["i26", "i25"], latest);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await server.Client.GetAsync("/v1/latest?category=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await server.Client.GetAsync("/v1/recommend/u1?category=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await server.Client.GetAsync("/v1/popular?n=0")).StatusCode);
    }

    [Fact]
    public async Task Served_items_are_logged_as_impressions_with_the_request_id_and_positions()
    {
        await using var server = await Seeded();
        var r = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u4?n=3");
        string requestId = r.GetProperty("requestId").GetString()!;
        var ids = Ids(r);
        await server.SettledAsync(); // impressions are written after the response, without delaying it
        // Impressions live in the event log (the projections that need them read it there), not in the catalog's
        // per-user event rows: the user's event list shows interactions only.
        var engine = server.Services.GetRequiredService<CascadeEngine>();
        FeedbackEvent[] impressions = [.. engine.Log.ReadFrom(1)
            .Where(record => record.Kind == RecordKind.Event)
            .Select(record => RecordCodec.DecodeEvent(record.Payload.Span))
            .Where(e => e.Type == "impression" && e.RequestId == requestId)];
        Assert.Equal(3, impressions.Length);
        Assert.All(impressions, e => Assert.Equal("u4", e.UserId));
        Assert.Equal("default", r.GetProperty("variant").GetString());
        Assert.Equal(ids, impressions.OrderBy(e => e.Position).Select(e => e.ItemId));
        var events = await server.Client.GetFromJsonAsync<JsonElement>("/v1/users/u4/events?limit=1000");
        Assert.NotEmpty(events.EnumerateArray());
        Assert.DoesNotContain(events.EnumerateArray(), e => e.GetProperty("type").GetString() == "impression");
    }

    [Fact]
    public async Task Stats_show_the_in_memory_state_and_a_second_training_trims_the_recent_changes()
    {
        await using var server = await Seeded();
        await server.SettledAsync();
        var state = (await server.Client.GetFromJsonAsync<JsonElement>("/v1/admin/stats")).GetProperty("state");
        Assert.Equal(20, state.GetProperty("featureUsers").GetInt32());
        Assert.Equal(30, state.GetProperty("featureItems").GetInt32());
        Assert.InRange(state.GetProperty("featurePairs").GetInt64(), 20, 120); // distinct clicked (user, item) pairs
        Assert.Equal(20, state.GetProperty("recentUsers").GetInt32()); // every click came after the server started
        Assert.True(state.GetProperty("workingSetMb").GetDouble() > 0);

        var trained = await (await server.Client.PostAsync("/v1/admin/train", null)).Content.ReadFromJsonAsync<JsonElement>();
        state = (await server.Client.GetFromJsonAsync<JsonElement>("/v1/admin/stats")).GetProperty("state");
        Assert.Equal(0, state.GetProperty("recentUsers").GetInt32()); // both bundles include every click now
        Assert.Equal(trained.GetProperty("sequence").GetInt64(), state.GetProperty("recentFloor").GetInt64());
    }

    [Fact]
    public async Task A_training_is_followed_by_a_heap_compaction_that_stats_report()
    {
        await using var server = await Seeded();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
        // The compaction runs after the swap's checkpoint, in the background: the training's answer does not wait for it.
        var compaction = await server.Services.GetRequiredService<RecommendationService>().Bundles.WaitForCompactionAsync(1).WaitAsync(TimeSpan.FromSeconds(60));
        var gc = (await server.Client.GetFromJsonAsync<JsonElement>("/v1/admin/stats")).GetProperty("gc");
        Assert.True(gc.GetProperty("compactions").GetInt32() >= 1, gc.ToString());
        Assert.True(gc.GetProperty("lastCompactionPauseMs").GetDouble() >= 0);
        Assert.True(gc.GetProperty("gen2").GetInt32() >= 1);
        Assert.True(compaction.WorkingSetAfter > 0 && compaction.HeapAfter > 0);
    }

    [Fact]
    public async Task A_request_names_its_variant_and_a_bad_variant_is_refused()
    {
        await using var server = await Seeded();
        var r = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u1?n=2&variant=arm-b");
        Assert.Equal("arm-b", r.GetProperty("variant").GetString());
        var session = await server.PostJson("/v1/recommend", """{"items":["i1"],"n":2,"variant":"arm-c"}""");
        Assert.Equal("arm-c", (await session.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("variant").GetString());
        foreach (var bad in new[]
        {
            await server.Client.GetAsync("/v1/recommend/u1?variant=has%20space"),
            await server.Client.GetAsync("/v1/recommend/u1?variant=" + new string('v', FeedbackEvent.MaxVariantLength + 1)),
            await server.PostJson("/v1/recommend", """{"items":["i1"],"variant":""}"""),
        })
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
            Assert.Contains("variant", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
