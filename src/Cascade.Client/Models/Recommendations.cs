namespace Cascade.Client;

/// <summary>Query options of <c>GET /v1/recommend/{userId}</c>.</summary>
public sealed record RecommendOptions
{
    /// <summary>How many items (1–200); the server's default (10) when null.</summary>
    public int? N { get; init; }

    /// <summary><see cref="RecommendResponse.NextCursor"/> of the previous page.</summary>
    public string? Cursor { get; init; }

    /// <summary>Only this category.</summary>
    public string? Category { get; init; }

    /// <summary>Add each item's trail through every stage and the stage timings.</summary>
    public bool Explain { get; init; }

    /// <summary>The variant (experiment arm) to record with the impressions.</summary>
    public string? Variant { get; init; }
}

/// <summary>An anonymous session, or a user plus items not yet sent (<c>POST /v1/recommend</c>).</summary>
public sealed record SessionRequest
{
    /// <summary>Optional user; their stored history is used too.</summary>
    public string? UserId { get; init; }

    /// <summary>The session's recent item ids, newest first (at most 1000).</summary>
    public IReadOnlyList<string>? Items { get; init; }

    /// <summary>How many (1–200, default 10).</summary>
    public int? N { get; init; }

    /// <summary>Only this category.</summary>
    public string? Category { get; init; }

    /// <summary>nextCursor of the previous page.</summary>
    public string? Cursor { get; init; }

    /// <summary>Add trails and stage timings.</summary>
    public bool? Explain { get; init; }

    /// <summary>The variant to record with the impressions.</summary>
    public string? Variant { get; init; }
}

/// <summary>A page of recommendations.</summary>
public sealed record RecommendResponse
{
    /// <summary>Send it back with clicks (<see cref="CascadeEvent.RequestId"/>, position) to join them to this page's impressions.</summary>
    public string RequestId { get; init; } = "";

    /// <summary>The user (null for an anonymous session).</summary>
    public string? UserId { get; init; }

    /// <summary>Best first.</summary>
    public IReadOnlyList<Recommendation> Items { get; init; } = [];

    /// <summary>Pass as <see cref="RecommendOptions.Cursor"/> for the next page; null when the feed ends.</summary>
    public string? NextCursor { get; init; }

    /// <summary>Stages that degraded (timeout, error) and what was served instead.</summary>
    public IReadOnlyList<string> Degraded { get; init; } = [];

    /// <summary>The model bundle that answered.</summary>
    public string BundleVersion { get; init; } = "";

    /// <summary>The variant recorded with this page's impressions.</summary>
    public string Variant { get; init; } = "";

    /// <summary>Time and count per stage (only when explaining).</summary>
    public IReadOnlyList<StageReport>? Stages { get; init; }
}

/// <summary>One recommended item.</summary>
public sealed record Recommendation
{
    /// <summary>The item.</summary>
    public string ItemId { get; init; } = "";

    /// <summary>Its final score.</summary>
    public double Score { get; init; }

    /// <summary>The candidate sources that proposed it.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>True when it holds an exploration slot.</summary>
    public bool? Explored { get; init; }

    /// <summary>Its trail through every stage (only when explaining).</summary>
    public IReadOnlyList<TrailEntry>? Trail { get; init; }
}

/// <summary>One step of an item's explanation trail.</summary>
/// <param name="Stage">The stage, e.g. <c>source:als</c>, <c>ranker</c>, <c>rerank:mmr</c>.</param>
/// <param name="Note">What the stage did, e.g. "proposed at rank 3".</param>
/// <param name="Score">The candidate's score after the stage.</param>
public sealed record TrailEntry(string Stage, string Note, float Score);

/// <summary>Time and count of one stage of a request.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Milliseconds">Its wall time.</param>
/// <param name="Count">Candidates it produced.</param>
/// <param name="Degraded">Why it degraded, if it did.</param>
public sealed record StageReport(string Stage, double Milliseconds, int Count, string? Degraded);

/// <summary>A list of items (<c>/v1/similar</c>, <c>/v1/popular</c>, <c>/v1/latest</c>).</summary>
public sealed record ListingResponse
{
    /// <summary>Request id.</summary>
    public string RequestId { get; init; } = "";

    /// <summary>Best first.</summary>
    public IReadOnlyList<Recommendation> Items { get; init; } = [];
}

/// <summary>A given list of candidates to rank (<c>POST /v1/rank</c>, the ads case).</summary>
public sealed record RankRequest
{
    /// <summary>The user, if known.</summary>
    public string? UserId { get; init; }

    /// <summary>Candidates (1–1000).</summary>
    public required IReadOnlyList<RankCandidate> Candidates { get; init; }

    /// <summary>Least expected value (pCTR × bid) an ad needs to be shown.</summary>
    public double? ReservePrice { get; init; }

    /// <summary>Request context: device.</summary>
    public string? Device { get; init; }

    /// <summary>Request context: platform.</summary>
    public string? Platform { get; init; }
}

/// <summary>One candidate to rank.</summary>
/// <param name="ItemId">The item (ad).</param>
/// <param name="Bid">Bid per click; give it for every candidate or for none.</param>
public sealed record RankCandidate(string ItemId, double? Bid = null);

/// <summary>The ranked candidates.</summary>
public sealed record RankResponse
{
    /// <summary>Request id.</summary>
    public string RequestId { get; init; } = "";

    /// <summary>The event-log sequence the online features include at least.</summary>
    public long FeaturesAsOfSequence { get; init; }

    /// <summary>Winners by rank, then candidates below the reserve (rank null).</summary>
    public IReadOnlyList<RankedCandidate> Items { get; init; } = [];
}

/// <summary>One ranked candidate.</summary>
public sealed record RankedCandidate
{
    /// <summary>The item.</summary>
    public string ItemId { get; init; } = "";

    /// <summary>1-based position among the eligible, or null when it lost (below the reserve).</summary>
    public int? Rank { get; init; }

    /// <summary>Predicted probability of a click.</summary>
    public double PCtr { get; init; }

    /// <summary>"model:KIND" or "empirical".</summary>
    public string PCtrSource { get; init; } = "";

    /// <summary>The bid, if any.</summary>
    public double? Bid { get; init; }

    /// <summary>pCTR × bid (pCTR without bids).</summary>
    public double ExpectedValue { get; init; }

    /// <summary>The generalised second price a winner pays per click, if bids were given.</summary>
    public double? Price { get; init; }

    /// <summary>Why it got its place.</summary>
    public string Explanation { get; init; } = "";
}
