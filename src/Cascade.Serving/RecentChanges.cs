using System.Collections.Concurrent;
using System.Text;
using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;
using Cascade.Storage.Records;

namespace Cascade.Serving;

/// <summary>
/// What changed in the log after a starting sequence, in memory, for the request path: each user's newest history
/// events (types whose role is positive or negative, newest first, at most a fixed number) and the latest state of
/// every item upserted or hidden. A served bundle whose snapshot reaches <see cref="Floor"/> knows everything
/// before it, so the bundle plus these changes answer "what has the user seen" and "is this item still servable"
/// without a catalog read per request. Once every bundle served for an app reaches a later sequence, <see cref="Trim"/>
/// drops that app's older changes, so memory follows what changed since the older of the last two trainings, not
/// since start-up. A projection of the log (the engine's applier calls <see cref="Apply"/>); <see cref="Trim"/> waits
/// for a batch being applied, and any number of requests read.
/// </summary>
/// <param name="floor">The log sequence from which changes are kept (records at or below it are skipped).</param>
/// <param name="eventTypes">The configured event types (history = positive and negative roles).</param>
/// <param name="historyLength">Newest history items kept per user.</param>
public sealed class RecentChanges(long floor, EventTypeRegistry eventTypes, int historyLength) : ILogProjection
{
    private readonly ConcurrentDictionary<(string App, string User), RecentItems> _users = new();
    private readonly ConcurrentDictionary<(string App, string Item), ItemState> _items = new();
    private readonly ConcurrentDictionary<string, long> _appFloors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _appsWithItemChanges = new(StringComparer.Ordinal);
    private readonly Lock _catchUpGate = new();
    private long _appliedSequence = floor;

    /// <summary>Changes after this sequence are kept (an app's own floor may be later: <see cref="FloorOf"/>).</summary>
    public long Floor { get; } = floor;

    /// <summary>
    /// The sequence after which <paramref name="app"/>'s changes are all here: <see cref="Floor"/>, or later once
    /// <see cref="Trim"/> dropped older ones. A bundle whose snapshot reaches it can read its changes from here.
    /// </summary>
    /// <param name="app">The app.</param>
    public long FloorOf(string app) => _appFloors.TryGetValue(app, out long f) ? Math.Max(f, Floor) : Floor;

    /// <summary>Users with recent history kept (all apps).</summary>
    public int Users => _users.Count;

    /// <summary>Users of <paramref name="app"/> with history kept (a scan: for statistics).</summary>
    /// <param name="app">The app.</param>
    public int UsersOf(string app) => _users.Keys.Count(k => string.Equals(k.App, app, StringComparison.Ordinal));

    /// <summary>Items of <paramref name="app"/> with a change kept (a scan: for statistics).</summary>
    /// <param name="app">The app.</param>
    public int ChangedItemsOf(string app) => _items.Keys.Count(k => string.Equals(k.App, app, StringComparison.Ordinal));

    /// <inheritdoc />
    public string Name => "recent-changes";

    /// <summary>The newest log record applied.</summary>
    public long AppliedSequence => Interlocked.Read(ref _appliedSequence);

    /// <summary>Items with a change kept (all apps).</summary>
    public int ChangedItems => _items.Count;

