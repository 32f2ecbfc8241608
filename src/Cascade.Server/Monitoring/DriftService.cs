using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Cascade.Core.Telemetry;
using Cascade.Monitoring;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cascade.Server.Monitoring;

/// <summary>Drift monitoring in the server (<c>Cascade:Drift</c>; docs/monitoring.md).</summary>
public sealed class DriftServiceOptions
{
    /// <summary>Evaluate drift in the background every <see cref="IntervalSeconds"/> and export it as metrics and log warnings. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Seconds between background evaluations (and how long GET /v1/monitoring/drift reuses one). Default 300.</summary>
    public int IntervalSeconds { get; set; } = 300;

    /// <summary>The window's length in minutes: the current window is the last one ending now; the reference is cut into windows of this length. Default 60.</summary>
    public double WindowMinutes { get; set; } = 60;

    /// <summary>Windows of the log before the serving bundle's snapshot that form the reference. Default 48.</summary>
    public int ReferenceWindows { get; set; } = 48;

    /// <summary>
    /// The most events read for the reference (the newest before the snapshot) and kept for the current window (the
    /// newest; about 70 bytes each). Default 2,000,000.
    /// </summary>
    public int MaxRecords { get; set; } = 2_000_000;

    /// <summary>How long after an impression a click counts for online AUC, CTR and calibration, minutes. Default 30.</summary>
    public double AttributionMinutes { get; set; } = 30;

    /// <summary>Start a training of the app when a data or concept signal drifts. Default false.</summary>
    public bool RetrainOnDrift { get; set; }

    /// <summary>The detectors' thresholds and minimum samples (<c>Cascade:Drift:Detectors</c>; the window comes from <see cref="WindowMinutes"/>).</summary>
    public DriftOptions Detectors { get; set; } = new();

    /// <summary>Every problem, each naming its key.</summary>
    public IEnumerable<string> Problems()
    {
        if (IntervalSeconds < 1)
        {
            yield return $"Cascade:Drift:IntervalSeconds {IntervalSeconds} must be at least 1.";
        }
        if (!(WindowMinutes >= 1 && WindowMinutes <= 7 * 24 * 60))
        {
            yield return $"Cascade:Drift:WindowMinutes {WindowMinutes} must lie in [1, 10080].";
        }
        if (ReferenceWindows is < 1 or > 10_000)
        {
            yield return $"Cascade:Drift:ReferenceWindows {ReferenceWindows} must lie in [1, 10000].";
        }
        if (MaxRecords < 1000)
        {
            yield return $"Cascade:Drift:MaxRecords {MaxRecords} must be at least 1000.";
        }
        if (!(AttributionMinutes > 0))
        {
            yield return $"Cascade:Drift:AttributionMinutes {AttributionMinutes} must be above 0.";
        }
        string? detectors = null;
        try
        {
            Detectors.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            detectors = $"Cascade:Drift:Detectors: {e.Message}";
        }
        if (detectors is not null)
        {
            yield return detectors;
        }
    }
}

/// <summary>What <c>GET /v1/monitoring/drift</c> answers for an app.</summary>
/// <param name="App">The app.</param>
/// <param name="BundleVersion">The serving bundle whose training data is the reference, or null (none yet).</param>
/// <param name="EvaluatedAt">When the evaluation ran.</param>
/// <param name="ReferenceWindows">Windows of the log the reference was built from.</param>
/// <param name="ReferenceEvents">Events in them.</param>
/// <param name="WindowEvents">Events in the current window.</param>
/// <param name="ElapsedMs">How long the evaluation took (the reference is built once per bundle).</param>
/// <param name="Report">The verdict per signal, or null with <paramref name="Note"/>.</param>
/// <param name="Note">Why there is no report, or null.</param>
public sealed record DriftResponse(string App, string? BundleVersion, DateTimeOffset EvaluatedAt, int ReferenceWindows, long ReferenceEvents, long WindowEvents,
    double ElapsedMs, DriftReport? Report, string? Note);

