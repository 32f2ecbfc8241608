using System.Collections.Concurrent;
using System.Runtime;
using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Features;
using Cascade.Pipeline;
using Cascade.Pipeline.Ranking;
using Cascade.Pipeline.Sources;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;
using Cascade.Storage.Snapshot;

namespace Cascade.Serving;

/// <summary>
/// The bundle lifecycle of every app: trains a bundle from the log (only in the background for requests:
/// <see cref="TrainInBackground"/>; <see cref="Train"/> for tools and admin calls), loads saved ones, smoke-tests
/// each and swaps it in atomically — requests in flight finish on the bundle they started with, and a bundle that
/// fails its smoke test is refused while the old one keeps serving. <see cref="RecommendationService"/> serves from
/// the bundles it holds.
/// </summary>
public sealed partial class BundleManager
{
    private readonly CascadeEngine _engine;
    private readonly RecommendationOptions _options;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, ServedBundle> _bundles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _trainLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<TrainingSummary>> _backgroundTraining = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _trainingFailures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _bundleReady = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TrainingSummary> _lastTraining = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RecentHistory<CommissionedBundle>> _history = new(StringComparer.Ordinal);

    private static readonly System.Diagnostics.Metrics.Histogram<double> TrainingDuration = Core.Telemetry.CascadeTelemetry.Meter.CreateHistogram<double>(
        "cascade.training.duration", "s", "Time to train, smoke-test and swap in a bundle (or load one), by app.", tags: null,
        advice: new System.Diagnostics.Metrics.InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] });

    internal BundleManager(CascadeEngine engine, RecommendationOptions options, PipelineOptions pipelineOptions, TimeProvider clock)
    {
        _engine = engine;
        _options = options;
        PipelineOptions = pipelineOptions;
        _clock = clock;
    }

    /// <summary>The pipeline configuration bundles are trained with.</summary>
    public PipelineOptions PipelineOptions { get; }

    /// <summary>
    /// The server's online feature store (a projection of the log), or null. A ranker whose <c>EntityFeatures</c> are
    /// this store's definitions reads it at serving, and its training replays the log's events point in time.
    /// </summary>
    public OnlineFeatureStore? FeatureStore { get; set; }

    // What a bundle of app at snapshot needs of the live store (null without one).
    private LiveFeatures? LiveOf(string app, InteractionSnapshot snapshot) => FeatureStore is not { } store ? null
        : new LiveFeatures(store, app, snapshot.UserIds, _engine.EventTypes, () => EventsOf(app, snapshot.Sequence));

    // The app's events in the log up to sequence, in log order, decoded as they are read.
    private IEnumerable<FeedbackEvent> EventsOf(string app, long sequence)
    {
        foreach (var record in _engine.Log.ReadFrom(1))
        {
            if (record.Sequence > sequence)
            {
                yield break;
            }
            if (record.Kind == RecordKind.Event && RecordCodec.DecodeEvent(record.Payload.Span) is { } e && e.App == app)
            {
                yield return e;
            }
        }
    }

    /// <summary>Called with the outgoing bundle (or null) and the incoming one whenever a bundle is put in service.</summary>
    internal Action<ServedBundle?, ServedBundle>? Swapped { get; set; }

    /// <summary>Trains a bundle of <paramref name="app"/> from the log, smoke-tests it and swaps it in.</summary>
    /// <exception cref="InvalidOperationException">The new bundle failed its smoke test; the old one keeps serving.</exception>
    public TrainingSummary Train(string app)
    {
        lock (_trainLocks.GetOrAdd(app, _ => new object()))
        {
            var started = _clock.GetTimestamp();
            // Everything acknowledged so far is in the snapshot; the projection holds it, so nothing is replayed.
            _engine.WaitForAsync(_engine.Interactions, _engine.Log.LastSequence, CatalogWait).GetAwaiter().GetResult();
            var snapshot = _engine.Interactions.Snapshot(app);
            return Commission(Build(app, snapshot, PipelineOptions), started);
        }
    }

    /// <summary>
    /// Trains a bundle of <paramref name="app"/> from the log records up to <paramref name="upTo"/> only (an earlier
    /// point of the log, e.g. for off-policy evaluation on the requests after it), smoke-tests it and swaps it in.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="upTo">The last log sequence the bundle sees.</param>
    /// <exception cref="InvalidOperationException">The new bundle failed its smoke test.</exception>
    public TrainingSummary TrainUpTo(string app, long upTo)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(upTo);
        lock (_trainLocks.GetOrAdd(app, _ => new object()))
        {
            var started = _clock.GetTimestamp();
            var snapshot = InteractionSnapshot.Build(_engine.Log, _engine.EventTypes, app, upTo);
            return Commission(Build(app, snapshot, PipelineOptions), started);
        }
    }

    // Fits a bundle of app at snapshot with options (the serving configuration, or an experiment arm's).
    private ServedBundle Build(string app, InteractionSnapshot snapshot, PipelineOptions options)
    {
        var table = BuildTable(app, snapshot, options);
        var data = new PipelineData(snapshot.Matrix, table)
        {
            Served = options.Ranker is null && !options.IsSelectionOn() ? [] : ServedLists(app, snapshot, table),
            Live = LiveOf(app, snapshot),
        };
        var pipeline = PipelineBuilder.Build(options, data, _options.Seed);
        return new ServedBundle(app, snapshot, table, pipeline, $"{snapshot.Sequence}-{_clock.GetUtcNow().ToUnixTimeMilliseconds()}");
    }

    /// <summary>Writes the bundle serving <paramref name="app"/> (training one first when there is none) to <paramref name="directory"/>.</summary>
    /// <returns>The manifest written.</returns>
    public BundleManifest SaveBundle(string app, string directory)
    {
        if (!_bundles.ContainsKey(app))
        {
            Train(app);
        }
        var bundle = _bundles[app];
        return PipelineBundle.Save(bundle.Pipeline, directory, app, bundle.Snapshot.Sequence, _options.Seed);
    }

    /// <summary>
    /// Loads a bundle written by <see cref="SaveBundle"/> (or <c>cascade train --output</c>): verifies every file's
    /// checksum, rebuilds the training snapshot up to the bundle's log sequence so ids agree, smoke-tests it and swaps
    /// it in. Requests in flight finish on the old bundle; a refused bundle leaves the old one serving.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="directory">The bundle directory (the caller decides which directories may be loaded).</param>
    /// <param name="cancellationToken">Stops the load between steps; nothing is swapped in then.</param>
    /// <exception cref="InvalidDataException">A file is missing or fails its checksum, or the bundle does not fit this log.</exception>
    /// <exception cref="InvalidOperationException">The bundle failed its smoke test.</exception>
    /// <exception cref="OperationCanceledException">The load was cancelled.</exception>
    public TrainingSummary LoadBundle(string app, string directory, CancellationToken cancellationToken = default)
    {
        lock (_trainLocks.GetOrAdd(app, _ => new object()))
        {
            var started = _clock.GetTimestamp();
            return Commission(ReadBundle(app, directory, cancellationToken), started);
        }
    }

    // Reads a bundle folder into a bundle that can serve (checksums, the snapshot at its sequence, the pipeline).
    private ServedBundle ReadBundle(string app, string directory, CancellationToken cancellationToken)
    {
        var read = PipelineBundle.Read(directory, cancellationToken);
        var manifest = read.Manifest;
        if (manifest.App != app)
        {
            throw new InvalidDataException($"The bundle was trained for app '{manifest.App}', not '{app}'.");
        }
        if (manifest.Sequence > _engine.Log.LastSequence)
        {
            throw new InvalidDataException($"The bundle was trained up to log sequence {manifest.Sequence}, beyond this log's {_engine.Log.LastSequence}: it belongs to another data directory.");
        }
        cancellationToken.ThrowIfCancellationRequested();
        var snapshot = _engine.Interactions.AppliedSequence == manifest.Sequence ? _engine.Interactions.Snapshot(app) : null;
        if (snapshot?.Sequence != manifest.Sequence)
        {
            snapshot = InteractionSnapshot.Build(_engine.Log, _engine.EventTypes, app, manifest.Sequence); // an older bundle: its own point of the log
        }
        cancellationToken.ThrowIfCancellationRequested();
        var table = BuildTable(app, snapshot, PipelineOptions);
        var pipeline = PipelineBundle.Build(read, new PipelineData(snapshot.Matrix, table) { Live = LiveOf(app, snapshot) }, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return new ServedBundle(app, snapshot, table, pipeline, $"{manifest.Sequence}-bundle-{manifest.CreatedAt.ToUnixTimeMilliseconds()}");
    }

    // Smoke-tests the bundle, puts it in service, records the summary (started: a timestamp of the clock) and asks for
    // a checkpoint, so the next start resumes the projections from here instead of replaying the log.
    private TrainingSummary Commission(ServedBundle bundle, long started)
    {
        SmokeTest(bundle);
        Serve(bundle);
        var snapshot = bundle.Snapshot;
        var summary = new TrainingSummary(bundle.App, snapshot.Matrix.Rows, bundle.Items.Count, snapshot.Matrix.NonZeros, snapshot.Sequence,
            _clock.GetElapsedTime(started), bundle.Version, bundle.Pipeline.Note, bundle.Pipeline.RankerTraining, bundle.Pipeline.Selection);
        _lastTraining[bundle.App] = summary;
        _history.GetOrAdd(bundle.App, _ => new RecentHistory<CommissionedBundle>(MaxHistory)).Add(new CommissionedBundle(_clock.GetUtcNow(), summary));
        TrainingDuration.Record(summary.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("app", bundle.App));
        CheckpointInBackground();
        return summary;
    }

    /// <summary>
    /// The lists served to the snapshot's users that the log holds (the newest, with their clicks), in the
    /// snapshot's dense ids: the feedback the ranker learns from besides held-out interactions. Lists of users or
    /// items the snapshot does not know, and lists without both a click and a shown-but-not-clicked item, teach the
    /// ranker nothing and are left out.
    /// </summary>
    private List<ServedList> ServedLists(string app, InteractionSnapshot snapshot, ItemTable table)
    {
        var users = new Dictionary<string, int>(snapshot.UserIds.Count, StringComparer.Ordinal);
        for (int u = 0; u < snapshot.UserIds.Count; u++)
        {
            users[snapshot.UserIds[u]] = u;
        }
        var lists = new List<ServedList>();
        foreach (var request in LoggedRequests.Read(_engine.Log, app, _engine.EventTypes, snapshot.Sequence))
        {
            if (!users.TryGetValue(request.UserId, out int user))
            {
                continue;
            }
            var shown = request.Items.Where(i => table.IndexOf(i.ItemId) >= 0).ToList();
            if (!shown.Any(i => i.Clicked) || shown.All(i => i.Clicked))
            {
                continue;
            }
            lists.Add(new ServedList(user, request.TimeMs, [.. shown.Select(i => table.IndexOf(i.ItemId))],
                [.. shown.Select(i => i.Position ?? -1)], [.. shown.Select(i => i.Clicked)]));
        }
        return lists;
    }

    /// <summary>
    /// The bundle's item table: the catalog once it has applied the snapshot's records (so a hide or an expiry the
    /// snapshot includes is in the table; recent changes only hold what came after), in the snapshot's id order.
    /// </summary>
    /// <exception cref="TimeoutException">The catalog did not catch up within <see cref="CatalogWait"/>.</exception>
    private ItemTable BuildTable(string app, InteractionSnapshot snapshot, PipelineOptions options)
    {
        _engine.WaitForCatalogAsync(snapshot.Sequence, CatalogWait).GetAwaiter().GetResult();
        var catalog = _engine.Catalog.ListItems(app).ToDictionary(i => i.Id, StringComparer.Ordinal);
        var items = new List<Item>(Math.Max(snapshot.ItemIds.Count, catalog.Count));
        foreach (string id in snapshot.ItemIds)
        {
            items.Add(catalog.Remove(id, out var item) ? item : new Item(app, id, "", [], [], "{}", DateTimeOffset.UnixEpoch, false, null));
        }
        items.AddRange(catalog.Values.OrderBy(i => i.Id, StringComparer.Ordinal));
        return ItemTable.Build(items, options.IndexedAttributes()); // as offline evaluation indexes them
    }

    /// <summary>
    /// Swaps in <paramref name="pipeline"/> for <paramref name="app"/> after smoke-testing it (bundles built elsewhere,
    /// tests). Its item table must reflect the catalog up to the snapshot's sequence, as a trained one does.
    /// </summary>
    /// <exception cref="InvalidOperationException">The smoke test failed; the old bundle keeps serving.</exception>
    public void Swap(string app, InteractionSnapshot snapshot, RecommendationPipeline pipeline, string version)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(pipeline);
        var bundle = new ServedBundle(app, snapshot, pipeline.Items, pipeline, version);
        SmokeTest(bundle);
        Serve(bundle);
    }

    /// <summary>
    /// Puts <paramref name="bundle"/> in service. Requests in flight finish on the bundle they started with; then
    /// <see cref="Swapped"/> is told (the serving side drops the recent changes both bundles include).
    /// </summary>
    private void Serve(ServedBundle bundle)
    {
        _bundles.TryGetValue(bundle.App, out var outgoing);
        _bundles[bundle.App] = bundle;
        _bundleReady.GetOrAdd(bundle.App, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        Swapped?.Invoke(outgoing, bundle);
    }

    /// <summary>Whether a training of <paramref name="app"/> is running in the background.</summary>
    public bool IsTraining(string app) => _backgroundTraining.ContainsKey(app);

    /// <summary>Why the last background training of <paramref name="app"/> failed, or null when it did not.</summary>
    public string? TrainingFailure(string app) => _trainingFailures.GetValueOrDefault(app);

    /// <summary>The apps a bundle serves, in ordinal order.</summary>
    public IReadOnlyList<string> ServedApps => [.. _bundles.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Whether <paramref name="app"/> has a bundle.</summary>
    public bool IsTrained(string app) => _bundles.ContainsKey(app);

    /// <summary>The version of the bundle serving <paramref name="app"/>, or null.</summary>
    public string? BundleVersion(string app) => _bundles.TryGetValue(app, out var b) ? b.Version : null;

    /// <summary>What model selection did to choose the configuration of the bundle serving <paramref name="app"/>, or null (none serving, or selection off).</summary>
    /// <param name="app">The app.</param>
    public Cascade.Pipeline.Selection.SelectionReport? Selection(string app) => _bundles.TryGetValue(app, out var b) ? b.Pipeline.Selection : null;

    /// <summary>
    /// Whether a training of <paramref name="app"/> would read anything the serving bundle did not: true without a
    /// bundle, or when an interaction (not an impression), an item or user upsert or a hide of the app reached the log
    /// after the bundle's snapshot. The periodic trainer skips apps without new inputs, so an idle server does not
    /// rebuild the same bundle every interval.
    /// </summary>
    /// <param name="app">The app.</param>
    public bool HasNewInputs(string app) =>
        !_bundles.TryGetValue(app, out var b) || _engine.Interactions.ChangedAt(app) > b.Snapshot.Sequence;

    /// <summary>How long building a bundle waits for the catalog to apply the snapshot's records.</summary>
    private static readonly TimeSpan CatalogWait = TimeSpan.FromMinutes(10);

    /// <summary>How long a request that finds no bundle is told to wait before retrying.</summary>
    public static readonly TimeSpan NotReadyRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The bundle serving <paramref name="app"/>. A request never trains: when there is none, a training starts in the
    /// background (one per app at a time) and the request gets <see cref="BundleNotReadyException"/>.
    /// </summary>
    internal ServedBundle Serving(string app)
    {
        if (_bundles.TryGetValue(app, out var bundle))
        {
            return bundle;
        }
        TrainInBackground(app);
        throw new BundleNotReadyException(app, NotReadyRetryAfter, _trainingFailures.GetValueOrDefault(app));
    }

    /// <summary>
    /// Starts training a bundle of <paramref name="app"/> on the thread pool unless one is being trained already;
    /// returns that training. A failure is kept (shown in the next <see cref="BundleNotReadyException"/>) and the
    /// next request starts another.
    /// </summary>
    public Task<TrainingSummary> TrainInBackground(string app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return InBackground(app, () => Train(app));
    }

    /// <summary>
    /// Starts loading the bundle in <paramref name="directory"/> for <paramref name="app"/> on the thread pool, as
    /// <see cref="LoadBundle"/> does, in the slot a background training takes: while it runs, a request or the
    /// readiness probe waits for it instead of starting a training. A refused load is kept as the app's last failure,
    /// and the next request or probe starts a training.
    /// </summary>
    /// <param name="app">The app the bundle was trained for.</param>
    /// <param name="directory">The bundle directory (the caller decides which directories may be loaded).</param>
    /// <param name="timeout">Longest the load may take before it is cancelled.</param>
    /// <returns>The load, or the training or load of <paramref name="app"/> already running.</returns>
    public Task<TrainingSummary> LoadInBackground(string app, string directory, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return InBackground(app, () =>
        {
            using var limit = new CancellationTokenSource(timeout);
            return LoadBundle(app, directory, limit.Token);
        });
    }

    // Runs work (a training or a load that ends with a bundle of app serving) in app's one background slot.
    private Task<TrainingSummary> InBackground(string app, Func<TrainingSummary> work)
    {
        while (true)
        {
            if (_backgroundTraining.TryGetValue(app, out var running))
            {
                return running;
            }
            // Created cold and started only once registered, so two callers never start two trainings; a dedicated
            // thread, since a training runs for minutes.
            var task = new Task<TrainingSummary>(work, TaskCreationOptions.LongRunning);
            if (!_backgroundTraining.TryAdd(app, task))
            {
                continue;
            }
            _ = task.ContinueWith(t =>
            {
                if (t.IsFaulted)
                {
                    _trainingFailures[app] = t.Exception!.GetBaseException().Message;
                }
                else
                {
                    _trainingFailures.TryRemove(app, out _);
                }
                _backgroundTraining.TryRemove(app, out _);
                if (!t.IsFaulted && HasArms(app))
                {
                    // Arms are fitted on the same data as the bundle they are compared with.
                    _ = TrainArmsInBackground(app);
                }
            }, TaskScheduler.Default);
            task.Start(TaskScheduler.Default);
            return task;
        }
    }

    private int _checkpointing;

    /// <summary>
    /// Checkpoints the engine's projections on the thread pool (one at a time; a request while one runs is dropped,
    /// the next training asks again), so a training returns as soon as its bundle serves.
    /// </summary>
    private void CheckpointInBackground()
    {
        if (Interlocked.CompareExchange(ref _checkpointing, 1, 0) != 0)
        {
            return;
        }
        _ = Task.Run(() =>
        {
            try
            {
                _engine.CheckpointProjections();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException or InvalidOperationException)
            {
                // A derived store's checkpoint: without it the next start applies more of the log, nothing is lost.
            }
            finally
            {
                Volatile.Write(ref _checkpointing, 0);
            }
            if (_options.CompactAfterTraining)
            {
                Compact();
            }
        });
    }

    /// <summary>What the last heap compaction after a bundle swap did, or null before the first.</summary>
    public HeapCompaction? LastCompaction { get; private set; }

    private int _compactions;

    // A training's working set (gigabytes on a large log) and the outgoing bundle are garbage once the new bundle
    // serves and its checkpoint is written; the server GC keeps that memory committed for later allocations unless it
    // is told otherwise, so resident memory would ratchet up with each training. One blocking, compacting collection
    // that also returns free memory to the OS brings it back to the live set: a pause of a few hundred milliseconds
    // per training, against a gigabyte held for good.
    private void Compact()
    {
        long before = Environment.WorkingSet;
        long start = _clock.GetTimestamp();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        LastCompaction = new HeapCompaction(Interlocked.Increment(ref _compactions), _clock.GetElapsedTime(start), before, Environment.WorkingSet,
            GC.GetGCMemoryInfo().HeapSizeBytes);
        Compacted?.Invoke(LastCompaction);
        Interlocked.Exchange(ref _nextCompaction, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(LastCompaction);
    }

    private TaskCompletionSource<HeapCompaction> _nextCompaction = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the first heap compaction after a bundle swap that is the <paramref name="count"/>-th or later (at once when that one ran).</summary>
    /// <param name="count">Compactions since the process started.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<HeapCompaction> WaitForCompactionAsync(int count, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var next = Volatile.Read(ref _nextCompaction).Task; // read before the count, so a compaction in between is not missed
            if (LastCompaction is { } last && last.Count >= count)
            {
                return last;
            }
            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Told after each heap compaction that follows a bundle swap (the server logs it).</summary>
    public Action<HeapCompaction>? Compacted { get; set; }

    /// <summary>Completes when a bundle serves <paramref name="app"/> (at once when one does).</summary>
    /// <param name="app">The app.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitForBundleAsync(string app, CancellationToken cancellationToken = default) =>
        _bundleReady.GetOrAdd(app, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(cancellationToken);

    /// <summary>The summary of the last training or load that put a bundle in service for <paramref name="app"/>, or null.</summary>
    /// <param name="app">The app.</param>
    public TrainingSummary? LastTraining(string app) => _lastTraining.GetValueOrDefault(app);

    /// <summary>How many commissioned bundles <see cref="History"/> keeps per app.</summary>
    public const int MaxHistory = 200;

    /// <summary>The bundles put in service for <paramref name="app"/> since the process started (trained or loaded), oldest first, at most <see cref="MaxHistory"/>.</summary>
    public IReadOnlyList<CommissionedBundle> History(string app) => _history.TryGetValue(app, out var history) ? history.ToList() : [];

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
}

/// <summary>One app's bundle in service: the training snapshot, the item table, the fitted pipeline and its version.</summary>
internal sealed class ServedBundle
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
