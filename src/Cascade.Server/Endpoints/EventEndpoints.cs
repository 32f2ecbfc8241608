using Cascade.Server.Infrastructure;
using Cascade.Serving.Ingestion;
using Cascade.Storage.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Feedback events: write one or a batch; read a user's events.</summary>
internal static class EventEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var write = app.MapGroup("").WithTags("Events").RequireScope(Scope.Write);
        var read = app.MapGroup("").WithTags("Events").RequireScope(Scope.Read);
        write.MapPost("/v1/events", PostEvents).WithJsonBody<EventInput>(batch: null)
            .WithSummary("Record one event (a JSON object) or a batch (a JSON array). Acknowledged once durable; a repeated eventId is acknowledged and stored once.")
            .Accepts<EventInput[]>("application/json").Produces<BatchResponse>().Produces<EventAck>()
            .ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(422);
        read.MapGet("/v1/users/{id}/events", GetUserEvents)
            .WithSummary("A user's events, newest first (limit 1–1000, default 100).").Produces<EventView[]>().ProducesProblem(422);
    }

    // A batch is recognised by the body being an array, so one object and an array are both accepted here.
    private static async Task<IResult> PostEvents(HttpContext http, IngestService ingest)
    {
        var body = http.Body<EventInput>();
        var results = await ingest.IngestEventsAsync(http.App(), body.Elements, body.IsBatch);
        if (body.IsBatch)
        {
            return BatchResponse.Result(results);
        }
        var r = results[0];
        return r.Errors is { } errors ? Problems.Invalid(errors) : Results.Ok(new EventAck(r.Status, r.Sequence!.Value));
    }

    private static async Task<IResult> GetUserEvents(string id, string? limit, HttpContext http, CascadeEngine engine)
    {
        string appName = http.App();
        if (InputValidator.WhyNotId(id) is { } bad)
        {
            return Problems.Invalid("id", bad);
        }
        int n = 100;
        if (limit is not null && (!int.TryParse(limit, out n) || n is < 1 or > 1000))
        {
            return Problems.Invalid("limit", $"'{limit}' is not an integer between 1 and 1000");
        }
        // Read your writes: wait (briefly) for the catalog to apply everything acknowledged so far.
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(5), http.RequestAborted);
        var events = engine.Catalog.GetUserEvents(appName, id, n);
        return Results.Ok(events.Select(e => new EventView(e.EventId, e.UserId, e.ItemId, e.Type, e.Value,
            DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs), e.RequestId, e.Position)).ToArray());
    }
}

/// <summary>The answer to a single event.</summary>
/// <param name="Status">stored or duplicate.</param>
/// <param name="Sequence">The log sequence holding it.</param>
internal sealed record EventAck(ElementStatus Status, long Sequence);

/// <summary>An event as the API returns it.</summary>
internal sealed record EventView(string? EventId, string UserId, string ItemId, string Type, double? Value, DateTimeOffset Timestamp, string? RequestId, int? Position);
