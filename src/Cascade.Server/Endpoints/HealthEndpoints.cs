using Cascade.Storage.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Liveness and readiness for load balancers and orchestrators.</summary>
internal static class HealthEndpoints
{
    /// <summary>Readiness fails when the catalog lags the log by more than this many records.</summary>
    private const long MaxReadyLag = 100_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" })).WithTags("Health").WithSummary("The process is up.");
        app.MapGet("/health/ready", (CascadeEngine engine) =>
        {
            long lag = engine.Log.LastSequence - engine.Catalog.AppliedSequence;
            var body = new { status = lag <= MaxReadyLag ? "ready" : "catching-up", logSequence = engine.Log.LastSequence, catalogSequence = engine.Catalog.AppliedSequence };
            return lag <= MaxReadyLag ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithTags("Health").WithSummary("The engine is open and the catalog has caught up with the log.");
    }
}