    /// <summary>
    /// Applies one record (others than events, item upserts and hides change nothing). Not concurrently with
    /// <see cref="Apply"/> or <see cref="Trim"/>, which call it under their lock.
    /// </summary>
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
                    recent.Add(Encoding.UTF8.GetString(head.Item), head.TimestampMs, record.Sequence);
                }
                break;
            case RecordKind.ItemUpsert:
                var item = RecordCodec.DecodeItem(record.Payload.Span);
                _appsWithItemChanges.AddOrUpdate(item.App, 1, static (_, n) => n + 1); // counted before the entry is visible
                _items[(item.App, item.Id)] = new ItemState(item.Hidden, item.ExpiresAt, record.Sequence);
                break;
            case RecordKind.ItemHide:
                var hide = RecordCodec.DecodeHide(record.Payload.Span);
                _appsWithItemChanges.AddOrUpdate(hide.App, 1, static (_, n) => n + 1);
                _items.AddOrUpdate((hide.App, hide.ItemId), _ => new ItemState(true, null, record.Sequence), (_, old) => old with { Hidden = true, Sequence = record.Sequence });
                break;
            default:
                break;
        }
    }

    /// <inheritdoc />
    public void Apply(LogBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_catchUpGate)
        {
            var records = batch.Records;
            for (int i = batch.StartAfter(AppliedSequence); i < records.Count; i++)
            {
                Observe(records[i]);
                Interlocked.Exchange(ref _appliedSequence, records[i].Sequence);
            }
        }
    }

    /// <summary>
    /// Drops <paramref name="app"/>'s changes up to <paramref name="sequence"/> and raises its floor there: call it
    /// when every bundle that may still serve the app has a snapshot at or after <paramref name="sequence"/> (and an
    /// item table at least that new), since such a bundle knows them already. A bundle older than the new floor stops
    /// reading changes from here (the service then reads the catalog). Returns how many entries were dropped.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="sequence">The log sequence every bundle still serving the app includes.</param>
    public long Trim(string app, long sequence)
    {
        ArgumentNullException.ThrowIfNull(app);
        lock (_catchUpGate)
        {
            if (sequence <= FloorOf(app))
            {
                return 0;
            }
            // The floor first: from here a bundle below it no longer reads a history being emptied.
            _appFloors[app] = sequence;
            long dropped = 0;
            foreach (var (key, recent) in _users)
            {
                if (string.Equals(key.App, app, StringComparison.Ordinal))
                {
                    int before = recent.Count;
                    int left = recent.RemoveUpTo(sequence);
                    dropped += before - left;
                    if (left == 0)
                    {
                        _users.TryRemove(key, out _); // safe: the only writer (Observe) runs under this lock
                    }
                }
            }
            int itemsLeft = 0;
            foreach (var (key, state) in _items)
            {
                if (!string.Equals(key.App, app, StringComparison.Ordinal))
                {
                    continue;
                }
                if (state.Sequence <= sequence && _items.TryRemove(key, out _))
                {
                    dropped++;
                }
                else
                {
                    itemsLeft++;
                }
            }
            if (itemsLeft == 0)
            {
                _appsWithItemChanges.TryRemove(app, out _); // no writer meanwhile: Observe runs under this lock too
            }
            return dropped;
        }
    }

    /// <summary>
    /// Whether any item of <paramref name="app"/> was upserted or hidden since the floor (when none, every item is as
    /// the bundle's table says, and the request path needs no per-item check).
    /// </summary>
    /// <param name="app">The app.</param>
    public bool HasItemChanges(string app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return _appsWithItemChanges.ContainsKey(app);
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

    private sealed record ItemState(bool Hidden, DateTimeOffset? ExpiresAt, long Sequence);

    /// <summary>A user's newest items, newest first, by event time (ties: later in the log first).</summary>
    private sealed class RecentItems(int capacity)
    {
        private readonly List<(string Item, long TimeMs, long Sequence)> _items = new(Math.Min(capacity, 16));

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public void Add(string item, long timeMs, long sequence)
        {
            lock (_items)
            {
                int at = 0;
                while (at < _items.Count && _items[at].TimeMs > timeMs)
                {
                    at++;
                }
                _items.Insert(at, (item, timeMs, sequence));
                if (_items.Count > capacity)
                {
                    _items.RemoveAt(_items.Count - 1);
                }
            }
        }

        /// <summary>Removes the entries logged at or before <paramref name="sequence"/>; returns how many are left.</summary>
        public int RemoveUpTo(long sequence)
        {
            lock (_items)
            {
                _items.RemoveAll(e => e.Sequence <= sequence);
                return _items.Count;
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
