using System.Globalization;
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
        app.MapGet("/health/ready", Ready).WithTags("Health").WithSummary(
            "Ready (200) when the server can serve the configured pipeline: every projection of the log (catalog, interactions, recent changes, online features, the dashboard's counters) is within 100,000 records of it, and every app the API keys name (the default app without keys) has a bundle — or, the documented fallback, holds no interactions yet (serving no-data: ingestion works, recommendations answer 503 until data arrives and a training runs). Otherwise 503 with Retry-After and status catching-up, training (a bundle is being trained; the probe starts that training when none runs) or failed (a projection stopped on an error). The body names each app's serving state, each projection's applied sequence, lag and fault, and the repairs opening the data folder made (torn tail truncated, derived stores rebuilt; with counts).");
    }

    private static async Task<IResult> Ready(HttpContext http, CascadeEngine engine, RecommendationService service, Infrastructure.ApiKeyAuth keys)
    {
        if (keys.AppNames.Any(a => service.Bundles.BundleVersion(a) is null && engine.Interactions.EntriesOf(a) == 0))
        {
            // Whether an app without a bundle has data to train on: the interactions projection knows once it has applied
            // the log's end (a waiter wakes it at once); a probe waits a second at most.
            try
            {
                await engine.WaitForAsync(engine.Interactions, engine.Log.LastSequence, TimeSpan.FromSeconds(1), http.RequestAborted);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                // Still behind (or stopped on a fault): reported below.
            }
        }
        var projections = engine.Projections;
        bool failed = projections.Any(p => p.Fault is not null);
        bool caughtUp = projections.All(p => p.Lag <= MaxReadyLag);
        var apps = keys.AppNames.Select(name =>
        {
            string? version = service.Bundles.BundleVersion(name);
            string serving;
            if (version is not null)
            {
                serving = "bundle";
            }
            else if (engine.Interactions.EntriesOf(name) == 0)
            {
                // No interactions: nothing to train on yet — once the projection has applied the whole log.
                serving = engine.Interactions.AppliedSequence >= engine.Log.LastSequence ? "no-data" : "pending";
            }
            else
            {
                // Data and no bundle: a training makes it ready, so the probe starts one (once; it keeps running).
                _ = service.Bundles.TrainInBackground(name);
                serving = "training";
            }
            return new AppReadiness(name, serving, version, service.Bundles.TrainingFailure(name));
        }).ToList();
        bool training = apps.Any(a => a.Serving is "training" or "pending");
        bool ready = !failed && caughtUp && !training;
        var body = new ReadinessResponse(
            failed ? "failed" : !caughtUp ? "catching-up" : training ? "training" : "ready",
            service.Bundles.BundleVersion(Apps.Default),
            apps,
            engine.Log.LastSequence,
            engine.Catalog.AppliedSequence,
            [.. projections.Select(p => new ProjectionReadiness(p.Name, p.AppliedSequence, p.Lag, p.Fault))],
            [.. engine.Repairs.Select(r => new RepairReadiness(r.Kind, r.Detail, r.RecordsLost, r.EventsLost, r.BytesDropped, r.At))]);
        if (!ready)
        {
            http.Response.Headers.RetryAfter = ((int)BundleManager.NotReadyRetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }
        return ready ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary>The answer of GET /health/ready.</summary>
/// <param name="Status">ready, catching-up, training or failed.</param>
/// <param name="BundleVersion">The bundle serving the default app (absent until there is one).</param>
/// <param name="Apps">Each app the API keys name (the default app without keys) and what serves it.</param>
/// <param name="LogSequence">The log's last sequence.</param>
/// <param name="CatalogSequence">The catalog's applied sequence.</param>
/// <param name="Projections">Each projection of the log.</param>
/// <param name="Repairs">The repairs opening the data folder made (torn tail truncated, derived stores rebuilt), with counts.</param>
internal sealed record ReadinessResponse(string Status, string? BundleVersion, IReadOnlyList<AppReadiness> Apps, long LogSequence, long CatalogSequence,
    IReadOnlyList<ProjectionReadiness> Projections, IReadOnlyList<RepairReadiness> Repairs);

/// <summary>One repair that opening the data folder made.</summary>
/// <param name="Kind">What was repaired (e.g. torn-tail, stores-rebuilt).</param>
/// <param name="Detail">A sentence for the operator.</param>
/// <param name="RecordsLost">Log records dropped.</param>
/// <param name="EventsLost">Events among them.</param>
/// <param name="BytesDropped">Bytes cut from the log.</param>
/// <param name="At">When.</param>
internal sealed record RepairReadiness(string Kind, string Detail, long RecordsLost, long EventsLost, long BytesDropped, DateTimeOffset At);

/// <summary>What serves one app.</summary>
/// <param name="App">The app.</param>
/// <param name="Serving">bundle (a trained or loaded bundle), no-data (the fallback: no interactions to train on yet), training, or pending (the interactions projection has not applied the log's end yet).</param>
/// <param name="BundleVersion">The bundle, when one serves.</param>
/// <param name="LastTrainingFailure">Why the last background training failed, if it did.</param>
internal sealed record AppReadiness(string App, string Serving, string? BundleVersion, string? LastTrainingFailure);

/// <summary>One projection of the log.</summary>
/// <param name="Name">catalog, interactions, recent-changes or features.</param>
/// <param name="AppliedSequence">The last record it applied.</param>
/// <param name="Lag">Records of the log it has not applied yet.</param>
/// <param name="Fault">The error it stopped on, if it did.</param>
internal sealed record ProjectionReadiness(string Name, long AppliedSequence, long Lag, string? Fault);
