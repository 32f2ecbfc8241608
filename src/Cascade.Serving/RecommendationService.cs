using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Pipeline.Sources;
using Cascade.Serving.Paging;
using Cascade.Storage.Engine;

namespace Cascade.Serving;

/// <summary>
/// The served-bundle facade: recommend, similar, popular and latest for each app, from the bundle its
/// <see cref="Bundles"/> manager holds, with the user's recent history and items' liveness from the recent changes,
/// signed page cursors, batch lists and logged impressions. A request never trains: before an app's first bundle it
/// gets <see cref="BundleNotReadyException"/> (a training starts in the background).
/// </summary>
public sealed partial class RecommendationService
{
    private readonly CascadeEngine _engine;
    private readonly TimeProvider _clock;
    private readonly string[] _historyTypes;
    private readonly PageCursorCodec _cursors;

    /// <summary>Creates the service and its bundle manager.</summary>
    /// <param name="engine">The open engine.</param>
    /// <param name="options">Serving options (defaults when null).</param>
    /// <param name="clock">The clock (tests).</param>
    public RecommendationService(CascadeEngine engine, RecommendationOptions? options = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        _clock = clock ?? TimeProvider.System;
        Options = options ?? new RecommendationOptions();
        PipelineOptions = Options.Pipeline ?? PipelineOptions.Default();
        _historyTypes = [.. engine.EventTypes.All.Where(t => t.Role is EventRole.Positive or EventRole.Negative).Select(t => t.Name)];
        _cursors = new(new PageCursorOptions(
            Options.CursorKey ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            Options.CursorLifetime));
        Bundles = new BundleManager(engine, Options, PipelineOptions, _clock) { Swapped = TrimChanges };
    }

    /// <summary>The bundles served: training, loading, swapping, readiness.</summary>
    public BundleManager Bundles { get; }

    private const int LiveCheckSpare = 5;

    private static readonly System.Diagnostics.Metrics.Histogram<double> ScoreDistribution = Core.Telemetry.CascadeTelemetry.Meter.CreateHistogram<double>(
        "cascade.recommend.score", "1", "Final score of each recommended item (the ranker's when one is configured, else the fusion's): the prediction's distribution, watched for drift.",
        tags: null, advice: new System.Diagnostics.Metrics.InstrumentAdvice<double> { HistogramBucketBoundaries = [-5, -2, -1, -0.5, 0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5] });

    private long _impressionFailures;
    private readonly Lock _impressionsGate = new();
    private int _pendingImpressions;
    private TaskCompletionSource _impressionsIdle = new();

    /// <summary>The options in force.</summary>
    public RecommendationOptions Options { get; }

    /// <summary>The pipeline configuration in force.</summary>
    public PipelineOptions PipelineOptions { get; }

    // A swap drops the app's recent changes that both the outgoing and the incoming bundle include (a request still
    // on the one before reads the catalog instead).
    private void TrimChanges(ServedBundle? outgoing, ServedBundle incoming)
    {
        if (outgoing is not null && Changes is { } changes)
        {
            changes.Trim(incoming.App, Math.Min(outgoing.Snapshot.Sequence, incoming.Snapshot.Sequence));
        }
    }

    /// <summary>
    /// Completes when every impression write handed to the log so far has been acknowledged (or failed); returns the
    /// log's last sequence then, to wait for projections with. Responses never wait for their impressions; this is for
    /// tests, shutdown and tools.
    /// </summary>
    public async Task<long> WaitForImpressionsAsync(CancellationToken cancellationToken = default)
    {
        Task idle;
        lock (_impressionsGate)
        {
            idle = _pendingImpressions == 0 ? Task.CompletedTask : _impressionsIdle.Task;
        }
        await idle.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _engine.Log.LastSequence;
    }

    /// <summary>Impression writes that failed (logged events are best effort; the response never waits for them).</summary>
    public long ImpressionFailures => Interlocked.Read(ref _impressionFailures);

    /// <summary>
    /// Precomputed lists (<c>cascade batch</c>) served first when set: a user's stored list is filtered at read time
    /// (seen, hidden, expired, earlier pages) and served when it still holds n items; otherwise the request runs online.
    /// </summary>
    public BatchStore? Batch { get; set; }

