using Cascade.Features;
using Cascade.Server.Experiments;
using Cascade.Server.Infrastructure;
using Cascade.Serving;
using Cascade.Serving.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Ranking a given candidate list: the ads case (pCTR × bid, reserve price, second-price rule).</summary>
internal static class RankEndpoints
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGroup("").RequireScope(Scope.Read).WithPipelineGate().MapPost("/v1/rank", Rank).WithJsonBody<RankRequest>(batch: false).WithTags("Recommend")
            .WithSummary("Rank the given candidates (at most 1000) by expected value: pCTR (the configured CTR model over the online features, else the item's smoothed 7-day CTR) × bid; candidates below reservePrice are not shown; each winner pays the generalised second price. Every candidate is explained. A user in running experiments gets their arms (experiments) and the variant tag to log impressions with.")
            .Accepts<RankRequest>("application/json").Produces<RankResponse>().ProducesProblem(400).ProducesProblem(415).ProducesProblem(422);

    private static IResult Rank(HttpContext http, AdRankingService ads, ExperimentService experiments)
    {
        string appName = http.App();
        var request = http.Body<RankRequest>().Elements[0]!;
        var candidates = request.Candidates;
        if (candidates is null || candidates.Count == 0)
        {
            return Problems.Invalid("candidates", "is required: a non-empty list of {itemId, bid?}");
        }
        if (candidates.Count > 1000)
        {
            return Problems.Invalid("candidates", $"{candidates.Count} candidates; at most 1000");
        }
        for (int i = 0; i < candidates.Count; i++)
        {
            if (candidates[i] is null)
            {
                return Problems.Invalid($"candidates[{i}]", "must be an object {itemId, bid?}");
            }
            if (InputValidator.WhyNotId(candidates[i].ItemId) is { } badItem)
            {
                return Problems.Invalid($"candidates[{i}].itemId", badItem);
            }
        }
        if (request.UserId is { } u && InputValidator.WhyNotId(u) is { } badUser)
        {
            return Problems.Invalid("userId", badUser);
        }
        try
        {
            // Read before ranking: the rows include at least this much of the log (a catch-up running meanwhile may add more).
            long asOf = ads.Store.AppliedSequence;
            var ranked = ads.Rank(appName, request.UserId ?? "", [.. candidates.Select(c => new RankCandidate(c.ItemId!, c.Bid))], request.ReservePrice,
                new RequestContext(request.Device, request.Platform));
            var exposures = experiments.Assign(appName, request.UserId, null);
            return Results.Ok(new RankResponse(Guid.NewGuid().ToString("N"), asOf, ranked, exposures.Count == 0 ? null : exposures,
                Cascade.Experiments.RunningExperiments.Tag(exposures)));
        }
        catch (ArgumentException e)
        {
            int colon = e.Message.IndexOf(':', StringComparison.Ordinal);
            return Problems.Invalid(colon > 0 ? e.Message[..colon] : "candidates", colon > 0 ? e.Message[(colon + 1)..].Trim() : e.Message);
        }
    }
}

/// <summary>A candidate to rank.</summary>
/// <param name="ItemId">The item (ad).</param>
/// <param name="Bid">Bid per click; give it for every candidate or for none.</param>
internal sealed record RankCandidateInput(string? ItemId, double? Bid);

/// <summary>A ranking request.</summary>
/// <param name="UserId">The user, if known.</param>
/// <param name="Candidates">Candidates (1–1000).</param>
/// <param name="ReservePrice">Least expected value (pCTR × bid) an ad needs to be shown.</param>
/// <param name="Device">Request context: device.</param>
/// <param name="Platform">Request context: platform.</param>
internal sealed record RankRequest(string? UserId, IReadOnlyList<RankCandidateInput>? Candidates, double? ReservePrice, string? Device, string? Platform);

/// <summary>A ranking.</summary>
/// <param name="RequestId">Request id.</param>
/// <param name="FeaturesAsOfSequence">The event-log sequence the online features include at least (every record up to it counted).</param>
/// <param name="Items">Winners by rank, then candidates below the reserve (rank null).</param>
/// <param name="Experiments">The user's arms in running experiments, or null (the ranking itself is the CTR model's; arms with pipelines apply to recommend).</param>
/// <param name="Variant">The experiment tag to log this ranking's impressions with, or null.</param>
internal sealed record RankResponse(string RequestId, long FeaturesAsOfSequence, IReadOnlyList<RankedCandidate> Items,
    IReadOnlyList<Cascade.Experiments.ExperimentExposure>? Experiments = null, string? Variant = null);
