using System.Collections.Concurrent;
using System.Text;
using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Serving;

/// <summary>
/// What changed in the log after a starting sequence, in memory, for the request path: each user's newest history
/// events (types whose role is positive or negative, newest first, at most a fixed number) and the latest state of
/// every item upserted or hidden. A served bundle whose snapshot reaches <see cref="Floor"/> knows everything
/// before it, so the bundle plus these changes answer "what has the user seen" and "is this item still servable"
/// without a catalog read per request. Thread-safe: one follower applies, any number of requests read.
/// </summary>
/// <param name="floor">The log sequence from which changes are kept (records at or below it are skipped).</param>
/// <param name="eventTypes">The configured event types (history = positive and negative roles).</param>
/// <param name="historyLength">Newest history items kept per user.</param>
public sealed class RecentChanges(long floor, EventTypeRegistry eventTypes, int historyLength)
{
    private readonly ConcurrentDictionary<(string App, string User), RecentItems> _users = new();
    private readonly ConcurrentDictionary<(string App, string Item), ItemState> _items = new();
    private readonly Lock _catchUpGate = new();
    private long _appliedSequence = floor;

    /// <summary>Changes after this sequence are kept.</summary>
    public long Floor { get; } = floor;

    /// <summary>The newest log record applied.</summary>
    public long AppliedSequence => Interlocked.Read(ref _appliedSequence);

    /// <summary>Items changed since <see cref="Floor"/>.</summary>
    public int ChangedItems => _items.Count;

    /// <summary>Applies one record (others than events, item upserts and hides change nothing).</summary>
    /// <param name="record">A record read from the log.</param>
    public void Observe(LogRecord record)
    {
        if (record.Sequence <= Floor)
        {
            return;
        }
        switch (record.Kind)
        {
            case RecordKind.Event:
                var head = RecordCodec.DecodeEventHead(record.Payload.Span);
                string type = Encoding.UTF8.GetString(head.Type);
                if (eventTypes.TryGet(type, out var t) && t.Role is EventRole.Positive or EventRole.Negative)
                {
                    var recent = _users.GetOrAdd((Encoding.UTF8.GetString(head.App), Encoding.UTF8.GetString(head.User)), _ => new RecentItems(historyLength));
                    recent.Add(Encoding.UTF8.GetString(head.Item), head.TimestampMs);
                }
                break;
            case RecordKind.ItemUpsert:
                var item = RecordCodec.DecodeItem(record.Payload.Span);
                _items[(item.App, item.Id)] = new ItemState(item.Hidden, item.ExpiresAt);
                break;
            case RecordKind.ItemHide:
                var hide = RecordCodec.DecodeHide(record.Payload.Span);
                _items.AddOrUpdate((hide.App, hide.ItemId), _ => new ItemState(true, null), (_, old) => old with { Hidden = true });
                break;
            default:
                break;
        }
    }

    /// <summary>Applies the records after <see cref="AppliedSequence"/>; returns how many.</summary>
    /// <param name="log">The log.</param>
    public long CatchUp(EventLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        lock (_catchUpGate)
        {
            long applied = 0;
            foreach (var record in log.ReadFrom(AppliedSequence + 1))
            {
                Observe(record);
                Interlocked.Exchange(ref _appliedSequence, record.Sequence);
                applied++;
            }
            return applied;
        }
    }

    /// <summary>The user's history items since <see cref="Floor"/>, newest first (empty when none).</summary>
    /// <param name="app">The app.</param>
    /// <param name="userId">The user.</param>
    public IReadOnlyList<string> HistoryOf(string app, string userId) =>
        _users.TryGetValue((app, userId), out var recent) ? recent.Snapshot() : [];

    /// <summary>
    /// Whether the item is servable at <paramref name="now"/> as far as changes since <see cref="Floor"/> tell:
    /// false when it was hidden or its latest upsert is hidden or expired; true when unchanged (the bundle's own
    /// table decides then).
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="itemId">The item.</param>
    /// <param name="now">The request's time.</param>
    public bool IsServable(string app, string itemId, DateTimeOffset now) =>
        !_items.TryGetValue((app, itemId), out var state) || (!state.Hidden && (state.ExpiresAt is null || state.ExpiresAt > now));

    private sealed record ItemState(bool Hidden, DateTimeOffset? ExpiresAt);

    /// <summary>A user's newest items, newest first, by event time (ties: later in the log first).</summary>
    private sealed class RecentItems(int capacity)
    {
        private readonly List<(string Item, long TimeMs)> _items = new(Math.Min(capacity, 16));

        public void Add(string item, long timeMs)
        {
            lock (_items)
            {
                int at = 0;
                while (at < _items.Count && _items[at].TimeMs > timeMs)
                {
                    at++;
                }
                _items.Insert(at, (item, timeMs));
                if (_items.Count > capacity)
                {
                    _items.RemoveAt(_items.Count - 1);
                }
            }
        }

        public string[] Snapshot()
        {
            lock (_items)
            {
                var result = new string[_items.Count];
                for (int i = 0; i < result.Length; i++)
                {
                    result[i] = _items[i].Item;
                }
                return result;
            }
        }
    }
}
