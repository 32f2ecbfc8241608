using System.Globalization;
using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Features;

/// <summary>One item a logged request showed: where, and whether the user then clicked it.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Position">The 0-based position it was shown at (kept for position debiasing), or null.</param>
/// <param name="Clicked">Whether a positive event of the same user on it followed within the attribution window.</param>
public sealed record LoggedImpression(string ItemId, int? Position, bool Clicked);

/// <summary>A served list as the log holds it: the impressions of one request.</summary>
/// <param name="RequestId">The request id (or user and time for impressions logged without one).</param>
/// <param name="UserId">The user it was served to.</param>
/// <param name="TimeMs">When (the first impression's time).</param>
/// <param name="Items">What it showed, in position order.</param>
public sealed record LoggedRequest(string RequestId, string UserId, long TimeMs, IReadOnlyList<LoggedImpression> Items);

/// <summary>
/// Reads the newest served lists of an app from the event log, each impression labelled by the same rule as
/// <see cref="TrainingSetBuilder"/>'s (a positive event of the same user on the same item within the attribution
/// window, the same request id when both carry one): the feedback the recommend ranker learns from, shown but not
/// clicked being the negatives.
/// </summary>
public static class LoggedRequests
{
    /// <summary>
    /// The newest <paramref name="maxRequests"/> requests with impressions among the last <paramref name="scanRecords"/>
    /// log records up to <paramref name="upToSequence"/>, oldest first; clicks are looked for in the same range.
    /// </summary>
    /// <param name="log">The event log.</param>
    /// <param name="app">The app.</param>
    /// <param name="eventTypes">Roles of event types (impressions and positives).</param>
    /// <param name="upToSequence">The newest record read (a training snapshot's sequence).</param>
    /// <param name="maxRequests">Most requests returned (the newest).</param>
    /// <param name="scanRecords">How many records before <paramref name="upToSequence"/> are read at most (bounds the time).</param>
    /// <param name="attributionWindowMs">How long after an impression a click counts.</param>
    public static IReadOnlyList<LoggedRequest> Read(EventLog log, string app, EventTypeRegistry eventTypes, long upToSequence,
        int maxRequests = 20_000, long scanRecords = 2_000_000, long attributionWindowMs = 30 * 60_000L)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(eventTypes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRequests);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scanRecords);
        upToSequence = Math.Min(upToSequence, log.LastSequence);
        var labeler = new ImpressionLabeler([], attributionWindowMs);
        var requests = new Dictionary<string, List<FeedbackEvent>>(StringComparer.Ordinal);
        var order = new Queue<string>();
        foreach (var record in log.ReadFrom(Math.Max(1, upToSequence - scanRecords + 1)))
        {
            if (record.Sequence > upToSequence)
            {
                break;
            }
            if (record.Kind != RecordKind.Event)
            {
                continue;
            }
            var e = RecordCodec.DecodeEvent(record.Payload.Span);
            if (e.App != app || !eventTypes.TryGet(e.Type, out var type))
            {
                continue;
            }
            if (type.Role == EventRole.Positive)
            {
                labeler.Add(e);
            }
            else if (type.Role == EventRole.Impression)
            {
                string key = e.RequestId ?? string.Concat(e.UserId, "\u0001", e.TimestampMs.ToString(CultureInfo.InvariantCulture));
                if (!requests.TryGetValue(key, out var shown))
                {
                    shown = [];
                    requests.Add(key, shown);
                    order.Enqueue(key);
                    if (order.Count > maxRequests)
                    {
                        requests.Remove(order.Dequeue());
                    }
                }
                shown.Add(e);
            }
        }
        var result = new List<LoggedRequest>(order.Count);
        foreach (string key in order)
        {
            var shown = requests[key];
            shown.Sort(static (a, b) => (a.Position ?? int.MaxValue).CompareTo(b.Position ?? int.MaxValue));
            result.Add(new LoggedRequest(key, shown[0].UserId, shown.Min(e => e.TimestampMs),
                [.. shown.Select(e => new LoggedImpression(e.ItemId, e.Position, labeler.Label(e)))]));
        }
        return result;
    }
}
