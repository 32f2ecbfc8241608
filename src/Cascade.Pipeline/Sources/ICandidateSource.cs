using Cascade.Core;

namespace Cascade.Pipeline.Sources;

/// <summary>What every stage of the pipeline is fitted on: the interaction matrix and the item table, same dense item ids.</summary>
/// <param name="Interactions">Users × items (dense ids), weights, optionally timestamps.</param>
/// <param name="Items">The item table; its indices are the matrix's columns.</param>
public sealed record PipelineData(CsrMatrix Interactions, ItemTable Items)
{
    /// <summary>The newest interaction time (Unix ms), or 0 without timestamps.</summary>
    public long NewestTimestampMs { get; } = Interactions.Timestamps is { Length: > 0 } t ? t.Max() : 0;

    /// <summary>
    /// Lists served before, as the log holds them (impressions with their clicks), that the ranker also learns from:
    /// shown and clicked items are positives, shown and not clicked negatives. Empty when none were logged.
    /// </summary>
    public IReadOnlyList<ServedList> Served { get; init; } = [];

    /// <summary>
    /// The server's live feature store: a ranker whose <c>EntityFeatures</c> are the store's definitions reads it at
    /// serving and replays its events in training. Null (offline): the bundle keeps a store of its own interactions.
    /// </summary>
    public Ranking.LiveFeatures? Live { get; init; }
}

/// <summary>A list served to a known user, in dense ids, with what the user clicked.</summary>
/// <param name="User">Dense user.</param>
/// <param name="TimeMs">When it was served.</param>
/// <param name="Items">The items shown, in position order (dense ids).</param>
/// <param name="Positions">The position each was shown at (for later position debiasing).</param>
/// <param name="Clicked">Whether each was clicked within the attribution window.</param>
public sealed record ServedList(int User, long TimeMs, int[] Items, int[] Positions, bool[] Clicked);

/// <summary>One proposal: a dense item and the source's score for it.</summary>
/// <param name="Item">Dense item index.</param>
/// <param name="Score">Higher is better; scales differ between sources.</param>
public readonly record struct ScoredItem(int Item, float Score);

/// <summary>
/// A candidate source (retriever): proposes up to a quota of items for a request, best first, skipping items the
/// request does not allow (seen, hidden, expired, blocked, filtered), so its quota is filled with servable items.
/// Fitted once per model bundle; Propose is safe for concurrent requests.
/// </summary>
public interface ICandidateSource
{
    /// <summary>The configured name, shown in each candidate's sources and in explanations.</summary>
    string Name { get; }

    /// <summary>Fits the source.</summary>
    /// <param name="data">Interactions and items.</param>
    /// <param name="cancellationToken">Stops a long fit.</param>
    void Fit(PipelineData data, CancellationToken cancellationToken = default);

    /// <summary>Appends up to <paramref name="quota"/> allowed items to <paramref name="output"/>, best first.</summary>
    /// <param name="request">The request (user, history, filters).</param>
    /// <param name="quota">Most items to propose.</param>
    /// <param name="output">Destination.</param>
    void Propose(SourceRequest request, int quota, List<ScoredItem> output);
}

/// <summary>
/// A source that can also score items it did not propose (a model source): the ranker then sees every model's
/// opinion of every candidate, not only of the candidates that model retrieved.
/// </summary>
public interface ICandidateScorer
{
    /// <summary>Writes this source's score of each item in <paramref name="items"/> (NaN when it has none, e.g. an unknown user).</summary>
    /// <param name="request">The request.</param>
    /// <param name="items">Dense item ids.</param>
    /// <param name="scores">Length of <paramref name="items"/>.</param>
    void ScoreItems(SourceRequest request, ReadOnlySpan<int> items, Span<float> scores);
}
