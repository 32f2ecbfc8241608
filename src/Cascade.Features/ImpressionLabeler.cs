namespace Cascade.Features;

/// <summary>
/// Labels impressions from positive events: an impression at T is a click when the same user has a positive event
/// on the same item at a time in [T, T + window], with the same request id when both events carry one.
/// </summary>
internal sealed class ImpressionLabeler
{
    private readonly Dictionary<(string User, string Item), List<(long Time, string? Request)>> _positives = [];
    private readonly long _window;

    /// <summary>Indexes <paramref name="positives"/>.</summary>
    /// <param name="positives">The positive events (any order).</param>
    /// <param name="window">The attribution window, ms.</param>
    public ImpressionLabeler(IEnumerable<Cascade.Core.Domain.FeedbackEvent> positives, long window)
    {
        _window = window;
        foreach (var e in positives)
        {
            Add(e);
        }
    }

    /// <summary>Adds a positive event (before the first <see cref="Label"/>).</summary>
    public void Add(Cascade.Core.Domain.FeedbackEvent e)
    {
        if (!_positives.TryGetValue((e.UserId, e.ItemId), out var list))
        {
            list = [];
            _positives.Add((e.UserId, e.ItemId), list);
        }
        list.Add((e.TimestampMs, e.RequestId));
        _sorted = false;
    }

    private bool _sorted;

    /// <summary>Whether <paramref name="e"/> (an impression) was clicked.</summary>
    public bool Label(Cascade.Core.Domain.FeedbackEvent e)
    {
        if (!_sorted)
        {
            foreach (var l in _positives.Values)
            {
                l.Sort(static (a, b) => a.Time.CompareTo(b.Time));
            }
            _sorted = true;
        }
        if (!_positives.TryGetValue((e.UserId, e.ItemId), out var list))
        {
            return false;
        }
        long t = e.TimestampMs, end = t > long.MaxValue - _window ? long.MaxValue : t + _window;
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (list[mid].Time < t)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        for (int i = lo; i < list.Count && list[i].Time <= end; i++)
        {
            if (e.RequestId is null || list[i].Request is null || list[i].Request == e.RequestId)
            {
                return true;
            }
        }
        return false;
    }
}
