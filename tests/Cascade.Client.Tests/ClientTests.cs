using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Cascade.Client.Tests;

public sealed class ClientTests
{
    private static readonly CascadeItem[] Catalog =
    [
        new() { Id = "a", Title = "A", Categories = ["books"] },
        new() { Id = "b", Title = "B", Categories = ["books"] },
        new() { Id = "c", Title = "C", Categories = ["films"] },
        new() { Id = "d", Title = "D", Categories = ["films"] },
    ];

    [Fact]
    public async Task Ingested_items_users_and_events_come_back_as_explained_recommendations()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;

        var items = await client.UpsertItemsAsync(Catalog);
        Assert.Equal(4, items.Stored);
        var user = await client.UpsertUserAsync("u1", new CascadeUser { Attributes = JsonDocument.Parse("""{"country":"FR"}""").RootElement });
        Assert.Equal("FR", user.Attributes.GetProperty("country").GetString());
        var events = await client.IngestEventsAsync(
        [
            new() { UserId = "u1", ItemId = "a", Type = "click" },
            new() { UserId = "u2", ItemId = "a", Type = "click" },
            new() { UserId = "u3", ItemId = "a", Type = "click" },
            new() { UserId = "u1", ItemId = "b", Type = "click" },
            new() { UserId = "u2", ItemId = "b", Type = "click" },
            new() { UserId = "u3", ItemId = "c", Type = "click" },
        ]);
        Assert.Equal(6, events.Stored);
        var ack = await client.IngestEventAsync(new CascadeEvent { EventId = "e-1", UserId = "u2", ItemId = "c", Type = "rating", Value = 4 });
        var again = await client.IngestEventAsync(new CascadeEvent { EventId = "e-1", UserId = "u2", ItemId = "c", Type = "rating", Value = 4 });
        Assert.Equal(ElementStatus.Stored, ack.Status);
        Assert.Equal(ElementStatus.Duplicate, again.Status);
        Assert.Equal(ack.Sequence, again.Sequence);

        var trained = await client.TrainAsync();
        Assert.Equal(4, trained.Items);
        Assert.False(string.IsNullOrEmpty(trained.BundleVersion));

        var page = await client.RecommendAsync("u1", new RecommendOptions { N = 10 });
        Assert.Equal("c", page.Items[0].ItemId); // the popular item u1 has not seen
        Assert.DoesNotContain(page.Items, i => i.ItemId is "a" or "b");
        Assert.Equal(trained.BundleVersion, page.BundleVersion);

        var explained = await client.ExplainAsync("u1", n: 2);
        Assert.All(explained.Items, i => Assert.NotEmpty(i.Trail!));
        Assert.NotNull(explained.Stages);

        Assert.Equal("A", (await client.GetItemAsync("a"))!.Title);
        Assert.Null(await client.GetItemAsync("no-such-item"));
        Assert.Equal(["b", "a"], (await client.GetUserEventsAsync("u1")).Select(e => e.ItemId));
        Assert.NotEmpty((await client.PopularAsync(n: 2)).Items);
        Assert.True((await client.GetReadinessAsync()).IsReady);
        Assert.True(await client.IsLiveAsync());
        Assert.Contains((await client.GetStatsAsync()).Stages, s => s.Stage == "total");
        var ranked = await client.RankAsync(new RankRequest { Candidates = [new("a", 1.0), new("c", 2.0)] });
        Assert.Equal(2, ranked.Items.Count);
    }

    [Fact]
    public async Task An_invalid_event_is_a_typed_exception_naming_the_field_and_the_status()
    {
        await using var server = await TestServer.StartAsync();

        var e = await Assert.ThrowsAsync<CascadeApiException>(() =>
            server.Client.IngestEventAsync(new CascadeEvent { UserId = "u1", ItemId = "a", Type = "clik" }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        Assert.Equal(["type"], e.Fields);
        Assert.Contains("clik", e.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Contains("422", e.Message, StringComparison.Ordinal);
        Assert.Contains("type: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_names_the_invalid_element_and_stores_the_others()
    {
        await using var server = await TestServer.StartAsync();
        await server.Client.UpsertItemsAsync(Catalog);

        var result = await server.Client.IngestEventsAsync(
        [
            new() { UserId = "u1", ItemId = "a", Type = "click" },
            new() { UserId = "u1", ItemId = "b", Type = "rating", Value = 9 },
        ]);

        Assert.Equal(1, result.Stored);
        Assert.Equal(1, result.Invalid);
        Assert.Equal("[1].value", Assert.Single(result.Results[1].Errors!).Field);
    }

    [Fact]
    public async Task The_api_key_is_sent_and_a_missing_key_is_an_exception_naming_the_header()
    {
        var keys = new Dictionary<string, string?>
        {
            ["Cascade:ApiKeys:0:Key"] = "writer-key-0123456789",
            ["Cascade:ApiKeys:0:App"] = "shop",
            ["Cascade:ApiKeys:0:Scopes:0"] = "write",
        };
        await using (var withKey = await TestServer.StartAsync(keys, apiKey: "writer-key-0123456789"))
        {
            Assert.Equal("K", (await withKey.Client.UpsertItemAsync("k1", new CascadeItem { Title = "K" })).Title);
        }
        await using var withoutKey = await TestServer.StartAsync(keys);

        var e = await Assert.ThrowsAsync<CascadeApiException>(() => withoutKey.Client.UpsertItemAsync("k1", new CascadeItem { Title = "K" }));

        Assert.Equal(401, e.Status);
        Assert.Contains("X-Api-Key", e.Fields);
    }

    [Fact]
    public async Task A_cancelled_call_stops_with_the_callers_token()
    {
        await using var server = await TestServer.StartAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.Client.RecommendAsync("u1", cancellationToken: cancelled.Token));
    }

    [Fact]
    public void A_client_without_a_base_address_is_refused_naming_the_option()
    {
        var services = new ServiceCollection();
        services.AddCascadeClient(o => o.ApiKey = "k");
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<CascadeClient>());

        Assert.Contains("BaseAddress", e.Message, StringComparison.Ordinal);
    }
}
