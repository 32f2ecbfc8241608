using Cascade.Core;

namespace Cascade.Pipeline.Ranking;

/// <summary>
/// Each item's interaction times, sorted, so the ranker can ask how popular an item was in a window before the
/// request's time (what was trending then) rather than over all time. Built once per bundle from the training
/// matrix: 8 bytes per interaction.
/// </summary>
public sealed class ItemTimeline
{
    private readonly int[] _offsets;
    private readonly long[] _times;

    private ItemTimeline(int[] offsets, long[] times)
    {
        _offsets = offsets;
        _times = times;
    }

    /// <summary>The timeline of <paramref name="interactions"/>' items, or null when it carries no timestamps.</summary>
    /// <param name="interactions">Users × items with timestamps.</param>
    public static ItemTimeline? From(CsrMatrix interactions)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        if (interactions.Timestamps is null)
        {
            return null;
        }
        var offsets = new int[interactions.Columns + 1];
        foreach (int item in interactions.ColumnIndices.AsSpan(0, interactions.NonZeros))
        {
            offsets[item + 1]++;
        }
        for (int i = 0; i < interactions.Columns; i++)
        {
            offsets[i + 1] += offsets[i];
        }
        var times = new long[interactions.NonZeros];
        var next = offsets[..^1];
        for (int k = 0; k < interactions.NonZeros; k++)
        {
            times[next[interactions.ColumnIndices[k]]++] = interactions.Timestamps[k];
        }
        for (int i = 0; i < interactions.Columns; i++)
        {
            Array.Sort(times, offsets[i], offsets[i + 1] - offsets[i]);
        }
        return new ItemTimeline(offsets, times);
    }

    /// <summary>Items covered (ids at or above it have no interactions).</summary>
    public int ItemCount => _offsets.Length - 1;

    /// <summary>Interactions with <paramref name="item"/> at times in [<paramref name="fromMs"/>, <paramref name="toMs"/>].</summary>
    /// <param name="item">Dense item id.</param>
    /// <param name="fromMs">Window start (inclusive).</param>
    /// <param name="toMs">Window end (inclusive).</param>
    public int CountBetween(int item, long fromMs, long toMs)
    {
        if ((uint)item >= (uint)ItemCount || toMs < fromMs)
        {
            return 0;
        }
        var times = _times.AsSpan(_offsets[item], _offsets[item + 1] - _offsets[item]);
        return UpperBound(times, toMs) - LowerBound(times, fromMs);
    }

    /// <summary>The first interaction with <paramref name="item"/> at or before <paramref name="toMs"/>, or null when there is none.</summary>
    /// <param name="item">Dense item id.</param>
    /// <param name="toMs">Latest time considered.</param>
    public long? FirstAtOrBefore(int item, long toMs)
    {
        if ((uint)item >= (uint)ItemCount || _offsets[item] == _offsets[item + 1] || _times[_offsets[item]] > toMs)
        {
            return null;
        }
        return _times[_offsets[item]];
    }

    /// <summary>
    /// What the trend features read of one item at <paramref name="toMs"/>, in one visit of its times: the
    /// interactions up to it, those in each window ending at it, and the first one (<see cref="CountBetween"/> and
    /// <see cref="FirstAtOrBefore"/> give the same, one search each).
    /// </summary>
    /// <param name="item">Dense item id.</param>
    /// <param name="toMs">The request's time.</param>
    /// <param name="windowsMs">Window lengths; a window is [toMs − length, toMs].</param>
    /// <param name="inWindows">Receives the count of each window.</param>
    /// <param name="firstMs">The first interaction at or before <paramref name="toMs"/>, or null.</param>
    /// <returns>Interactions at or before <paramref name="toMs"/>.</returns>
    public int Trend(int item, long toMs, ReadOnlySpan<long> windowsMs, Span<int> inWindows, out long? firstMs)
    {
        if ((uint)item >= (uint)ItemCount)
        {
            inWindows[..windowsMs.Length].Clear();
            firstMs = null;
            return 0;
        }
        var times = _times.AsSpan(_offsets[item], _offsets[item + 1] - _offsets[item]);
        int upTo = UpperBound(times, toMs);
        var past = times[..upTo];
        for (int w = 0; w < windowsMs.Length; w++)
        {
            inWindows[w] = windowsMs[w] < 0 ? 0 : upTo - LowerBound(past, toMs - windowsMs[w]);
        }
        firstMs = upTo > 0 ? past[0] : null;
        return upTo;
    }

    /// <summary>How many of the ascending <paramref name="sorted"/> are below <paramref name="value"/>.</summary>
    internal static int LowerBound(ReadOnlySpan<long> sorted, long value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private static int UpperBound(ReadOnlySpan<long> sorted, long value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
