using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Features;
using Cascade.Pipeline.Sources;
using Cascade.Ranking;

namespace Cascade.Pipeline.Ranking;

/// <summary>
/// The entity columns of the recommend ranker's rows: the feature store's definitions (<see cref="FeatureSet"/>, the
/// same as <c>POST /v1/rank</c>'s) for the request's user and each candidate — decayed counters, categories, tags,
/// user × item and user × category history — written by <see cref="OnlineFeatureStore.HydrateInto"/>, the one code
/// path that writes them for training and serving.
/// </summary>
/// <remarks>
/// Training rows are point in time (<c>PointInTime</c>): the interactions are replayed in time order into a
/// fresh store, and each training request's rows are written once every interaction up to its time is in — none
/// after it, none held out. Serving rows read a store fed the same way with all the data (<see cref="Replay"/>).
/// </remarks>
public sealed class EntityFeatures
{
    /// <summary>The app under which replayed interactions are kept.</summary>
    internal const string App = Apps.Default;

    /// <summary>The event type replayed interactions take (a positive role in the default registry).</summary>
    private const string PositiveType = "click";

    private readonly OnlineFeatureStore _store;
    private readonly ItemTable _items;
    private readonly Func<int, string> _userId;
    private readonly string _app;

    /// <summary>Serving entity features from <paramref name="store"/>.</summary>
    /// <param name="store">The feature store to read.</param>
    /// <param name="items">The item table (candidates' ids).</param>
    /// <param name="userId">The store's id of a dense user (−1: anonymous).</param>
    /// <param name="app">The app whose state to read.</param>
    public EntityFeatures(OnlineFeatureStore store, ItemTable items, Func<int, string> userId, string app = App)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(app);
        _store = store;
        _items = items;
        _userId = userId;
        _app = app;
    }

    /// <summary>The definitions.</summary>
    public FeatureSet Set => _store.Features;

    /// <summary>The store read.</summary>
    public OnlineFeatureStore Store => _store;

    /// <summary>The id a replayed dense user gets (the pipeline's data carries no user ids).</summary>
    /// <param name="user">Dense user, or −1 for an anonymous request.</param>
    public static string ReplayedUserId(int user) => user < 0 ? "" : "u" + user.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Writes the entity rows of <paramref name="candidates"/>[start, start + count) for <paramref name="user"/> at <paramref name="nowMs"/>.</summary>
    /// <param name="user">Dense user, or −1.</param>
    /// <param name="candidates">The request's candidates.</param>
    /// <param name="start">First candidate.</param>
    /// <param name="count">How many.</param>
    /// <param name="nowMs">Request time.</param>
    /// <param name="categorical">count × the set's field count codes.</param>
    /// <param name="numeric">count × the set's numeric count values.</param>
    public void Fill(int user, IReadOnlyList<Candidate> candidates, int start, int count, long nowMs, Span<int> categorical, Span<float> numeric)
    {
        var ids = new string[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = _items.Ids[candidates[start + i].Item];
        }
        _store.HydrateInto(_app, _userId(user), ids, null, nowMs, categorical, numeric);
    }

    /// <summary>A store holding <paramref name="data"/>'s items and every interaction, for serving.</summary>
    /// <param name="set">The definitions.</param>
    /// <param name="data">Interactions and items.</param>
    public static EntityFeatures Replay(FeatureSet set, PipelineData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var store = NewStore(set, data.Items);
        foreach (var (user, item, time) in InTimeOrder(data.Interactions))
        {
            store.Observe(Positive(user, data.Items.Ids[item], time));
        }
        return new EntityFeatures(store, data.Items, ReplayedUserId);
    }

    /// <summary>
    /// The entity rows of training requests, point in time: <paramref name="data"/>'s interactions are replayed in
    /// time order, and each request's rows are written once every interaction at or before its time is in.
    /// </summary>
    /// <param name="set">The definitions.</param>
    /// <param name="data">The interactions the sources were fitted on (held-out ones excluded) and the items.</param>
    /// <param name="requests">Per request: the dense user, its time and its candidates (null: none).</param>
    /// <returns>Per request, its rows (null where the request is).</returns>
    public static RankingDataset?[] PointInTime(FeatureSet set, PipelineData data, IReadOnlyList<(int User, long NowMs, IReadOnlyList<Candidate>? Candidates)> requests)
    {
        ArgumentNullException.ThrowIfNull(data);
        return PointInTime(set, EventTypeRegistry.Default, data.Items, ReplayedUserId, App,
            InTimeOrder(data.Interactions).Select(e => Positive(e.User, data.Items.Ids[e.Item], e.Time)), requests);
    }

    /// <summary>
    /// The entity rows of training requests, point in time, from <paramref name="events"/> — e.g. the event log's,
    /// impressions included, as the server's store saw them: each request's rows are written once the events up to
    /// its time are in. The events are taken in the order given, which should be time order (the log's order is,
    /// for events the server stamps); the advance for a request stops at the first event after its time.
    /// </summary>
    /// <param name="set">The definitions.</param>
    /// <param name="eventTypes">Roles of the events' types.</param>
    /// <param name="items">The item table (categories, tags, creation times; candidates' ids).</param>
    /// <param name="userId">The events' id of a dense user.</param>
    /// <param name="app">The app the events belong to.</param>
    /// <param name="events">The events, in time order (leave out what the requests must not see, e.g. held-out positives).</param>
    /// <param name="requests">Per request: the dense user, its time and its candidates (null: none).</param>
    /// <returns>Per request, its rows (null where the request is).</returns>
    public static RankingDataset?[] PointInTime(FeatureSet set, EventTypeRegistry eventTypes, ItemTable items, Func<int, string> userId, string app,
        IEnumerable<FeedbackEvent> events, IReadOnlyList<(int User, long NowMs, IReadOnlyList<Candidate>? Candidates)> requests)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(requests);
        var store = NewStore(set, items, eventTypes, app);
        var entity = new EntityFeatures(store, items, userId, app);
        var order = Enumerable.Range(0, requests.Count).Where(r => requests[r].Candidates is not null).OrderBy(r => requests[r].NowMs).ToArray();
        var rows = new RankingDataset?[requests.Count];
        var schema = set.Schema;
        using var stream = events.GetEnumerator();
        bool more = stream.MoveNext();
        foreach (int r in order)
        {
            var (user, nowMs, candidates) = requests[r];
            while (more && stream.Current.TimestampMs <= nowMs)
            {
                store.Observe(stream.Current);
                more = stream.MoveNext();
            }
            int n = candidates!.Count;
            var categorical = new int[n * schema.FieldCount];
            var numeric = new float[n * schema.NumericCount];
            entity.Fill(user, candidates, 0, n, nowMs, categorical, numeric);
            rows[r] = new RankingDataset(schema, n, categorical, numeric, validate: false);
        }
        return rows;
    }

    private static OnlineFeatureStore NewStore(FeatureSet set, ItemTable items, EventTypeRegistry? eventTypes = null, string app = App)
    {
        ArgumentNullException.ThrowIfNull(set);
        var store = new OnlineFeatureStore(set, eventTypes ?? EventTypeRegistry.Default);
        for (int i = 0; i < items.Count; i++)
        {
            store.Observe(new Item(app, items.Ids[i], "", [.. items.Categories[i].Select(c => items.CategoryNames[c])],
                [.. items.Tags[i].Select(t => items.TagNames[t])], "{}", DateTimeOffset.FromUnixTimeMilliseconds(items.CreatedAtMs[i]), false, null));
        }
        return store;
    }

    private static FeedbackEvent Positive(int user, string item, long timeMs) =>
        new(App, null, ReplayedUserId(user), item, PositiveType, null, timeMs, null, null);

    // Every interaction as (user, item, time), oldest first (ties: by user, then by the row's order).
    private static IEnumerable<(int User, int Item, long Time)> InTimeOrder(CsrMatrix interactions)
    {
        int n = interactions.NonZeros;
        var users = new int[n];
        var times = new long[n];
        var positions = new int[n];
        for (int u = 0; u < interactions.Rows; u++)
        {
            int from = interactions.RowPointers[u], to = interactions.RowPointers[u + 1];
            for (int k = from; k < to; k++)
            {
                users[k] = u;
                times[k] = interactions.Timestamps is { } t ? t[k] : 0;
                positions[k] = k;
            }
        }
        Array.Sort(times, positions);
        for (int j = 0; j < n; j++)
        {
            int k = positions[j];
            yield return (users[k], interactions.ColumnIndices[k], times[j]);
        }
    }
}

/// <summary>
/// The server's live feature store, for a ranker whose entity definitions are the store's: serving rows read it, and
/// training rows replay what it saw (the app's events from the log, impressions included) point in time.
/// </summary>
/// <param name="Store">The live store.</param>
/// <param name="App">The app of the bundle.</param>
/// <param name="UserIds">The external id of each dense user of the bundle.</param>
/// <param name="EventTypes">Roles of event types (as the store's).</param>
/// <param name="Events">The app's events up to the bundle's snapshot, in log order (read again for each fold).</param>
public sealed record LiveFeatures(OnlineFeatureStore Store, string App, IReadOnlyList<string> UserIds, EventTypeRegistry EventTypes, Func<IEnumerable<FeedbackEvent>> Events)
{
    /// <summary>The id of a dense user ("" for −1 or one the bundle does not know).</summary>
    public string UserId(int user) => user >= 0 && user < UserIds.Count ? UserIds[user] : "";

    /// <summary>Whether <paramref name="options"/> define the same features as the store.</summary>
    public bool Defines(FeatureSetOptions options) =>
        System.Text.Json.JsonSerializer.Serialize(options) == System.Text.Json.JsonSerializer.Serialize(Store.Features.Options);
}
