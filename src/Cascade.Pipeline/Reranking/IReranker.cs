namespace Cascade.Pipeline.Reranking;

/// <summary>What a re-ranker may read about the request.</summary>
/// <param name="Items">The item table.</param>
/// <param name="PageSize">How many items the response will show; re-rankers shape at least the first PageSize positions.</param>
/// <param name="NowMs">Request time, Unix milliseconds.</param>
/// <param name="Seed">Per-request seed for randomised re-rankers (exploration), so a request is reproducible from its id.</param>
/// <param name="Explain">Whether candidates record trails.</param>
public sealed record RerankContext(ItemTable Items, int PageSize, long NowMs, ulong Seed, bool Explain);

/// <summary>
/// A re-ranking stage: reorders (and may drop) candidates that arrive sorted by <see cref="Candidate.Score"/>,
/// best first. Re-rankers run in configured order; each leaves the list in its final order for the next.
/// Implementations are stateless per request and safe for concurrent requests.
/// </summary>
public interface IReranker
{
    /// <summary>Stage name used in trails and degradation reports, e.g. "mmr".</summary>
    string Name { get; }

    /// <summary>Reorders <paramref name="candidates"/> in place.</summary>
    /// <param name="context">The request.</param>
    /// <param name="candidates">Candidates, best first.</param>
    void Rerank(RerankContext context, List<Candidate> candidates);
}