    /// <summary>
    /// The log's changes since <see cref="TrackChanges"/>, kept in memory as a projection of the log
    /// (<see cref="RecentChanges"/>). When set, a bundle whose snapshot reaches its floor reads the user's recent
    /// history and items' liveness from it instead of the catalog (no database read on the request path); an older
    /// bundle (loaded from disk) still reads the catalog. Each swap trims the app's changes up to the older of the
    /// outgoing and incoming bundles' snapshots.
    /// </summary>
    public RecentChanges? Changes { get; private set; }

    /// <summary>
    /// Starts keeping the log's changes from its current end in memory: creates <see cref="Changes"/> and attaches it
    /// to the engine, which feeds it every later record. Call once, before serving.
    /// </summary>
    /// <exception cref="InvalidOperationException">Changes are tracked already.</exception>
    public RecentChanges TrackChanges()
    {
        if (Changes is not null)
        {
            throw new InvalidOperationException("Recent changes are tracked already.");
        }
        var changes = new RecentChanges(_engine.Log.LastSequence, _engine.EventTypes, Options.HistoryLength);
        _engine.Attach(changes);
        Changes = changes;
        return changes;
    }

    private RecentChanges? ChangesFor(ServedBundle bundle)
    {
        if (Changes is not { } c || bundle.Snapshot.Sequence < c.FloorOf(bundle.App))
        {
            return null;
        }
        // Never staler than the catalog: the engine applies a batch to both before anyone sees it, so this only
        // falls back while the projection catches up on its own (a burst) or after it stopped on an error.
        if (c.AppliedSequence < _engine.Catalog.AppliedSequence || !_engine.IsHealthy(c))
        {
            return null;
        }
        return c;
    }

    /// <summary>Per-stage latency of recent requests.</summary>
    public StageMetrics Metrics { get; } = new();

    /// <summary>Stage budgets applied to online requests.</summary>
    public StageBudgets Budgets => PipelineOptions.Budgets.ToBudgets();