/// <summary>
/// Watches each served app for drift: the reference is the log's last <see cref="DriftServiceOptions.ReferenceWindows"/>
/// windows before the serving bundle's snapshot (what the models were trained on), the current window is the last
/// <see cref="DriftServiceOptions.WindowMinutes"/> up to now, and <see cref="DriftMonitor"/> judges it. Signals read
/// from the log: numeric <c>event.value</c> (non-impression events; missing counts), <c>impression.position</c> and
/// <c>item.popularity</c> (log of the item's reference interactions, over interactions); categorical
/// <c>event.type</c> and <c>item.category</c>; the served scores (impressions' values) as prediction drift; online
/// AUC, CTR and calibration of those scores against the clicks joined by request id when scores lie in [0, 1];
/// the served lists (popularity bias, coverage, Gini, novelty, personalisation); event counts per type.
/// </summary>
public sealed class DriftService(CascadeEngine engine, RecommendationService recommendations, DriftServiceOptions options,
    ILogger<DriftService> logger, TimeProvider? clock = null) : BackgroundService
{
    private readonly DriftOptions _drift = options.Detectors with { Window = TimeSpan.FromMinutes(options.WindowMinutes) };
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, DriftResponse> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Core.RecentHistory<DriftResponse>> _history = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Version, ReferenceSnapshot Snapshot, int Windows, long Events, DriftMonitor Monitor)> _references = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Follower> _windows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DateTimeOffset At, long Items, Dictionary<string, string> Categories)> _categories = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The latest evaluation of every app, for the exported gauges.</summary>
    public IEnumerable<DriftResponse> Latest => _latest.Values;

    /// <summary>The app's latest evaluation, computed now when there is none younger than the interval or <paramref name="refresh"/> asks.</summary>
    public DriftResponse For(string app, bool refresh = false)
    {
        if (!refresh && _latest.TryGetValue(app, out var latest) && _clock.GetUtcNow() - latest.EvaluatedAt < TimeSpan.FromSeconds(options.IntervalSeconds))
        {
            return latest;
        }
        return Evaluate(app);
    }

    /// <summary>Evaluates the app's current window against its reference, keeps and logs the result.</summary>
    public DriftResponse Evaluate(string app)
    {
        lock (_gate)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var now = _clock.GetUtcNow();
            double Elapsed() => Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1);
            string? version = recommendations.Bundles.BundleVersion(app);
            if (version is null || recommendations.Bundles.LastTraining(app) is not { } training)
            {
                return Keep(new DriftResponse(app, null, now, 0, 0, 0, Elapsed(), null, "No bundle serves the app yet: the reference is the serving bundle's training data."));
            }
            var window = TimeSpan.FromMinutes(options.WindowMinutes);
            if (!_references.TryGetValue(app, out var reference) || reference.Version != version)
            {
                var built = BuildReference(app, training.Sequence, window);
                if (built is null)
                {
                    return Keep(new DriftResponse(app, version, now, 0, 0, 0, Elapsed(), null, "The log holds no events of the app before the serving bundle's snapshot."));
                }
                reference = (version, built.Value.Snapshot, built.Value.Windows, built.Value.Events, new DriftMonitor(built.Value.Snapshot, _drift));
                _references[app] = reference;
            }
            var events = Follow(app, training.Sequence, now - window);
            var current = Window(events, now - window, now, reference.Snapshot.ItemPopularity, Categories(app, now));
            var report = reference.Monitor.Evaluate(current);
            var response = new DriftResponse(app, version, now, reference.Windows, reference.Events, events.Count, Elapsed(), report, null);
            foreach (var s in report.Drifting)
            {
                logger.LogWarning("Drift in app {App}: {Kind} signal {Signal} {Statistic} = {Value} (threshold {Threshold}), window {Start} to {End}, {Samples} samples",
                    app, s.Kind, s.Signal, s.Statistic, s.Value, s.Threshold, s.Window.Start, s.Window.End, s.Samples);
            }
            if (options.RetrainOnDrift && report.Drifting.Any(s => s.Kind is SignalKinds.Data or SignalKinds.Concept))
            {
                logger.LogWarning("Drift in app {App}: retraining (Cascade:Drift:RetrainOnDrift)", app);
                _ = recommendations.Bundles.TrainInBackground(app);
            }
            return Keep(response);
        }
    }

    private DriftResponse Keep(DriftResponse response)
    {
        _latest[response.App] = response;
        if (response.Report is not null)
        {
            _history.GetOrAdd(response.App, _ => new Core.RecentHistory<DriftResponse>(MaxHistory)).Add(response);
        }
        return response;
    }

    /// <summary>How many evaluations with a report <see cref="History"/> keeps per app (a day at the default 5-minute interval).</summary>
    public const int MaxHistory = 288;

    /// <summary>The app's evaluations that produced a report since the process started, oldest first; never evaluates.</summary>
    public IReadOnlyList<DriftResponse> History(string app) => _history.TryGetValue(app, out var history) ? history.ToList() : [];

    /// <summary>The app's latest evaluation, if any; never evaluates.</summary>
    public DriftResponse? Peek(string app) => _latest.GetValueOrDefault(app);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.IntervalSeconds), _clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            long windowEvents = 0;
            foreach (string app in recommendations.Bundles.ServedApps)
            {
                try
                {
                    windowEvents += (await Task.Run(() => Evaluate(app), stoppingToken).ConfigureAwait(false)).WindowEvents;
                }
                catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException)
                {
                    logger.LogError(e, "Drift evaluation of app {App} failed", app);
                }
            }
            if (windowEvents >= CollectAfterEvents)
            {
                // A pass over a large window leaves its columns and joins (hundreds of MB at a million events) as garbage
                // in the oldest generation, where the server GC would let them pile up pass after pass before a full
                // collection, and the process's memory with them. A background collection now (concurrent: requests
                // are not paused for the marking) reclaims them while the heap is at its floor.
                GC.Collect(2, GCCollectionMode.Forced, blocking: false);
            }
        }
    }

    /// <summary>Events in the windows of one background pass from which the pass is followed by a background collection.</summary>
    private const long CollectAfterEvents = 100_000;

    /// <summary>Registers the gauges that export the latest evaluations (value and status per signal).</summary>
    public void Export(IMeterFactory factory)
    {
        var meter = factory.Create(CascadeTelemetry.Name);
        meter.CreateObservableGauge("cascade.drift.value", () => Latest.Where(l => l.Report is not null).SelectMany(l => l.Report!.Signals
            .Where(s => double.IsFinite(s.Value))
            .Select(s => new Measurement<double>(s.Value, new("app", l.App), new("signal", s.Signal), new("kind", s.Kind), new("statistic", s.Statistic)))),
            description: "The latest drift statistic of each monitored signal (compare with cascade_drift_threshold).");
        meter.CreateObservableGauge("cascade.drift.threshold", () => Latest.Where(l => l.Report is not null).SelectMany(l => l.Report!.Signals
            .Where(s => double.IsFinite(s.Threshold))
            .Select(s => new Measurement<double>(s.Threshold, new("app", l.App), new("signal", s.Signal), new("kind", s.Kind), new("statistic", s.Statistic)))),
            description: "The drift threshold of each monitored signal's statistic.");
        meter.CreateObservableGauge("cascade.drift.status", () => Latest.Where(l => l.Report is not null).SelectMany(l => l.Report!.Signals
            .Select(s => new Measurement<int>((int)s.Status - 1, new("app", l.App), new("signal", s.Signal), new("kind", s.Kind), new("statistic", s.Statistic)))),
            description: "The latest status of each signal: -1 insufficient data, 0 ok, 1 warning, 2 drift.");
    }

    // The reference: the newest windows of the app's events before the snapshot.
    private (ReferenceSnapshot Snapshot, int Windows, long Events)? BuildReference(string app, long snapshotSequence, TimeSpan window)
    {
        var reader = new Follower();
        reader.Read(engine.Log, app, Math.Max(1, snapshotSequence - options.MaxRecords + 1), snapshotSequence, long.MinValue, options.MaxRecords);
        var events = reader.Events;
        if (events.Count == 0)
        {
            return null;
        }
        long first = long.MaxValue, last = long.MinValue;
        var popularity = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            first = Math.Min(first, e.TimestampMs);
            last = Math.Max(last, e.TimestampMs);
            if (e.Type != "impression")
            {
                popularity[e.ItemId] = popularity.GetValueOrDefault(e.ItemId) + 1;
            }
        }
        // The windows end just after the newest event; each event falls into one of them (or before the first).
        long width = (long)window.TotalMilliseconds, end = last + 1, start = end - (width * options.ReferenceWindows);
        var slices = new List<Seen>[options.ReferenceWindows];
        foreach (var e in events.Where(e => e.TimestampMs >= start))
        {
            (slices[(e.TimestampMs - start) / width] ??= []).Add(e);
        }
        var categories = Categories(app, _clock.GetUtcNow());
        var builder = new ReferenceBuilder(_drift, popularity, categories.Count);
        int windows = 0;
        long used = 0;
        for (int w = 0; w < slices.Length; w++)
        {
            long at = start + (w * width);
            if (slices[w] is null && at + width < first)
            {
                continue; // before the log's first event: no traffic to learn a baseline from
            }
            var slice = slices[w] ?? [];
            builder.Add(Window(slice, DateTimeOffset.FromUnixTimeMilliseconds(at), DateTimeOffset.FromUnixTimeMilliseconds(at + width), popularity, categories));
            windows++;
            used += slice.Count;
        }
        return (builder.Build(), windows, used);
    }

    // The catalog's first category of each item, read again when the app's item count changes or after an hour.
    private Dictionary<string, string> Categories(string app, DateTimeOffset now)
    {
        long items = engine.Catalog.Count(app).Items;
        if (_categories.TryGetValue(app, out var cached) && cached.Items == items && now - cached.At < TimeSpan.FromHours(1))
        {
            return cached.Categories;
        }
        var categories = engine.Catalog.ListItems(app).Where(i => i.Categories.Count > 0).ToDictionary(i => i.Id, i => i.Categories[0], StringComparer.Ordinal);
        _categories[app] = (now, items, categories);
        return categories;
    }

    // The current window: the app's events after the snapshot, followed from where the last evaluation stopped.
    private IReadOnlyCollection<Seen> Follow(string app, long snapshotSequence, DateTimeOffset since)
    {
        if (!_windows.TryGetValue(app, out var follower) || follower.After != snapshotSequence)
        {
            // A new bundle (or the first evaluation): its window starts after its snapshot, at most MaxRecords back.
            _windows[app] = follower = new Follower { After = snapshotSequence, Next = Math.Max(snapshotSequence + 1, engine.Log.LastSequence - options.MaxRecords + 1) };
        }
        follower.Read(engine.Log, app, follower.Next, long.MaxValue, since.ToUnixTimeMilliseconds(), options.MaxRecords);
        return follower.Events;
    }

    // One event as a window needs it, about 70 bytes: the type and item ids shared, the user and event ids dropped.
    private readonly record struct Seen(long TimestampMs, string Type, string ItemId, string? RequestId, double? Value, int? Position);

    // An app's events read from the log in order, the oldest dropped first (older than the window, or over the cap).
    private sealed class Follower
    {
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
        private readonly Queue<Seen> _events = new();
        private string? _lastRequest;

        public long After { get; init; }

        public long Next { get; set; } = 1;

        public IReadOnlyCollection<Seen> Events => _events;

        public void Read(EventLog log, string app, long from, long to, long sinceMs, int cap)
        {
            foreach (var record in log.ReadFrom(from))
            {
                if (record.Sequence > to)
                {
                    break;
                }
                Next = record.Sequence + 1;
                if (record.Kind == RecordKind.Event && RecordCodec.DecodeEvent(record.Payload.Span) is { } e && e.App == app && e.TimestampMs >= sinceMs)
                {
                    _events.Enqueue(new Seen(e.TimestampMs, Name(e.Type), Name(e.ItemId), Request(e.RequestId), e.Value, e.Position));
                    if (_events.Count > cap)
                    {
                        _events.Dequeue();
                    }
                }
            }
            while (_events.TryPeek(out var oldest) && oldest.TimestampMs < sinceMs)
            {
                _events.Dequeue();
            }
            if (_names.Count > 4 * Math.Max(_events.Count, 1024))
            {
                _names.Clear(); // ids no longer in the window; they are shared again from the next read on
            }
        }

        private string Name(string name)
        {
            if (_names.TryGetValue(name, out var shared))
            {
                return shared;
            }
            _names[name] = name;
            return name;
        }

        // The impressions of one request are written together: consecutive equal ids share one string.
        private string? Request(string? request) =>
            request is null ? null : _lastRequest = request == _lastRequest ? _lastRequest : request;
    }

    // One window's columns: features, served scores, the scores joined with clicks, the served lists, counts per type.
    private MonitoringWindow Window(IReadOnlyCollection<Seen> events, DateTimeOffset start, DateTimeOffset end, IReadOnlyDictionary<string, long> popularity,
        IReadOnlyDictionary<string, string> categories)
    {
        // Columns of their exact length (counted first): a window holds up to MaxRecords events, and lists grown by
        // doubling and copied out would leave several times the columns as garbage at every pass.
        int impressions = 0;
        foreach (var e in events)
        {
            impressions += e.Type == "impression" ? 1 : 0;
        }
        int others = events.Count - impressions, n = 0, o = 0, i = 0, scored = 0, joined = 0;
        var values = new double[others];
        var itemPopularity = new double[others];
        var itemCategories = new string?[others];
        var positions = new double[impressions];
        var types = new string?[events.Count];
        var scores = new double[impressions];
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var shown = new Dictionary<(string Request, string Item), int>(impressions);
        var lists = new Dictionary<string, SortedList<int, string>>(StringComparer.Ordinal);
        var clicked = new bool[impressions];
        long window = (long)(options.AttributionMinutes * 60_000);
        var shownAt = new long[impressions];
        var shownScore = new double[impressions]; // the score each (request, item) was first shown with
        foreach (var e in events)
        {
            counts[e.Type] = counts.GetValueOrDefault(e.Type) + 1;
            types[n++] = e.Type;
            if (e.Type == "impression")
            {
                positions[i++] = e.Position ?? double.NaN;
                if (e.Value is { } score)
                {
                    scores[scored++] = score;
                }
                if (e.RequestId is { } request)
                {
                    if (shown.TryAdd((request, e.ItemId), joined))
                    {
                        shownAt[joined] = e.TimestampMs;
                        shownScore[joined++] = e.Value ?? double.NaN;
                    }
                    if (!lists.TryGetValue(request, out var list))
                    {
                        lists[request] = list = [];
                    }
                    list.TryAdd(e.Position ?? list.Count, e.ItemId);
                }
                continue;
            }
            values[o] = e.Value ?? double.NaN;
            itemPopularity[o] = Math.Log(1 + popularity.GetValueOrDefault(e.ItemId));
            itemCategories[o++] = categories.GetValueOrDefault(e.ItemId);
            if (e.RequestId is { } r && shown.TryGetValue((r, e.ItemId), out int index) && e.TimestampMs - shownAt[index] <= window)
            {
                clicked[index] = true;
            }
        }
        // Concept drift needs scores on a probability scale; the served scores are compared only when they are.
        bool probabilities = true;
        foreach (double score in shownScore.AsSpan(0, joined))
        {
            probabilities &= score is >= 0 and <= 1; // false for NaN (an impression without a score)
        }
        return new MonitoringWindow
        {
            Start = start,
            End = end,
            Numeric = new Dictionary<string, double[]>(StringComparer.Ordinal)
            {
                ["event.value"] = values,
                ["impression.position"] = positions,
                ["item.popularity"] = itemPopularity,
            },
            Categorical = new Dictionary<string, string?[]>(StringComparer.Ordinal)
            {
                ["event.type"] = types,
                ["item.category"] = itemCategories,
            },
            Scores = scores.AsMemory(0, scored),
            Predictions = probabilities ? shownScore.AsMemory(0, joined) : ReadOnlyMemory<double>.Empty,
            Clicked = probabilities ? clicked.AsMemory(0, joined) : ReadOnlyMemory<bool>.Empty,
            ServedLists = [.. lists.Values.Select(l => l.Values.ToArray())],
            EventCounts = counts,
        };
    }
}
