using System.Globalization;
using Cascade.Core.Domain;
using Cascade.Features.State;
using Cascade.Ranking;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Features;

/// <summary>
/// Builds point-in-time training sets from the event log: every row's features are exactly the values known
/// strictly before the row's time, computed by the same code as <see cref="OnlineFeatureStore.Hydrate"/>.
/// </summary>
/// <remarks>
/// <para>Events are replayed in time order (ties in log order) into a private feature state. At each distinct
/// timestamp T the rows of the examples at T are written first and only then are the events at T applied, so an
/// event at the same millisecond as an example — the impression itself, the rest of its request, a click logged in
/// the same millisecond — never reaches that example's features. Labels are resolved from the whole log before the
/// replay; the replay never reads them, so the click that makes a label cannot feed its own row.</para>
/// <para>Catalog attributes (categories, tags, creation time, user attributes) are the latest upsert in the range
/// read: upserts carry no timestamp. Item age is still point-in-time because it is computed from CreatedAt.</para>
/// </remarks>
public sealed class TrainingSetBuilder
{
    private readonly FeatureSet _features;
    private readonly EventTypeRegistry _types;
    private readonly TrainingSetOptions _options;

    /// <summary>Creates a builder.</summary>
    /// <param name="features">The feature definitions (the same as serving's).</param>
    /// <param name="eventTypes">Maps event types to roles; events of unknown types are skipped.</param>
    /// <param name="options">How to make and label examples (defaults when null).</param>
    public TrainingSetBuilder(FeatureSet features, EventTypeRegistry eventTypes, TrainingSetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(eventTypes);
        _features = features;
        _types = eventTypes;
        _options = (options ?? new TrainingSetOptions()).Validate();
    }

    /// <summary>Builds the training set of <paramref name="app"/> from the log records up to <paramref name="upToSequence"/>.</summary>
    /// <param name="log">The event log.</param>
    /// <param name="app">The app.</param>
    /// <param name="upToSequence">The newest record to read.</param>
    /// <param name="contextOf">The request context of an example's event (device, platform), or null for none.</param>
    public TrainingSet Build(EventLog log, string app, long upToSequence = long.MaxValue, Func<FeedbackEvent, RequestContext>? contextOf = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(app);
        var events = new List<FeedbackEvent>();
        var items = new List<Item>();
        var users = new List<User>();
        foreach (var record in log.ReadFrom(1))
        {
            if (record.Sequence > upToSequence)
            {
                break;
            }
            switch (record.Kind)
            {
                case RecordKind.Event:
                    var e = RecordCodec.DecodeEvent(record.Payload.Span);
                    if (e.App == app)
                    {
                        events.Add(e);
                    }
                    break;
                case RecordKind.ItemUpsert:
                    var item = RecordCodec.DecodeItem(record.Payload.Span);
                    if (item.App == app)
                    {
                        items.Add(item);
                    }
                    break;
                case RecordKind.UserUpsert:
                    var user = RecordCodec.DecodeUser(record.Payload.Span);
                    if (user.App == app)
                    {
                        users.Add(user);
                    }
                    break;
                default:
                    break;
            }
        }
        return Build(events, items, users, contextOf);
    }

