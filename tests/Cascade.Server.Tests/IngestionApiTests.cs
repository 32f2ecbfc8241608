using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Cascade.Server.Tests;

public sealed class IngestionApiTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_item_put_is_returned_by_get()
    {
        var put = await _server.PutJson("/v1/items/a1", """{"title":"Alpha","categories":["news"],"tags":["x"],"attributes":{"lang":"en"},"expiresAt":"2099-01-01T00:00:00Z"}""");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var item = await _server.Client.GetFromJsonAsync<JsonElement>("/v1/items/a1");
        Assert.Equal("Alpha", item.GetProperty("title").GetString());
        Assert.Equal("news", item.GetProperty("categories")[0].GetString());
        Assert.Equal("en", item.GetProperty("attributes").GetProperty("lang").GetString());
        Assert.False(item.GetProperty("hidden").GetBoolean());
    }

    [Fact]
    public async Task Hiding_an_item_marks_it_hidden_and_hiding_a_missing_item_is_404()
    {
        await _server.PutJson("/v1/items/h1", """{"title":"H"}""");
        var hide = await _server.Client.PostAsync("/v1/items/h1/hide", null);
        Assert.Equal(HttpStatusCode.OK, hide.StatusCode);
        Assert.True((await hide.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("hidden").GetBoolean());
        var missing = await _server.Client.PostAsync("/v1/items/nope/hide", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await Problem.ReadAsync(missing);
    }

    [Fact]
    public async Task A_batch_of_items_answers_per_element()
    {
        var response = await _server.PostJson("/v1/items", """[{"id":"b1","title":"One"},{"title":"no id"},{"id":"b3","title":"Three","attributes":"bad"}]""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, body.GetProperty("stored").GetInt32());
        Assert.Equal(2, body.GetProperty("invalid").GetInt32());
        var results = body.GetProperty("results");
        Assert.Equal("stored", results[0].GetProperty("status").GetString());
        Assert.Equal("[1].id", results[1].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal("[2].attributes", results[2].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("/v1/items/b3")).StatusCode);
    }

    [Fact]
    public async Task Users_are_put_got_and_batched()
    {
        Assert.Equal(HttpStatusCode.OK, (await _server.PutJson("/v1/users/u1", """{"attributes":{"country":"fr"}}""")).StatusCode);
        var user = await _server.Client.GetFromJsonAsync<JsonElement>("/v1/users/u1");
        Assert.Equal("fr", user.GetProperty("attributes").GetProperty("country").GetString());
        var batch = await _server.PostJson("/v1/users", """[{"id":"u2"},{"id":"u3","attributes":{"age":3}}]""");
        Assert.Equal(2, (await batch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stored").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync("/v1/users/u3")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Client.GetAsync("/v1/users/u9")).StatusCode);
    }

    [Fact]
    public async Task An_event_with_a_repeated_event_id_is_acknowledged_and_stored_once()
    {
        const string json = """{"eventId":"e-1","userId":"u1","itemId":"i1","type":"click"}""";
        var first = await (await _server.PostJson("/v1/events", json)).Content.ReadFromJsonAsync<JsonElement>();
        var second = await (await _server.PostJson("/v1/events", json)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("stored", first.GetProperty("status").GetString());
        Assert.Equal("duplicate", second.GetProperty("status").GetString());
        Assert.Equal(first.GetProperty("sequence").GetInt64(), second.GetProperty("sequence").GetInt64());
        var events = await _server.Client.GetFromJsonAsync<JsonElement>("/v1/users/u1/events");
        Assert.Equal(1, events.GetArrayLength());
        Assert.Equal("e-1", events[0].GetProperty("eventId").GetString());
    }

    [Fact]
    public async Task User_events_come_newest_first_with_all_fields_and_a_limit()
    {
        var response = await _server.PostJson("/v1/events", """
            [{"userId":"u5","itemId":"i1","type":"click","timestamp":"2026-01-01T10:00:00Z","requestId":"r1","position":0},
             {"userId":"u5","itemId":"i1","type":"rating","value":4.5,"timestamp":"2026-01-01T11:00:00Z"},
             {"userId":"u5","itemId":"i2","type":"like","timestamp":"2026-01-01T09:00:00Z"}]
            """);
        Assert.Equal(3, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("stored").GetInt32());
        var events = await _server.Client.GetFromJsonAsync<JsonElement>("/v1/users/u5/events?limit=2");
        Assert.Equal(2, events.GetArrayLength());
        Assert.Equal("rating", events[0].GetProperty("type").GetString());
        Assert.Equal(4.5, events[0].GetProperty("value").GetDouble());
        Assert.Equal("r1", events[1].GetProperty("requestId").GetString());
        Assert.Equal(0, events[1].GetProperty("position").GetInt32());
        Assert.Equal(DateTimeOffset.Parse("2026-01-01T10:00:00Z"), events[1].GetProperty("timestamp").GetDateTimeOffset());
    }

    [Fact]
    public async Task The_openapi_document_is_served_and_matches_the_checked_in_copy()
    {
        string served = await _server.Client.GetStringAsync("/openapi/v1.json");
        using var doc = JsonDocument.Parse(served);
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var p in (string[])["/v1/items/{id}", "/v1/items", "/v1/items/{id}/hide", "/v1/users/{id}", "/v1/users", "/v1/events", "/v1/users/{id}/events", "/v1/recommend/{userId}", "/health/live", "/health/ready"])
        {
            Assert.True(paths.TryGetProperty(p, out _), $"{p} is missing from the OpenAPI document");
        }
        string checkedIn = Path.Combine(RepoRoot(), "docs", "openapi.json");
        Assert.True(File.Exists(checkedIn), "docs/openapi.json is missing");
        Assert.Equal(Normalize(served), Normalize(await File.ReadAllTextAsync(checkedIn)));
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cascade.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Cascade.slnx) is not above " + AppContext.BaseDirectory);
    }

    private static string Normalize(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);
}
