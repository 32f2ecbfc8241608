using Cascade.Pipeline;
using Cascade.Serving.Paging;

namespace Cascade.Serving;

/// <summary>Options of the recommendation service.</summary>
public sealed record RecommendationOptions
{
    /// <summary>The pipeline; null means <see cref="PipelineOptions.Default"/> (model selection chooses it).</summary>
    public PipelineOptions? Pipeline { get; init; }

    /// <summary>Largest n a request may ask for. Default 200.</summary>
    public int MaxResults { get; init; } = 200;

    /// <summary>Write an impression event per served item (request id and position) to the event log. Default true.</summary>
    public bool LogImpressions { get; init; } = true;

    /// <summary>
    /// Share (0–1) of unknown users — ids with no event in the log, as a read-only caller can make up any number of
    /// them — whose served items are logged as impressions; chosen per user by a hash of the id, so a sampled user's
    /// impressions are all logged. Default 0: a request can only make the engine store events for users it knows.
    /// </summary>
    public double UnknownUserImpressionRate { get; init; }

    /// <summary>How many of the user's newest events are read from the catalog per request. Default 200.</summary>
    public int HistoryLength { get; init; } = 200;

    /// <summary>Seed of models and sampling.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Key that signs pagination cursors (at least 16 bytes); null draws a random key per process, so cursors do not survive a restart.</summary>
    public byte[]? CursorKey { get; init; }

    /// <summary>How long a pagination cursor stays valid. Default 30 minutes.</summary>
    public TimeSpan CursorLifetime { get; init; } = PageCursorOptions.DefaultLifetime;

    /// <summary>
    /// The variant (experiment arm) recorded with impressions when a request names none: the name of this
    /// deployment's configuration in an A/B test. Default <c>"default"</c>.
    /// </summary>
    public string Variant { get; init; } = "default";

    /// <summary>
    /// After each bundle swap (and its checkpoint), run one blocking, compacting garbage collection that returns free
    /// memory to the OS, so the training's working set does not stay resident until the next training. Default true.
    /// </summary>
    public bool CompactAfterTraining { get; init; } = true;
}

/// <summary>A heap compaction after a bundle swap.</summary>
/// <param name="Count">Compactions since the process started, this one included.</param>
/// <param name="Pause">How long the collection took (requests wait that long).</param>
/// <param name="WorkingSetBefore">Resident bytes of the process before.</param>
/// <param name="WorkingSetAfter">Resident bytes after.</param>
/// <param name="HeapAfter">Managed heap bytes after.</param>
public sealed record HeapCompaction(int Count, TimeSpan Pause, long WorkingSetBefore, long WorkingSetAfter, long HeapAfter);

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
/// <param name="Variant">The variant recorded with this page's impressions.</param>
public sealed record RecommendResult(string RequestId, IReadOnlyList<Recommendation> Items, IReadOnlyList<string> Degraded, string BundleVersion,
    IReadOnlyList<StageReport>? Stages, string? NextCursor, string Variant);

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

    /// <summary>The variant (experiment arm) to record with the impressions; null: <see cref="RecommendationOptions.Variant"/>.</summary>
    public string? Variant { get; init; }

    /// <summary>The request id (generated when null).</summary>
    public string? RequestId { get; init; }

    /// <summary>
    /// The experiment arm (<c>experiment/arm</c>, see <see cref="BundleManager.SetArms"/>) whose bundle serves the
    /// request, or null for the serving bundle; an arm without a bundle yet falls back to the serving one.
    /// </summary>
    public string? Arm { get; init; }
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
/// <param name="Ranker">What the ranker was trained on (held-out groups, served lists from the log, rows), or null without one.</param>
/// <param name="Selection">What model selection did (trials, validation metric, time, the configuration chosen), or null when it was off.</param>
public sealed record TrainingSummary(string App, int Users, int Items, int Interactions, long Sequence, TimeSpan Elapsed, string BundleVersion, string? Note = null,
    Cascade.Pipeline.RankerTraining? Ranker = null, Cascade.Pipeline.Selection.SelectionReport? Selection = null);

/// <summary>A bundle put in service: when, and what its training (or load) reported.</summary>
/// <param name="At">When it was swapped in.</param>
/// <param name="Summary">Its training summary, with the model selection's validation figures.</param>
public sealed record CommissionedBundle(DateTimeOffset At, TrainingSummary Summary);