    /// <summary>Builds a training set from events (in log order) and the catalog upserts (later ones replace earlier).</summary>
    /// <param name="events">The events of one app, in log order; timestamps need not be sorted.</param>
    /// <param name="items">Item upserts of the app.</param>
    /// <param name="users">User upserts of the app.</param>
    /// <param name="contextOf">The request context of an example's event, or null for none.</param>
    public TrainingSet Build(IReadOnlyList<FeedbackEvent> events, IEnumerable<Item> items, IEnumerable<User> users, Func<FeedbackEvent, RequestContext>? contextOf = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(users);
        var state = new FeatureState(_features);
        foreach (var item in items)
        {
            state.ApplyItem(item);
        }
        foreach (var user in users)
        {
            state.ApplyUser(user);
        }

        // Known events with their roles, then the replay order: time, ties in log order.
        var known = new List<(FeedbackEvent Event, EventRole Role)>(events.Count);
        bool anyImpression = false;
        foreach (var e in events)
        {
            if (_types.TryGet(e.Type, out var type))
            {
                known.Add((e, type.Role));
                anyImpression |= type.Role == EventRole.Impression;
            }
        }
        var order = new int[known.Count];
        var times = new long[known.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
            times[i] = known[i].Event.TimestampMs;
        }
        Array.Sort(times, order); // not stable on its own; equal times are put back in log order below
        for (int s = 0, e; s < order.Length; s = e)
        {
            e = s + 1;
            while (e < order.Length && times[e] == times[s])
            {
                e++;
            }
            if (e - s > 1)
            {
                Array.Sort(order, s, e - s);
            }
        }

        var source = _options.Source == ExampleSource.Auto
            ? (anyImpression ? ExampleSource.Impressions : ExampleSource.SampledNegatives)
            : _options.Source;
        var rows = new RowBuffer(_features.Schema);
        var request = new RequestRow();
        var none = RequestContext.None;
        var labeler = source == ExampleSource.Impressions
            ? new ImpressionLabeler(known.Where(k => k.Role == EventRole.Positive).Select(k => k.Event), _options.AttributionWindowMs) : null;
        var sampler = source == ExampleSource.SampledNegatives ? new NegativeSampler(state, known, _options) : null;

        for (int s = 0, e; s < order.Length; s = e)
        {
            long t = times[s];
            e = s + 1;
            while (e < order.Length && times[e] == t)
            {
                e++;
            }
            // 1. Examples at t, from the state of every event strictly before t.
            if (t >= _options.FromMs && t < _options.ToMs)
            {
                sampler?.AdvanceTo(t);
                for (int j = s; j < e; j++)
                {
                    var (ev, role) = known[order[j]];
                    if (source == ExampleSource.Impressions && role == EventRole.Impression)
                    {
                        string group = ev.RequestId ?? string.Concat(ev.UserId, "\u0001", t.ToString(CultureInfo.InvariantCulture));
                        if (!Keep(group))
                        {
                            continue;
                        }
                        var context = contextOf?.Invoke(ev) ?? none;
                        _features.BeginRequest(state, ev.UserId, context, t, request);
                        rows.Add(state, _features, request, ev.ItemId, _features.PositionCode(ev.Position ?? context.Position), labeler!.Label(ev) ? 1f : 0f, group, t, ev.UserId);
                    }
                    else if (source == ExampleSource.SampledNegatives && role == EventRole.Positive
                        && Keep(string.Concat(ev.UserId, "\u0001", ev.ItemId, "\u0001", t.ToString(CultureInfo.InvariantCulture))))
                    {
                        var context = contextOf?.Invoke(ev) ?? none;
                        _features.BeginRequest(state, ev.UserId, context, t, request);
                        int position = _features.PositionCode(context.Position);
                        rows.Add(state, _features, request, ev.ItemId, position, 1f, null, t, ev.UserId);
                        foreach (string negative in sampler!.Sample(ev.UserId, ev.ItemId))
                        {
                            rows.Add(state, _features, request, negative, position, 0f, null, t, ev.UserId, sameGroup: true);
                        }
                    }
                }
            }
            // 2. Only now do the events at t become known.
            for (int j = s; j < e; j++)
            {
                var (ev, role) = known[order[j]];
                state.ApplyEvent(ev.UserId, ev.ItemId, role, ev.TimestampMs);
                if (role == EventRole.Positive)
                {
                    sampler?.MarkPositive(ev.UserId, ev.ItemId);
                }
            }
        }
        return rows.ToTrainingSet(source);
    }

    private bool Keep(string group) =>
        _options.ExampleFraction >= 1
        || FeatureHashing.Hash("example" + _options.Seed.ToString(CultureInfo.InvariantCulture), group) < _options.ExampleFraction * 18446744073709551615.0;

    // Draws negatives for a positive at T from the items that exist at T (created, or first seen in an event, at or
    // before T), skipping the positive item, items the user acted on positively before and items drawn already.
    private sealed class NegativeSampler
    {
        private readonly List<(long Since, string Item)> _byExistence = [];
        private readonly List<string> _pool = [];
        private readonly Dictionary<string, HashSet<string>> _userPositives = new(StringComparer.Ordinal);
        private readonly HashSet<string> _drawn = new(StringComparer.Ordinal);
        private readonly List<string> _result = [];
        private readonly Random _random;
        private readonly int _k;
        private int _next;