    /// <summary>Runs the pipeline for a user or an anonymous session.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Count is outside 1–MaxResults.</exception>
    /// <exception cref="UnknownCategoryException">The category is not in the bundle's catalog.</exception>
    /// <exception cref="ArgumentException">The variant is invalid.</exception>
    /// <exception cref="BundleNotReadyException">No bundle serves the app yet (one is being trained in the background).</exception>
    public RecommendResult Recommend(string app, RecommendQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(query.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Count, Options.MaxResults);
        string variant = query.Variant ?? Options.Variant;
        if (!FeedbackEvent.IsValidVariant(variant))
        {
            throw new ArgumentException($"Variant '{variant}' is not 1–{FeedbackEvent.MaxVariantLength} letters, digits, '.', '_', '-' or ':'.", nameof(query));
        }
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        // An experiment arm with a pipeline of its own is served by its bundle (fitted on the serving bundle's data).
        var bundle = query.Arm is { } arm && Bundles.ArmServing(app, arm) is { } armBundle ? armBundle : Bundles.Serving(app);
        long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        int category = -1;
        if (query.Category is { } name)
        {
            category = IndexOf(bundle.Items.CategoryNames, name);
            if (category < 0)
            {
                throw new UnknownCategoryException(name);
            }
        }
        long historyStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var (user, history, known) = History(bundle, app, query.UserId, query.SessionItems);
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
                // A stored list was drawn when the batch ran; that draw's probabilities are not kept, so none is logged.
                LogImpressions(app, query.UserId, requestId, variant, stored, null, page.ServedCount, now);
            }
            string? nextStored = stored.Count < query.Count ? null : _cursors.Encode(page.Next(stored.Select(i => i.ItemId)), scope, now);
            double elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Metrics.Record([new StageReport("batch", elapsed, stored.Count)], elapsed);
            return new RecommendResult(requestId, stored, [], "batch", null, nextStored, variant);
        }
        // Liveness (hidden or expired since the bundle was built) and earlier pages are filters inside the sources, so
        // quotas fill with servable items and the re-rankers (caps, MMR, pins) decide on items that will be shown. Only
        // a bundle older than the recent changes (loaded from disk) still checks the page against the catalog afterwards.
        var changes = ChangesFor(bundle);
        var liveAt = DateTimeOffset.FromUnixTimeMilliseconds(now);
        Func<int, bool>? live = changes is not null && changes.HasItemChanges(app) ? item => changes.IsServable(app, table.Ids[item], liveAt) : null;
        Func<int, bool>? unserved = page.ServedCount == 0 ? null : item => !page.WasServed(table.Ids[item]);
        var request = new PipelineRequest(user, history, query.Count + (changes is null ? LiveCheckSpare : 0), now)
        {
            Category = category,
            Predicate = live is null ? unserved : unserved is null ? live : item => live(item) && unserved(item),
            Explain = query.Explain,
            Seed = page.Seed,
        };
        var result = bundle.Pipeline.Run(request, Budgets);
        var items = new List<Recommendation>(result.Items.Count);
        long liveStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var notLive = changes is null ? NotLive(app, bundle, result.Items.Select(c => bundle.Items.Ids[c.Item])) : [];
        var liveReport = new StageReport("live-check", System.Diagnostics.Stopwatch.GetElapsedTime(liveStarted).TotalMilliseconds, result.Items.Count - notLive.Count);
        // The probability the pipeline's random draws (exploration) put each item where it is shown: 1 for a
        // deterministic list; none for an explored item the live check moved up (its probability was for the pipeline's
        // position, and the shown position is what the log records).
        var propensities = new List<double?>(Math.Min(result.Items.Count, query.Count));
        for (int at = 0; at < result.Items.Count; at++)
        {
            var c = result.Items[at];
            ScoreDistribution.Record(c.Score);
            string id = bundle.Items.Ids[c.Item];
            if (notLive.Contains(id))
            {
                continue;
            }
            propensities.Add(c.PropensityAt(items.Count));
            items.Add(new Recommendation(id, c.Score, [.. c.Sources], c.Explored ? true : null, query.Explain ? c.Trail : null));
            if (items.Count == query.Count)
            {
                break;
            }
        }
        long impressionsStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        if ((query.LogImpressions ?? Options.LogImpressions) && query.UserId is not null && items.Count > 0 && (known || Sampled(query.UserId)))
        {
            LogImpressions(app, query.UserId, requestId, variant, items, propensities, page.ServedCount, now);
        }
        var impressionsReport = new StageReport("impressions", System.Diagnostics.Stopwatch.GetElapsedTime(impressionsStarted).TotalMilliseconds, items.Count);
        string? next = items.Count < query.Count ? null : _cursors.Encode(page.Next(items.Select(i => i.ItemId)), scope, now);
        // The serving steps around the pipeline (catalog reads, the impression hand-off) are in the statistics too.
        Metrics.Record([historyReport, .. result.Stages, liveReport, impressionsReport], System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new RecommendResult(requestId, items, result.Degraded, bundle.Version, query.Explain ? result.Stages : null, next, variant);
    }

    /// <summary>
    /// The serving bundle's top <paramref name="count"/> item ids for <paramref name="userId"/> as the bundle saw the
    /// user when it was trained (the history in its snapshot, not the events since), with the given seed for the
    /// random re-rankers; nothing is logged. Off-policy evaluation asks this, so a candidate trained up to a point of
    /// the log is not shown the outcomes it is judged on.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="userId">The user (unknown users get the anonymous list).</param>
    /// <param name="count">How many items.</param>
    /// <param name="nowMs">The request's time (Unix ms): items not servable then are left out.</param>
    /// <param name="seed">The seed of the random re-rankers.</param>
    public IReadOnlyList<string> RecommendAtSnapshot(string app, string userId, int count, long nowMs, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var bundle = Bundles.Serving(app);
        int user = bundle.UserIndex.TryGetValue(userId, out int u) ? u : -1;
        int[] history = user >= 0 && user < bundle.Snapshot.Matrix.Rows ? RecommendationPipeline.HistoryOf(bundle.Snapshot.Matrix, user) : [];
        // The same page as Recommend asks for, so exploration slots and pools line up with the logged lists.
        var request = new PipelineRequest(user, history, count + (ChangesFor(bundle) is null ? LiveCheckSpare : 0), nowMs)
        {
            Predicate = item => bundle.Items.IsServable(item, nowMs),
            Seed = seed,
        };
        return [.. bundle.Pipeline.Run(request, Budgets).Items.Take(count).Select(c => bundle.Items.Ids[c.Item])];
    }

    /// <summary>Items similar to <paramref name="itemId"/> by the first item-to-item source's model (else none).</summary>
    /// <exception cref="KeyNotFoundException">The item is not in the bundle.</exception>
    public IReadOnlyList<Recommendation> Similar(string app, string itemId, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Options.MaxResults);
        var bundle = Bundles.Serving(app);
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
        var bundle = Bundles.Serving(app);
        int code = -1;
        if (category is not null && (code = IndexOf(bundle.Items.CategoryNames, category)) < 0)
        {
            throw new UnknownCategoryException(category);
        }
        var request = new SourceRequest(bundle.Items, -1, [], _clock.GetUtcNow().ToUnixTimeMilliseconds(), category: code);
        var list = new List<ScoredItem>(n + LiveCheckSpare);
        ICandidateSource source = latest ? bundle.Latest : bundle.Pipeline.Fallback;
        source.Propose(request, n + LiveCheckSpare, list);
        string name = latest ? "latest" : "popular";
        var notLive = NotLive(app, bundle, list.Select(s => bundle.Items.Ids[s.Item]));
        return [.. list.Where(s => !notLive.Contains(bundle.Items.Ids[s.Item])).Take(n).Select(s => new Recommendation(bundle.Items.Ids[s.Item], s.Score, [name]))];
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
        var found = _engine.Catalog.GetItems(app, [.. ids]);
        foreach (var (id, item) in found)
        {
            if (!item.IsServable(now))
            {
                notLive.Add(id);
            }
        }
        return notLive;
    }

    /// <summary>Whether impressions of the unknown user <paramref name="userId"/> are logged (<see cref="RecommendationOptions.UnknownUserImpressionRate"/>).</summary>
    private bool Sampled(string userId)
    {
        double rate = Options.UnknownUserImpressionRate;
        if (rate <= 0)
        {
            return false;
        }
        if (rate >= 1)
        {
            return true;
        }
        uint hash = 2166136261;
        foreach (char c in userId)
        {
            hash = (hash ^ c) * 16777619;
        }
        return hash / (double)uint.MaxValue < rate;
    }

    // The user's history (session items, events since the bundle, the bundle's row) and whether the user is known:
    // has an event in the log (in the bundle's snapshot or since).
    private (int User, int[] History, bool Known) History(ServedBundle bundle, string app, string? userId, IReadOnlyList<string> sessionItems)
    {
        bool known = false;
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
                    known = true;
                    Add(bundle.Items.IndexOf(item));
                }
            }
            else
            {
                // Only the types that make history: impressions outnumber them and would push them out of the limit.
                foreach (var e in _engine.Catalog.GetUserEvents(app, userId, Options.HistoryLength, _historyTypes))
                {
                    known = true;
                    Add(bundle.Items.IndexOf(e.ItemId));
                }
            }
            if (bundle.UserIndex.TryGetValue(userId, out user))
            {
                known = true;
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
        return (user, [.. history], known);
    }

    private void LogImpressions(string app, string userId, string requestId, string variant, List<Recommendation> items, List<double?>? propensities, int offset, long now)
    {
        // No event id: the server writes each impression once, and an id would put it in the idempotency index
        // (memory per event, kept for the life of the process) for nothing. Clicks join by request id and position.
        var events = new FeedbackEvent[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            // The value is the score the item was served with, so prediction drift can be read back from the log.
            events[i] = new FeedbackEvent(app, null, userId, items[i].ItemId, "impression", double.IsFinite(items[i].Score) ? items[i].Score : null, now, requestId, offset + i, variant,
                propensities?[i]);
        }
        lock (_impressionsGate)
        {
            if (_pendingImpressions++ == 0)
            {
                _impressionsIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        _ = _engine.AppendEventsAsync(events).ContinueWith(t =>
        {
            if (t.IsFaulted)
            {
                Interlocked.Increment(ref _impressionFailures);
                _ = t.Exception;
            }
            lock (_impressionsGate)
            {
                if (--_pendingImpressions == 0)
                {
                    _impressionsIdle.TrySetResult();
                }
            }
        }, TaskScheduler.Default);
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
}
