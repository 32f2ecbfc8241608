using Cascade.Core;
using Cascade.Pipeline.Ranking;

namespace Cascade.Pipeline.Reranking;

/// <summary>
/// Exploration counts derived from the interactions a pipeline is built on, so Thompson sampling works from
/// configuration alone (<see cref="PipelineBuilder"/> supplies them to every <c>explore</c> re-ranker). An item's
/// clicks are the users who interacted with it positively; its impressions are the users active (any interaction) at
/// or after its first interaction: the users who could have met it. An item nobody interacted with has neither and is
/// drawn from the prior, so new items are the ones explored. Without timestamps every active user counts as having
/// met every item that has interactions.
/// </summary>
public sealed class InteractionExplorationStats : IExplorationStats
{
    private readonly long[] _impressions;
    private readonly long[] _clicks;

    private InteractionExplorationStats(long[] impressions, long[] clicks) => (_impressions, _clicks) = (impressions, clicks);

    /// <summary>Counts impressions and clicks per item (column) of <paramref name="interactions"/>.</summary>
    /// <param name="interactions">Users × items, the columns being the item table's indices.</param>
    public static InteractionExplorationStats From(CsrMatrix interactions)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var firstSeen = new long[interactions.Columns];
        Array.Fill(firstSeen, long.MaxValue);
        var clicks = new long[interactions.Columns];
        var lastActive = new List<long>(interactions.Rows); // of each user with an interaction
        long[]? timestamps = interactions.Timestamps;
        for (int user = 0; user < interactions.Rows; user++)
        {
            int start = interactions.RowPointers[user], end = interactions.RowPointers[user + 1];
            if (start == end)
            {
                continue;
            }
            long last = long.MinValue;
            for (int k = start; k < end; k++)
            {
                int item = interactions.ColumnIndices[k];
                long time = timestamps?[k] ?? 0;
                firstSeen[item] = Math.Min(firstSeen[item], time);
                last = Math.Max(last, time);
                if (interactions.Values[k] > 0)
                {
                    clicks[item]++;
                }
            }
            lastActive.Add(last);
        }
        long[] sorted = [.. lastActive.Order()];
        var impressions = new long[interactions.Columns];
        for (int item = 0; item < impressions.Length; item++)
        {
            if (firstSeen[item] != long.MaxValue)
            {
                impressions[item] = sorted.Length - ItemTimeline.LowerBound(sorted, firstSeen[item]);
            }
        }
        return new InteractionExplorationStats(impressions, clicks);
    }

    /// <inheritdoc/>
    public void Fill(ItemTable items, ReadOnlySpan<int> itemIndices, Span<long> impressions, Span<long> clicks)
    {
        for (int i = 0; i < itemIndices.Length; i++)
        {
            int item = itemIndices[i];
            bool known = (uint)item < (uint)_impressions.Length;
            impressions[i] = known ? _impressions[item] : 0;
            clicks[i] = known ? _clicks[item] : 0;
        }
    }
}
