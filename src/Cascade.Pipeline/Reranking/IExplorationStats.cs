using System.Collections.Concurrent;

namespace Cascade.Pipeline.Reranking;

/// <summary>
/// Impression and click counts per item, read by Thompson-sampling exploration. A pipeline built from configuration
/// backs it with counts derived from its training data (<see cref="InteractionExplorationStats"/>);
/// <see cref="InMemoryExplorationStats"/> is the reference implementation for counts recorded one by one.
/// Implementations must be safe for concurrent reads.
/// </summary>
public interface IExplorationStats
{
    /// <summary>Fills the counts of <paramref name="itemIndices"/>; unknown items get zeros.</summary>
    /// <param name="items">The item table the indices refer to (for their external ids).</param>
    /// <param name="itemIndices">Dense item indices.</param>
    /// <param name="impressions">Receives each item's impressions.</param>
    /// <param name="clicks">Receives each item's clicks (the re-ranker clamps them to [0, impressions]).</param>
    void Fill(ItemTable items, ReadOnlySpan<int> itemIndices, Span<long> impressions, Span<long> clicks);
}

/// <summary>Exploration counts held in memory by external item id; thread-safe.</summary>
public sealed class InMemoryExplorationStats : IExplorationStats
{
    private readonly ConcurrentDictionary<string, (long Impressions, long Clicks)> _counts = new(StringComparer.Ordinal);

    /// <summary>Sets an item's counts.</summary>
    /// <param name="itemId">External item id.</param>
    /// <param name="impressions">Impressions (at least 0).</param>
    /// <param name="clicks">Clicks (0 to impressions).</param>
    public void Set(string itemId, long impressions, long clicks)
    {
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        if (impressions < 0 || clicks < 0 || clicks > impressions)
        {
            throw new ArgumentException($"Counts of item '{itemId}' must satisfy 0 ≤ clicks ≤ impressions; got {clicks} clicks of {impressions}.", nameof(clicks));
        }
        _counts[itemId] = (impressions, clicks);
    }

    /// <summary>Counts one impression of an item.</summary>
    /// <param name="itemId">External item id.</param>
    public void RecordImpression(string itemId) => _counts.AddOrUpdate(itemId, (1, 0), (_, c) => (c.Impressions + 1, c.Clicks));

    /// <summary>Counts one click of an item (also an impression when clicks would exceed impressions).</summary>
    /// <param name="itemId">External item id.</param>
    public void RecordClick(string itemId) =>
        _counts.AddOrUpdate(itemId, (1, 1), (_, c) => (Math.Max(c.Impressions, c.Clicks + 1), c.Clicks + 1));

    /// <inheritdoc/>
    public void Fill(ItemTable items, ReadOnlySpan<int> itemIndices, Span<long> impressions, Span<long> clicks)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (int i = 0; i < itemIndices.Length; i++)
        {
            var (shown, clicked) = _counts.GetValueOrDefault(items.Ids[itemIndices[i]]);
            impressions[i] = shown;
            clicks[i] = clicked;
        }
    }
}
