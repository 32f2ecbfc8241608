using Cascade.Server.Infrastructure;
using Cascade.Server.Monitoring;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Drift monitoring: the latest verdict per signal.</summary>
internal static class MonitoringEndpoints
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new NonFiniteAsNull() },
    };

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGroup("/v1/monitoring").WithTags("Monitoring").RequireScope(Scope.Read).MapGet("/drift", Drift)
            .WithSummary("Drift of the key's app: the current window (Cascade:Drift:WindowMinutes, ending now) against the serving bundle's training data, one entry per monitored signal (data, prediction, served-list, concept, event rates) with its statistic, value, threshold, window and status. The background evaluation (every Cascade:Drift:IntervalSeconds) is reused unless refresh=true.")
            .Produces<DriftResponse>().ProducesProblem(422);

    private static IResult Drift(string? refresh, HttpContext http, DriftService drift)
    {
        bool again = false;
        if (refresh is not null && !bool.TryParse(refresh, out again))
        {
            return Problems.Invalid("refresh", $"'{refresh}' is not true or false");
        }
        return Results.Json(drift.For(http.App(), again), Json);
    }
}