        public NegativeSampler(FeatureState state, List<(FeedbackEvent Event, EventRole Role)> events, TrainingSetOptions options)
        {
            _random = new Random(options.Seed);
            _k = options.NegativesPerPositive;
            var firstEvent = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (e, _) in events)
            {
                if (!firstEvent.TryGetValue(e.ItemId, out long first) || e.TimestampMs < first)
                {
                    firstEvent[e.ItemId] = e.TimestampMs;
                }
            }
            foreach (var item in state.Items)
            {
                long since = firstEvent.TryGetValue(item.Id, out long f) ? f : long.MaxValue;
                if (item.CreatedAtMs != FeatureState.Unknown)
                {
                    since = Math.Min(since, item.CreatedAtMs);
                }
                if (since != long.MaxValue)
                {
                    _byExistence.Add((since, item.Id));
                }
            }
            foreach (var (item, first) in firstEvent)
            {
                if (!state.TryGetItem(item, out _))
                {
                    _byExistence.Add((first, item));
                }
            }
            // Ties broken by id so the pool's order, and with it every draw, does not depend on dictionary order.
            _byExistence.Sort(static (a, b) => a.Since != b.Since ? a.Since.CompareTo(b.Since) : string.CompareOrdinal(a.Item, b.Item));
        }

        public void AdvanceTo(long t)
        {
            while (_next < _byExistence.Count && _byExistence[_next].Since <= t)
            {
                _pool.Add(_byExistence[_next++].Item);
            }
        }

        public void MarkPositive(string user, string item)
        {
            if (!_userPositives.TryGetValue(user, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                _userPositives.Add(user, set);
            }
            set.Add(item);
        }

        public List<string> Sample(string user, string positive)
        {
            _result.Clear();
            _drawn.Clear();
            _userPositives.TryGetValue(user, out var seen);
            for (int attempt = 0; attempt < 20 * _k && _result.Count < _k && _pool.Count > 0; attempt++)
            {
                string item = _pool[_random.Next(_pool.Count)];
                if (item == positive || (seen is not null && seen.Contains(item)) || !_drawn.Add(item))
                {
                    continue;
                }
                _result.Add(item);
            }
            return _result;
        }
    }

    // Rows in the order written, then regrouped so that each group's rows are contiguous.
    private sealed class RowBuffer(FeatureSchema schema)
    {
        private readonly int _fields = schema.FieldCount;
        private readonly int _numerics = schema.NumericCount;
        private readonly Dictionary<string, int> _groupIds = new(StringComparer.Ordinal);
        private readonly List<int> _groupOf = [];
        private readonly List<float> _labels = [];
        private readonly List<long> _times = [];
        private readonly List<string> _users = [];
        private readonly List<string> _items = [];
        private int[] _categorical = new int[1024];
        private float[] _numeric = new float[1024];
        private int _groups;

        public void Add(FeatureState state, FeatureSet features, RequestRow request, string item, int positionCode, float label, string? group, long time, string user, bool sameGroup = false)
        {
            int row = _labels.Count;
            Grow(ref _categorical, (row + 1) * _fields);
            Grow(ref _numeric, (row + 1) * _numerics);
            features.WriteCandidate(state, request, item, positionCode, _categorical.AsSpan(row * _fields, _fields), _numeric.AsSpan(row * _numerics, _numerics));
            int g;
            if (sameGroup)
            {
                g = _groupOf[^1];
            }
            else if (group is null)
            {
                g = _groups++;
            }
            else if (!_groupIds.TryGetValue(group, out g))
            {
                g = _groups++;
                _groupIds.Add(group, g);
            }
            _groupOf.Add(g);
            _labels.Add(label);
            _times.Add(time);
            _users.Add(user);
            _items.Add(item);
        }

        public TrainingSet ToTrainingSet(ExampleSource source)
        {
            int n = _labels.Count;
            // Counting sort by group (stable): groups stay in order of their first row, rows in order within a group.
            var offsets = new int[_groups + 1];
            foreach (int g in _groupOf)
            {
                offsets[g + 1]++;
            }
            for (int g = 0; g < _groups; g++)
            {
                offsets[g + 1] += offsets[g];
            }
            var next = (int[])offsets.Clone();
            var categorical = new int[n * _fields];
            var numeric = new float[n * _numerics];
            var labels = new float[n];
            var times = new long[n];
            var users = new string[n];
            var items = new string[n];
            for (int r = 0; r < n; r++)
            {
                int to = next[_groupOf[r]]++;
                _categorical.AsSpan(r * _fields, _fields).CopyTo(categorical.AsSpan(to * _fields));
                _numeric.AsSpan(r * _numerics, _numerics).CopyTo(numeric.AsSpan(to * _numerics));
                labels[to] = _labels[r];
                times[to] = _times[r];
                users[to] = _users[r];
                items[to] = _items[r];
            }
            var data = new RankingDataset(schema, n, categorical, numeric, labels, offsets);
            return new TrainingSet(data, times, users, items, source);
        }

        private static void Grow<T>(ref T[] array, int needed)
        {
            if (array.Length < needed)
            {
                Array.Resize(ref array, Math.Max(needed, array.Length * 2));
            }
        }
    }
}
