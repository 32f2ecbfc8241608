using System.Collections.Concurrent;
using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Pipeline.Paging;
using Cascade.Pipeline.Sources;
using Cascade.Storage.Engine;
using Cascade.Storage.Snapshot;

namespace Cascade.Serving;

/// <summary>Options of the recommendation service.</summary>
public sealed record RecommendationOptions
{
    /// <summary>The pipeline; null or without sources means <see cref="PipelineOptions.Default"/>.</summary>
    public PipelineOptions? Pipeline { get; init; }

    /// <summary>Largest n a request may ask for. Default 200.</summary>
    public int MaxResults { get; init; } = 200;

    /// <summary>Write an impression event per served item (request id and position) to the event log. Default true.</summary>
    public bool LogImpressions { get; init; } = true;

    /// <summary>How many of the user's newest events are read from the catalog per request. Default 200.</summary>
    public int HistoryLength { get; init; } = 200;

    /// <summary>Seed of models and sampling.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Key that signs pagination cursors (at least 16 bytes); null draws a random key per process, so cursors do not survive a restart.</summary>
    public byte[]? CursorKey { get; init; }

    /// <summary>How long a pagination cursor stays valid. Default 30 minutes.</summary>
    public TimeSpan CursorLifetime { get; init; } = PageCursorOptions.DefaultLifetime;
}

/// <summary>One recommended item.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">Its final score.</param>
/// <param name="Sources">The sources that proposed it.</param>
/// <param name="Explored">True when it holds an exploration slot.</param>
/// <param name="Trail">Its trail through every stage (only when explaining).</param>
public sealed record Recommendation(string ItemId, double Score, IReadOnlyList<string> Sources, bool? Explored = null, IReadOnlyList<TrailEntry>? Trail = null);

/// <summary>A page of recommendations.</summary>
/// <param name="RequestId">Send it back with clicks to join them to this response's impressions.</param>
/// <param name="Items">Best first.</param>
/// <param name="Degraded">Stages that degraded (timeout, error) and what was served instead; empty when none.</param>
/// <param name="BundleVersion">The model bundle that answered.</param>
/// <param name="Stages">Per-stage timings (only when explaining).</param>
/// <param name="NextCursor">Pass it as <c>cursor</c> for the next page (never repeats an item of earlier pages); null when the feed ends.</param>
public sealed record RecommendResult(string RequestId, IReadOnlyList<Recommendation> Items, IReadOnlyList<string> Degraded, string BundleVersion,
    IReadOnlyList<StageReport>? Stages, string? NextCursor);

/// <summary>A request to <see cref="RecommendationService.Recommend"/>.</summary>
/// <param name="UserId">The user, or null for an anonymous session.</param>
/// <param name="Count">How many items.</param>
public sealed record RecommendQuery(string? UserId, int Count)
{
    /// <summary>Items of an anonymous session (or extra recent items), newest first.</summary>
    public IReadOnlyList<string> SessionItems { get; init; } = [];

    /// <summary>Only items of this category, or null.</summary>
    public string? Category { get; init; }

    /// <summary>The cursor of the previous page, or null for the first page.</summary>
    public string? Cursor { get; init; }

    /// <summary>Record each item's trail.</summary>
    public bool Explain { get; init; }

    /// <summary>Log impressions for this request (default: the service option).</summary>
    public bool? LogImpressions { get; init; }

    /// <summary>The request id (generated when null).</summary>
    public string? RequestId { get; init; }
}

/// <summary>
/// Serves the multi-stage pipeline for each app. A model bundle (snapshot of the log, item table, fitted pipeline)
/// is trained from the event log, smoke-tested, and swapped in atomically: requests in flight finish on the bundle
/// they started with, and a bundle that fails its smoke test is refused while the old one keeps serving.
/// </summary>
public sealed class RecommendationService(CascadeEngine engine, RecommendationOptions? options = null, TimeProvider? clock = null)
{
    private readonly ConcurrentDictionary<string, ServedBundle> _bundles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _trainLocks = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly string[] _historyTypes = [.. engine.EventTypes.All.Where(t => t.Role is EventRole.Positive or EventRole.Negative).Select(t => t.Name)];
    private readonly PageCursorCodec _cursors = new(new PageCursorOptions(
        options?.CursorKey ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
        options?.CursorLifetime ?? PageCursorOptions.DefaultLifetime));

