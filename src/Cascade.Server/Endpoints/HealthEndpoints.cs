using Cascade.Core.Domain;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Liveness and readiness for load balancers and orchestrators.</summary>
internal static class HealthEndpoints
{
    /// <summary>Readiness fails when a projection (catalog, recent changes, online features) lags the log by more than this many records.</summary>
    private const long MaxReadyLag = 100_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" })).WithTags("Health").WithSummary("The process is up.");
        app.MapGet("/health/ready", (CascadeEngine engine, RecommendationService service) =>
        {
            var projections = engine.Projections;
            bool failed = projections.Any(p => p.Fault is not null);
            bool caughtUp = projections.All(p => p.Lag <= MaxReadyLag);
            bool ready = !failed && caughtUp;
            var body = new
            {
                status = failed ? "failed" : ready ? "ready" : "catching-up",
                bundleVersion = service.BundleVersion(Apps.Default),
                logSequence = engine.Log.LastSequence,
                catalogSequence = engine.Catalog.AppliedSequence,
                projections = projections.Select(p => new { name = p.Name, appliedSequence = p.AppliedSequence, lag = p.Lag, fault = p.Fault }),
                repairs = engine.Repairs.Select(r => new { kind = r.Kind, detail = r.Detail, recordsLost = r.RecordsLost, eventsLost = r.EventsLost, bytesDropped = r.BytesDropped, at = r.At }),
            };
            return ready ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithTags("Health").WithSummary("Ready (200) when every projection of the log (catalog, recent changes, online features) is within 100,000 records of it; otherwise 503 with status catching-up or failed. The body names each projection's applied sequence, lag and fault, the repairs opening the data folder made (torn tail truncated, derived stores rebuilt; with counts), and the default app's bundle version (null until the first training: recommendations answer 503 with Retry-After until then).");
    }
}
