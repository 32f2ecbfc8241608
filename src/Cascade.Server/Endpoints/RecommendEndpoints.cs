using Cascade.Serving;
using Cascade.Server.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Recommendations.</summary>
internal static class RecommendEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/recommend/{userId}", Recommend).WithTags("Recommend")
            .WithSummary("Top-n items for a user (n 1–200, default 10), with the user's seen items, hidden and expired items removed.")
            .Produces<RecommendResponse>().ProducesProblem(422);
        app.MapPost("/v1/admin/train", Train).WithTags("Admin")
            .WithSummary("Retrain the app's models from the event log now and swap them in (admin scope). The server also retrains every Cascade:TrainingIntervalSeconds.")
            .Produces<TrainingSummary>();
    }

    private static IResult Train(HttpContext http, ApiKeyAuth auth, RecommendationService service)
    {
        var (appName, denied) = auth.Authorize(http, Scope.Admin);
        return denied ?? Results.Ok(service.Train(appName!));
    }

    private static IResult Recommend(string userId, string? n, HttpContext http, ApiKeyAuth auth, RecommendationService service)
    {
        var (appName, denied) = auth.Authorize(http, Scope.Read);
        if (denied is not null)
        {
            return denied;
        }
        int count = 10;
        if (n is not null && (!int.TryParse(n, out count) || count < 1 || count > service.Options.MaxResults))
        {
            return Problems.Invalid("n", $"'{n}' is not an integer between 1 and {service.Options.MaxResults}");
        }
        var items = service.Recommend(appName!, userId, count);
        return Results.Ok(new RecommendResponse(Guid.NewGuid().ToString("N"), userId, items));
    }
}

/// <summary>A recommendation response.</summary>
/// <param name="RequestId">Send it back with impressions and clicks to join them to this response.</param>
/// <param name="UserId">The user.</param>
/// <param name="Items">Best first.</param>
internal sealed record RecommendResponse(string RequestId, string UserId, IReadOnlyList<Recommendation> Items);