    private const int LiveCheckSpare = 5;
    private long _impressionFailures;

    /// <summary>The options in force.</summary>
    public RecommendationOptions Options { get; } = options ?? new RecommendationOptions();

    /// <summary>The pipeline configuration in force.</summary>
    public PipelineOptions PipelineOptions { get; } = options?.Pipeline is { Sources.Count: > 0 } p ? p : PipelineOptions.Default();

    /// <summary>Impression writes that failed (logged events are best effort; the response never waits for them).</summary>
    public long ImpressionFailures => Interlocked.Read(ref _impressionFailures);

    /// <summary>
    /// Precomputed lists (<c>cascade batch</c>) served first when set: a user's stored list is filtered at read time
    /// (seen, hidden, expired, earlier pages) and served when it still holds n items; otherwise the request runs online.
    /// </summary>
    public BatchStore? Batch { get; set; }

    /// <summary>
    /// The log's changes since start-up, kept in memory by a follower (<see cref="RecentChanges"/>). When set, a
    /// bundle whose snapshot reaches its floor reads the user's recent history and items' liveness from it instead of
    /// the catalog (no database read on the request path); an older bundle (loaded from disk) still reads the catalog.
    /// </summary>
    public RecentChanges? Changes { get; set; }

    private RecentChanges? ChangesFor(ServedBundle bundle)
    {
        if (Changes is not { } c || bundle.Snapshot.Sequence < c.Floor)
        {
            return null;
        }
        // Never staler than the catalog would have been: a write the catalog shows is applied here first.
        if (c.AppliedSequence < engine.Catalog.AppliedSequence)
        {
            c.CatchUp(engine.Log);
        }
        return c;
    }

    /// <summary>Per-stage latency of recent requests.</summary>
    public StageMetrics Metrics { get; } = new();

    /// <summary>Stage budgets applied to online requests.</summary>
    public StageBudgets Budgets => PipelineOptions.Budgets.ToBudgets();

    /// <summary>Trains a bundle of <paramref name="app"/> from the log, smoke-tests it and swaps it in.</summary>
    /// <exception cref="InvalidOperationException">The new bundle failed its smoke test; the old one keeps serving.</exception>
    public TrainingSummary Train(string app)
    {
        lock (_trainLocks.GetOrAdd(app, _ => new object()))
        {
            var started = _clock.GetTimestamp();
            var snapshot = InteractionSnapshot.Build(engine, app);
            var table = BuildTable(app, snapshot);
            var data = new PipelineData(snapshot.Matrix, table);
            var pipeline = PipelineBuilder.Build(PipelineOptions, data, Options.Seed);
            var bundle = new ServedBundle(app, snapshot, table, pipeline, $"{snapshot.Sequence}-{_clock.GetUtcNow().ToUnixTimeMilliseconds()}");
            SmokeTest(bundle);
            _bundles[app] = bundle;
            return new TrainingSummary(app, snapshot.Matrix.Rows, table.Count, snapshot.Matrix.NonZeros, snapshot.Sequence, _clock.GetElapsedTime(started), bundle.Version, pipeline.Note);
        }
    }

    /// <summary>Writes the bundle serving <paramref name="app"/> (training one first when there is none) to <paramref name="directory"/>.</summary>
    /// <returns>The manifest written.</returns>
    public BundleManifest SaveBundle(string app, string directory)
    {
        var bundle = Bundle(app);
        return PipelineBundle.Save(bundle.Pipeline, directory, app, bundle.Snapshot.Sequence, Options.Seed);
    }

