using Cascade.Core.Domain;
using Cascade.Server.Infrastructure;
using Cascade.Serving.Ingestion;
using Cascade.Storage.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Items and users: PUT/GET one, POST a batch, hide an item.</summary>
internal static class CatalogEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var readItems = app.MapGroup("/v1/items").WithTags("Items").RequireScope(Scope.Read);
        var writeItems = app.MapGroup("/v1/items").WithTags("Items").RequireScope(Scope.Write);
        writeItems.MapPut("/{id}", PutItem).WithJsonBody<ItemInput>(batch: false).WithSummary("Create or replace an item.").Accepts<ItemInput>("application/json")
            .Produces<ItemView>().ProducesProblem(400).ProducesProblem(422);
        readItems.MapGet("/{id}", GetItem).WithSummary("Get an item.").Produces<ItemView>().ProducesProblem(404);
        writeItems.MapPost("/", PostItems).WithJsonBody<ItemInput>(batch: true).WithSummary("Create or replace a batch of items (a JSON array, each with an id); answers per element.")
            .Accepts<ItemInput[]>("application/json").Produces<BatchResponse>().ProducesProblem(400).ProducesProblem(413).ProducesProblem(422);
        writeItems.MapPost("/{id}/hide", HideItem).WithSummary("Hide an item: it is never recommended again until replaced with hidden=false.")
            .Produces<ItemView>().ProducesProblem(404);

        var readUsers = app.MapGroup("/v1/users").WithTags("Users").RequireScope(Scope.Read);
        var writeUsers = app.MapGroup("/v1/users").WithTags("Users").RequireScope(Scope.Write);
        writeUsers.MapPut("/{id}", PutUser).WithJsonBody<UserInput>(batch: false).WithSummary("Create or replace a user.").Accepts<UserInput>("application/json")
            .Produces<UserView>().ProducesProblem(400).ProducesProblem(422);
        readUsers.MapGet("/{id}", GetUser).WithSummary("Get a user.").Produces<UserView>().ProducesProblem(404);
        writeUsers.MapPost("/", PostUsers).WithJsonBody<UserInput>(batch: true).WithSummary("Create or replace a batch of users (a JSON array, each with an id); answers per element.")
            .Accepts<UserInput[]>("application/json").Produces<BatchResponse>().ProducesProblem(400).ProducesProblem(413).ProducesProblem(422);
    }

    private static async Task<IResult> PutItem(string id, HttpContext http, IngestService ingest)
    {
        string app = http.App();
        var results = await ingest.UpsertItemsAsync(app, http.Body<ItemInput>().Elements, id, http.RequestAborted);
        return results[0].Errors is { } errors ? Problems.Invalid(errors) : Results.Ok(ItemView.From(ingest.Engine.Catalog.GetItem(app, id)!));
    }

    private static async Task<IResult> PostItems(HttpContext http, IngestService ingest) =>
        BatchResponse.Result(await ingest.UpsertItemsAsync(http.App(), http.Body<ItemInput>().Elements, null, http.RequestAborted));

    private static async Task<IResult> PutUser(string id, HttpContext http, IngestService ingest)
    {
        string app = http.App();
        var results = await ingest.UpsertUsersAsync(app, http.Body<UserInput>().Elements, id, http.RequestAborted);
        return results[0].Errors is { } errors ? Problems.Invalid(errors) : Results.Ok(UserView.From(ingest.Engine.Catalog.GetUser(app, id)!));
    }

    private static async Task<IResult> PostUsers(HttpContext http, IngestService ingest) =>
        BatchResponse.Result(await ingest.UpsertUsersAsync(http.App(), http.Body<UserInput>().Elements, null, http.RequestAborted));

    private static IResult GetItem(string id, HttpContext http, CascadeEngine engine) =>
        InputValidator.WhyNotId(id) is { } bad ? Problems.Invalid("id", bad)
        : engine.Catalog.GetItem(http.App(), id) is { } item ? Results.Ok(ItemView.From(item)) : Problems.NotFound("Item", id);

    private static IResult GetUser(string id, HttpContext http, CascadeEngine engine) =>
        InputValidator.WhyNotId(id) is { } bad ? Problems.Invalid("id", bad)
        : engine.Catalog.GetUser(http.App(), id) is { } user ? Results.Ok(UserView.From(user)) : Problems.NotFound("User", id);

    private static async Task<IResult> HideItem(string id, HttpContext http, CascadeEngine engine)
    {
        string app = http.App();
        if (InputValidator.WhyNotId(id) is { } bad)
        {
            return Problems.Invalid("id", bad);
        }
        if (engine.Catalog.GetItem(app, id) is null)
        {
            return Problems.NotFound("Item", id);
        }
        await engine.HideItemAsync(app, id, http.RequestAborted);
        return Results.Ok(ItemView.From(engine.Catalog.GetItem(app, id)!));
    }
}

/// <summary>An item as the API returns it.</summary>
internal sealed record ItemView(string Id, string Title, IReadOnlyList<string> Categories, IReadOnlyList<string> Tags, System.Text.Json.JsonElement Attributes,
    DateTimeOffset CreatedAt, bool Hidden, DateTimeOffset? ExpiresAt)
{
    public static ItemView From(Item i) => new(i.Id, i.Title, i.Categories, i.Tags, Parse(i.AttributesJson), i.CreatedAt, i.Hidden, i.ExpiresAt);

    internal static System.Text.Json.JsonElement Parse(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}

/// <summary>A user as the API returns it.</summary>
internal sealed record UserView(string Id, System.Text.Json.JsonElement Attributes)
{
    public static UserView From(User u) => new(u.Id, ItemView.Parse(u.AttributesJson));
}

/// <summary>The answer to a batch write: counts and one result per element, in request order.</summary>
internal sealed record BatchResponse(int Stored, int Duplicates, int Invalid, IReadOnlyList<ElementResult> Results)
{
    public static IResult Result(IReadOnlyList<ElementResult> results)
    {
        int stored = 0, dup = 0, invalid = 0;
        foreach (var r in results)
        {
            switch (r.Status)
            {
                case ElementStatus.Stored: stored++; break;
                case ElementStatus.Duplicate: dup++; break;
                default: invalid++; break;
            }
        }
        if (invalid == results.Count)
        {
            return Problems.Invalid([.. results.SelectMany(r => r.Errors ?? [])]);
        }
        return Microsoft.AspNetCore.Http.Results.Ok(new BatchResponse(stored, dup, invalid, results));
    }
}