    /// <summary>
    /// Loads a bundle written by <see cref="SaveBundle"/> (or <c>cascade train --output</c>): verifies every file's
    /// checksum, rebuilds the training snapshot up to the bundle's log sequence so ids agree, smoke-tests it and swaps
    /// it in. Requests in flight finish on the old bundle; a refused bundle leaves the old one serving.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is missing or fails its checksum, or the bundle does not fit this log.</exception>
    /// <exception cref="InvalidOperationException">The bundle failed its smoke test.</exception>
    public TrainingSummary LoadBundle(string app, string directory)
    {
        lock (_trainLocks.GetOrAdd(app, _ => new object()))
        {
            var started = _clock.GetTimestamp();
            var (manifest, _, _) = PipelineBundle.Read(directory);
            if (manifest.App != app)
            {
                throw new InvalidDataException($"The bundle at '{directory}' was trained for app '{manifest.App}', not '{app}'.");
            }
            if (manifest.Sequence > engine.Log.LastSequence)
            {
                throw new InvalidDataException($"The bundle at '{directory}' was trained up to log sequence {manifest.Sequence}, beyond this log's {engine.Log.LastSequence}: it belongs to another data directory.");
            }
            var snapshot = InteractionSnapshot.Build(engine.Log, engine.EventTypes, app, manifest.Sequence);
            var table = BuildTable(app, snapshot);
            var pipeline = PipelineBundle.Load(directory, new PipelineData(snapshot.Matrix, table));
            var bundle = new ServedBundle(app, snapshot, table, pipeline, $"{manifest.Sequence}-bundle-{manifest.CreatedAt.ToUnixTimeMilliseconds()}");
            SmokeTest(bundle);
            _bundles[app] = bundle;
            return new TrainingSummary(app, snapshot.Matrix.Rows, table.Count, snapshot.Matrix.NonZeros, snapshot.Sequence, _clock.GetElapsedTime(started), bundle.Version, pipeline.Note);
        }
    }

    private ItemTable BuildTable(string app, InteractionSnapshot snapshot)
    {
        var catalog = engine.Catalog.ListItems(app).ToDictionary(i => i.Id, StringComparer.Ordinal);
        var items = new List<Item>(Math.Max(snapshot.ItemIds.Count, catalog.Count));
        foreach (string id in snapshot.ItemIds)
        {
            items.Add(catalog.Remove(id, out var item) ? item : new Item(app, id, "", [], [], "{}", DateTimeOffset.UnixEpoch, false, null));
        }
        items.AddRange(catalog.Values.OrderBy(i => i.Id, StringComparer.Ordinal));
        return ItemTable.Build(items, ["series", "author"]);
    }

    /// <summary>Swaps in <paramref name="pipeline"/> for <paramref name="app"/> after smoke-testing it (bundles built elsewhere, tests).</summary>
    /// <exception cref="InvalidOperationException">The smoke test failed; the old bundle keeps serving.</exception>
    public void Swap(string app, InteractionSnapshot snapshot, RecommendationPipeline pipeline, string version)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(pipeline);
        var bundle = new ServedBundle(app, snapshot, pipeline.Items, pipeline, version);
        SmokeTest(bundle);
        _bundles[app] = bundle;
    }

    /// <summary>Whether <paramref name="app"/> has a bundle.</summary>
    public bool IsTrained(string app) => _bundles.ContainsKey(app);

    /// <summary>The version of the bundle serving <paramref name="app"/>, or null.</summary>
    public string? BundleVersion(string app) => _bundles.TryGetValue(app, out var b) ? b.Version : null;

    /// <summary>Runs the pipeline for a user or an anonymous session.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Count is outside 1–MaxResults.</exception>
    /// <exception cref="ArgumentException">The category is unknown (message names it).</exception>
    public RecommendResult Recommend(string app, RecommendQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Count, Options.MaxResults);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var bundle = Bundle(app);
        long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        int category = -1;
        if (query.Category is { } name)
        {
            category = IndexOf(bundle.Items.CategoryNames, name);
            if (category < 0)
            {
                throw new ArgumentException($"Category '{name}' is not in the catalog.", nameof(query));
            }
        }
        long historyStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var (user, history) = History(bundle, app, query.UserId, query.SessionItems);
        var historyReport = new StageReport("history", System.Diagnostics.Stopwatch.GetElapsedTime(historyStarted).TotalMilliseconds, history.Length);
        string requestId = query.RequestId ?? Guid.NewGuid().ToString("N");
        string scope = $"{app}\n{query.UserId}\n{query.Category}";
        var page = query.Cursor is null ? _cursors.Start(SeedOf(requestId)) : _cursors.Decode(query.Cursor, scope, now);
        var table = bundle.Items;
        if (Batch is not null && query.UserId is not null && query.SessionItems.Count == 0 && category < 0 && !query.Explain
            && FromBatch(app, bundle, query, history, page, now) is { } stored)
        {
            if ((query.LogImpressions ?? Options.LogImpressions) && stored.Count > 0)
            {
                LogImpressions(app, query.UserId, requestId, stored, page.ServedCount, now);
            }
            string? nextStored = stored.Count < query.Count ? null : _cursors.Encode(page.Next(stored.Select(i => i.ItemId)), scope, now);
            double elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Metrics.Record([new StageReport("batch", elapsed, stored.Count)], elapsed);
            return new RecommendResult(requestId, stored, [], "batch", null, nextStored);
        }
        // A few spare candidates cover items hidden or expired since the bundle was built (checked live below).
        var request = new PipelineRequest(user, history, query.Count + LiveCheckSpare, now)
        {
            Category = category,
            Predicate = page.ServedCount == 0 ? null : item => !page.WasServed(table.Ids[item]),
            Explain = query.Explain,
            Seed = page.Seed,
        };
        var result = bundle.Pipeline.Run(request, Budgets);
        var items = new List<Recommendation>(result.Items.Count);
        // The bundle's table may predate a hide or an expiry change: check the live catalog for the page only, in one read.
        long liveStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var notLive = NotLive(app, bundle, result.Items.Select(c => bundle.Items.Ids[c.Item]));
        var liveReport = new StageReport("live-check", System.Diagnostics.Stopwatch.GetElapsedTime(liveStarted).TotalMilliseconds, result.Items.Count - notLive.Count);
        foreach (var c in result.Items)
        {
            string id = bundle.Items.Ids[c.Item];
            if (notLive.Contains(id))
            {
                continue;
            }
            items.Add(new Recommendation(id, c.Score, [.. c.Sources], c.Explored ? true : null, query.Explain ? c.Trail : null));
            if (items.Count == query.Count)
            {
                break;
            }
        }
        long impressionsStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        if ((query.LogImpressions ?? Options.LogImpressions) && query.UserId is not null && items.Count > 0)
        {
            LogImpressions(app, query.UserId, requestId, items, page.ServedCount, now);
        }
        var impressionsReport = new StageReport("impressions", System.Diagnostics.Stopwatch.GetElapsedTime(impressionsStarted).TotalMilliseconds, items.Count);
        string? next = items.Count < query.Count ? null : _cursors.Encode(page.Next(items.Select(i => i.ItemId)), scope, now);
        // The serving steps around the pipeline (catalog reads, the impression hand-off) are in the statistics too.
        Metrics.Record([historyReport, .. result.Stages, liveReport, impressionsReport], System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new RecommendResult(requestId, items, result.Degraded, bundle.Version, query.Explain ? result.Stages : null, next);
    }

    /// <summary>Items similar to <paramref name="itemId"/> by the first item-to-item source's model (else none).</summary>
    /// <exception cref="KeyNotFoundException">The item is not in the bundle.</exception>
    public IReadOnlyList<Recommendation> Similar(string app, string itemId, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Options.MaxResults);
        var bundle = Bundle(app);
        int item = bundle.Items.IndexOf(itemId);
        if (item < 0)
        {
            throw new KeyNotFoundException($"Item '{itemId}' is not in the catalog (or joined after the last training).");
        }
        long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var slot in bundle.Pipeline.Sources)
        {
            if (slot.Source is ItemToItemSource i2i && item < i2i.Model.ItemCount)
            {
                var similar = i2i.Similar(item, n + LiveCheckSpare).Where(r => bundle.Items.IsServable(r.Item, now)).ToList();
                var notLive = NotLive(app, bundle, similar.Select(r => bundle.Items.Ids[r.Item]));
                return [.. similar
                    .Where(r => !notLive.Contains(bundle.Items.Ids[r.Item]))
                    .Take(n)
                    .Select(r => new Recommendation(bundle.Items.Ids[r.Item], r.Score, [slot.Source.Name]))];
            }
        }
        return [];
    }

    /// <summary>The most popular (trending) servable items, optionally in a category.</summary>
    public IReadOnlyList<Recommendation> Popular(string app, int n, string? category) => Listing(app, n, category, latest: false);

    /// <summary>The newest servable items, optionally in a category.</summary>
    public IReadOnlyList<Recommendation> Latest(string app, int n, string? category) => Listing(app, n, category, latest: true);

    private IReadOnlyList<Recommendation> Listing(string app, int n, string? category, bool latest)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Options.MaxResults);
        var bundle = Bundle(app);
        int code = -1;
        if (category is not null && (code = IndexOf(bundle.Items.CategoryNames, category)) < 0)
        {
            throw new ArgumentException($"Category '{category}' is not in the catalog.", nameof(category));
        }
        var request = new SourceRequest(bundle.Items, -1, [], _clock.GetUtcNow().ToUnixTimeMilliseconds(), category: code);
        var list = new List<ScoredItem>(n + LiveCheckSpare);
        ICandidateSource source = latest ? bundle.Latest : bundle.Pipeline.Fallback;
        source.Propose(request, n + LiveCheckSpare, list);
        string name = latest ? "latest" : "popular";
        var notLive = NotLive(app, bundle, list.Select(s => bundle.Items.Ids[s.Item]));
        return [.. list.Where(s => !notLive.Contains(bundle.Items.Ids[s.Item])).Take(n).Select(s => new Recommendation(bundle.Items.Ids[s.Item], s.Score, [name]))];
    }

    private List<Recommendation>? FromBatch(string app, ServedBundle bundle, RecommendQuery query, int[] history, PageState page, long now)
    {
        var stored = Batch!.Read(app, query.UserId!);
        if (stored is null)
        {
            return null;
        }
        var seen = new HashSet<int>(history);
        var list = new List<Recommendation>(query.Count);
        var notLive = NotLive(app, bundle, stored.Value.Items.Select(i => i.ItemId));
        foreach (var item in stored.Value.Items)
        {
            int index = bundle.Items.IndexOf(item.ItemId);
            if ((index >= 0 && (seen.Contains(index) || !bundle.Items.IsServable(index, now))) || page.WasServed(item.ItemId) || notLive.Contains(item.ItemId))
            {
                continue;
            }
            list.Add(new Recommendation(item.ItemId, item.Score, ["batch", .. item.Sources]));
            if (list.Count == query.Count)
            {
                return list;
            }
        }
        return null; // too few left after filtering: compute online
    }

    /// <summary>
    /// Precomputes the top <paramref name="n"/> of every user of the current bundle (training one when there is none)
    /// into <paramref name="store"/>, in parallel, resuming an interrupted run over the same log sequence.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="store">Destination.</param>
    /// <param name="n">Items per user (store more than a page so read-time filters leave enough).</param>
    /// <param name="progress">Receives the number of users done (including those done by an earlier, interrupted run).</param>
    /// <param name="cancellationToken">Stops between chunks; what is written stays and a later run resumes.</param>
    public BatchSummary RunBatch(string app, BatchStore store, int n, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        long startedAt = _clock.GetTimestamp();
        var bundle = Bundle(app);
        long sequence = bundle.Snapshot.Sequence;
        long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var users = bundle.Snapshot.UserIds;
        var done = store.BeginRun(app, sequence, users.Count, now);
        var todo = Enumerable.Range(0, users.Count).Where(u => !done.Contains(users[u])).ToArray();
        long finished = done.Count;
        progress?.Report(finished);
        const int chunk = 512;
        var chunks = Enumerable.Range(0, (todo.Length + chunk - 1) / chunk).ToArray();
        Parallel.ForEach(chunks, new ParallelOptions { CancellationToken = cancellationToken }, c =>
        {
            var lists = new List<(string, IReadOnlyList<StoredItem>)>(chunk);
            foreach (int u in todo.AsSpan(c * chunk, Math.Min(chunk, todo.Length - c * chunk)))
            {
                var history = RecommendationPipeline.HistoryOf(bundle.Snapshot.Matrix, u);
                var result = bundle.Pipeline.Run(new PipelineRequest(u, history, n, now) { Seed = (ulong)u });
                lists.Add((users[u], [.. result.Items.Select(i => new StoredItem(bundle.Items.Ids[i.Item], i.Score, [.. i.Sources]))]));
            }
            store.Write(app, sequence, now, lists);
            progress?.Report(Interlocked.Add(ref finished, lists.Count));
        });
        store.FinishRun(app, sequence, _clock.GetUtcNow().ToUnixTimeMilliseconds());
        return new BatchSummary(app, users.Count, todo.Length, done.Count, sequence, _clock.GetElapsedTime(startedAt));
    }

    /// <summary>
    /// The ids the live catalog holds as hidden or expired now (one catalog read for the whole list; ids it does not
    /// hold are not in it — the bundle's own table already vouched for them).
    /// </summary>
    private HashSet<string> NotLive(string app, ServedBundle bundle, IEnumerable<string> ids)
    {
        var now = _clock.GetUtcNow();
        var notLive = new HashSet<string>(StringComparer.Ordinal);
        if (ChangesFor(bundle) is { } changes)
        {
            foreach (string id in ids)
            {
                if (!changes.IsServable(app, id, now))
                {
                    notLive.Add(id);
                }
            }
            return notLive;
        }
        var found = engine.Catalog.GetItems(app, [.. ids]);
        foreach (var (id, item) in found)
        {
            if (!item.IsServable(now))
            {
                notLive.Add(id);
            }
        }
        return notLive;
    }

    private ServedBundle Bundle(string app)
    {
        if (_bundles.TryGetValue(app, out var bundle))
        {
            return bundle;
        }
        Train(app);
        return _bundles[app];
    }

    private (int User, int[] History) History(ServedBundle bundle, string app, string? userId, IReadOnlyList<string> sessionItems)
    {
        var history = new List<int>();
        var seen = new HashSet<int>();
        void Add(int item)
        {
            if (item >= 0 && seen.Add(item))
            {
                history.Add(item);
            }
        }
        foreach (string id in sessionItems)
        {
            Add(bundle.Items.IndexOf(id));
        }
        int user = -1;
        if (userId is not null)
        {
            if (ChangesFor(bundle) is { } changes)
            {
                foreach (string item in changes.HistoryOf(app, userId))
                {
                    Add(bundle.Items.IndexOf(item));
                }
            }
            else
            {
                // Only the types that make history: impressions outnumber them and would push them out of the limit.
                foreach (var e in engine.Catalog.GetUserEvents(app, userId, Options.HistoryLength, _historyTypes))
                {
                    Add(bundle.Items.IndexOf(e.ItemId));
                }
            }
            if (bundle.UserIndex.TryGetValue(userId, out user))
            {
                foreach (int item in RecommendationPipeline.HistoryOf(bundle.Snapshot.Matrix, user))
                {
                    Add(item);
                }
            }
            else
            {
                user = -1;
            }
        }
        return (user, [.. history]);
    }

    private void LogImpressions(string app, string userId, string requestId, List<Recommendation> items, int offset, long now)
    {
        // No event id: the server writes each impression once, and an id would put it in the idempotency index
        // (memory per event, kept for the life of the process) for nothing. Clicks join by request id and position.
        var events = new FeedbackEvent[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            events[i] = new FeedbackEvent(app, null, userId, items[i].ItemId, "impression", null, now, requestId, offset + i);
        }
        _ = engine.AppendEventsAsync(events).ContinueWith(t =>
        {
            if (t.IsFaulted)
            {
                Interlocked.Increment(ref _impressionFailures);
                _ = t.Exception;
            }
        }, TaskScheduler.Default);
    }

    private void SmokeTest(ServedBundle bundle)
    {
        try
        {
            long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
            int user = bundle.Snapshot.Matrix.Rows > 0 ? 0 : -1;
            var history = user >= 0 ? RecommendationPipeline.HistoryOf(bundle.Snapshot.Matrix, user) : [];
            var known = bundle.Pipeline.Run(new PipelineRequest(user, history, 10, now));
            var anonymous = bundle.Pipeline.Run(new PipelineRequest(-1, [], 10, now));
            bool servable = Enumerable.Range(0, bundle.Items.Count).Any(i => bundle.Items.IsServable(i, now));
            if (servable && bundle.Snapshot.Matrix.NonZeros > 0 && anonymous.Items.Count == 0)
            {
                throw new InvalidOperationException("an anonymous request returned no items although servable items exist");
            }
            foreach (var c in known.Items.Concat(anonymous.Items))
            {
                if ((uint)c.Item >= (uint)bundle.Items.Count || !float.IsFinite(c.Score))
                {
                    throw new InvalidOperationException($"item {c.Item} with score {c.Score} is out of range or not finite");
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"The new bundle of app '{bundle.App}' failed its smoke test and was not swapped in: {e.Message}", e);
        }
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private static ulong SeedOf(string requestId)
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in requestId)
        {
            h = (h ^ ch) * 1099511628211UL;
        }
        return h;
    }

    private sealed class ServedBundle
    {
        public ServedBundle(string app, InteractionSnapshot snapshot, ItemTable items, RecommendationPipeline pipeline, string version)
        {
            App = app;
            Snapshot = snapshot;
            Items = items;
            Pipeline = pipeline;
            Version = version;
            UserIndex = new Dictionary<string, int>(snapshot.UserIds.Count, StringComparer.Ordinal);
            for (int u = 0; u < snapshot.UserIds.Count; u++)
            {
                UserIndex[snapshot.UserIds[u]] = u;
            }
            Latest = new LatestSource("latest");
            Latest.Fit(new PipelineData(snapshot.Matrix, items));
        }

        public string App { get; }

        public InteractionSnapshot Snapshot { get; }

        public ItemTable Items { get; }

        public RecommendationPipeline Pipeline { get; }

        public string Version { get; }

        public Dictionary<string, int> UserIndex { get; }

        public LatestSource Latest { get; }
    }
}

/// <summary>What one batch run did.</summary>
/// <param name="App">The app.</param>
/// <param name="Users">Users of the bundle.</param>
/// <param name="Computed">Users computed by this run.</param>
/// <param name="Resumed">Users already done by an interrupted run over the same log sequence.</param>
/// <param name="Sequence">The log sequence of the bundle.</param>
/// <param name="Elapsed">Wall time (including training when there was no bundle).</param>
public sealed record BatchSummary(string App, int Users, int Computed, int Resumed, long Sequence, TimeSpan Elapsed);

/// <summary>What one training run did.</summary>
/// <param name="App">The app.</param>
/// <param name="Users">Rows of the interaction matrix.</param>
/// <param name="Items">Items in the bundle's table.</param>
/// <param name="Interactions">Non-zero entries.</param>
/// <param name="Sequence">The newest log record included.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="BundleVersion">The new bundle's version.</param>
/// <param name="Note">What the build could not do as configured (e.g. too little data to train the ranker), or null.</param>
public sealed record TrainingSummary(string App, int Users, int Items, int Interactions, long Sequence, TimeSpan Elapsed, string BundleVersion, string? Note = null);
