using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Features;
using Cascade.Pipeline;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Microsoft.Extensions.Configuration;

namespace Cascade.Server;

/// <summary>
/// Server configuration, bound from the <c>Cascade</c> section (appsettings.json, environment variables such as
/// <c>Cascade__Durability=Interval</c>, or command-line flags). Defaults live here.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Cascade";

    /// <summary>The address the server binds when none is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>An extra appsettings-shaped JSON file applied over appsettings.json and the environment (`cascade serve --config`).</summary>
    public string ConfigFile { get; set; } = "";

    /// <summary>Where the engine keeps its state. Default ./cascade-data.</summary>
    public string DataDirectory { get; set; } = "./cascade-data";

    /// <summary>Event log durability: EveryBatch (default), Interval or Off.</summary>
    public DurabilityMode Durability { get; set; } = DurabilityMode.EveryBatch;

    /// <summary>With Interval durability, ms between fsyncs. Default 50.</summary>
    public int FsyncIntervalMs { get; set; } = 50;

    /// <summary>API keys; when empty the API is open and the server refuses to bind beyond loopback.</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>Largest request body in bytes. Default 32 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 32L << 20;

    /// <summary>Most elements in one batch request. Default 10,000.</summary>
    public int MaxBatchSize { get; set; } = 10_000;

    /// <summary>Most elements of any array inside a JSON body (other than a batch's top-level array) and members of any object. Default 1,000.</summary>
    public int MaxJsonElements { get; set; } = 1000;

    /// <summary>Most JSON values (strings, numbers, arrays, objects…) in one request body. Default 1,000,000.</summary>
    public int MaxJsonValues { get; set; } = 1_000_000;

    /// <summary>Longest single JSON token (a string or a number) in a request body, in bytes. Default 1 MiB.</summary>
    public int MaxJsonTokenBytes { get; set; } = 1 << 20;

    /// <summary>Seconds between retrainings of the pipeline; 0 disables background training. Default 60.</summary>
    public int TrainingIntervalSeconds { get; set; } = 60;

    /// <summary>
    /// After each bundle swap, run one blocking, compacting collection that returns the training's memory to the OS
    /// (a pause of a few hundred milliseconds per training; docs/guarantees.md, "Memory"). Default true.
    /// </summary>
    public bool CompactAfterTraining { get; set; } = true;

    /// <summary>
    /// Train the default app's bundle in the background as soon as the server starts. Default true. When false, the
    /// first request for an app starts that training (and gets 503 with Retry-After until it is done).
    /// </summary>
    public bool TrainOnStart { get; set; } = true;

    /// <summary>Drift monitoring: windows, reference, thresholds, background evaluation (docs/monitoring.md).</summary>
    public Monitoring.DriftServiceOptions Drift { get; set; } = new();

    /// <summary>The operator dashboard at /dashboard (docs/dashboard.md).</summary>
    public Dashboard.DashboardOptions Dashboard { get; set; } = new();

    /// <summary>Metrics and traces: /metrics, OTLP, per-request traces (docs/monitoring.md).</summary>
    public Infrastructure.TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>
    /// The global holdout of online experiments: the share of users (by a hash of their id under the salt "holdout")
    /// that no experiment assigns, in [0, 1). Default 0.
    /// </summary>
    public double ExperimentHoldout { get; set; }

    /// <summary>The recommendation pipeline (sources, ranker, re-rankers, budgets); without sources the built-in default applies (docs/pipeline.md).</summary>
    public PipelineOptions Pipeline { get; set; } = new();

    /// <summary>
    /// The online feature store's definitions (docs/features.md, "Options"): counter windows, hashed fields, memory
    /// bounds such as <c>MaxPairs</c>. Defaults when absent. A CTR model (<see cref="CtrModelPath"/>) must have been
    /// trained on the same definitions.
    /// </summary>
    public FeatureSetOptions Features { get; set; } = new();

    /// <summary>Write an impression event per served item to the event log. Default true.</summary>
    public bool LogImpressions { get; set; } = true;

    /// <summary>
    /// Share (0–1) of unknown users (no event in the log yet) whose served items are logged as impressions, sampled
    /// per user id. Default 0: a read-only key cannot make the engine store events for made-up users.
    /// </summary>
    public double UnknownUserImpressionRate { get; set; }

    /// <summary>The variant (experiment arm) recorded with impressions when a request names none (1–64 letters, digits, '.', '_', '-', ':'). Default "default".</summary>
    public string Variant { get; set; } = "default";

    /// <summary>Base64 key (≥ 16 bytes) signing pagination cursors; empty draws a random key per process (cursors then do not survive a restart). Every node behind one load balancer needs the same key.</summary>
    public string CursorKey { get; set; } = "";

    /// <summary>A CTR model file (trained with <c>cascade ctr --from-log --save FILE</c> on the online feature schema) that POST /v1/rank uses for pCTR; empty: the item's smoothed 7-day CTR.</summary>
    public string CtrModelPath { get; set; } = "";

    /// <summary>The only folder POST /v1/admin/bundle loads bundles from (each bundle a folder in it, named by the request); empty: DATA/bundles.</summary>
    public string BundlesDirectory { get; set; } = "";

    /// <summary>The bundles folder in effect.</summary>
    public string BundlesRoot => BundlesDirectory.Length > 0 ? BundlesDirectory : Path.Combine(DataDirectory, "bundles");

    /// <summary>
    /// A bundle folder in the bundles folder (a name, as POST /v1/admin/bundle takes) that the server loads at start for
    /// the app it was trained for, instead of training that app's first bundle: a restarted node serves within the
    /// load's time rather than a training's. The next training of that app comes after
    /// <see cref="TrainingIntervalSeconds"/>. A bundle that is missing or refused is logged as an error and the app is
    /// trained as without this setting. Empty (default): none.
    /// </summary>
    public string StartupBundle { get; set; } = "";

    /// <summary>Longest a bundle load (POST /v1/admin/bundle) may take before it is cancelled and refused. Default 300 s.</summary>
    public int BundleLoadTimeoutSeconds { get; set; } = 300;

    /// <summary>Request rate limits per API key and scope, and the concurrency limit of the pipeline endpoints.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Serve users from the lists precomputed by <c>cascade batch</c> (DATA/batch.sqlite), filtered at read time; users without one are served online. Default false.</summary>
    public bool ServeFromBatch { get; set; }

    /// <summary>Loads the configuration as <see cref="Load()"/> does, plus an extra appsettings-shaped file.</summary>
    /// <param name="configFile">The extra JSON file.</param>
    public static ServerOptions LoadWith(string configFile) => From(new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .AddJsonFile(Path.GetFullPath(configFile), optional: false)
        .Build());

    /// <summary>The recommendation options these settings describe.</summary>
    public RecommendationOptions ToRecommendationOptions() => new()
    {
        Pipeline = Pipeline,
        LogImpressions = LogImpressions,
        UnknownUserImpressionRate = UnknownUserImpressionRate,
        Variant = Variant,
        CompactAfterTraining = CompactAfterTraining,
        CursorKey = CursorKey.Length == 0 ? null : Convert.FromBase64String(CursorKey),
    };

    /// <summary>Event types; when empty the defaults (impression, click, like, purchase, rating, dislike) apply.</summary>
    public List<EventTypeOptions> EventTypes { get; set; } = [];

    /// <summary>Reads the <c>Cascade</c> section of <paramref name="configuration"/> and validates it.</summary>
    public static ServerOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new ServerOptions();
        configuration.GetSection(Section).Bind(options);
        var section = configuration.GetSection(Section);
        options.Features = WithConfiguredLists(options.Features, section.GetSection(nameof(Features)));
        if (options.Pipeline.Ranker is { EntityFeatures: { } entity } ranker)
        {
            ranker.EntityFeatures = WithConfiguredLists(entity, section.GetSection("Pipeline:Ranker:EntityFeatures"));
        }
        options.Validate();
        return options;
    }

    // The binder appends configured list items to a list's defaults; a configured list replaces them instead.
    private static FeatureSetOptions WithConfiguredLists(FeatureSetOptions bound, IConfigurationSection section) => bound with
    {
        Windows = ListOr(section.GetSection(nameof(FeatureSetOptions.Windows)), new FeatureSetOptions().Windows),
        UserAttributes = ListOr(section.GetSection(nameof(FeatureSetOptions.UserAttributes)), []),
        BucketizedNumerics = ListOr(section.GetSection(nameof(FeatureSetOptions.BucketizedNumerics)), []),
    };

    private static IReadOnlyList<string> ListOr(IConfigurationSection section, IReadOnlyList<string> defaults) =>
        section.GetChildren().Any() ? [.. section.GetChildren().Select(c => c.Value ?? "")] : defaults;

    /// <summary>
    /// Loads the configuration the server and the command share: appsettings.json beside the binary, then
    /// environment variables (<c>Cascade__…</c>).
    /// </summary>
    public static ServerOptions Load() => From(new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .Build());

    /// <summary>The engine options these settings describe.</summary>
    public EngineOptions ToEngineOptions() => new()
    {
        DataDirectory = DataDirectory,
        Log = new EventLogOptions { Durability = Durability, FsyncIntervalMs = FsyncIntervalMs },
        EventTypes = EventTypes.Count == 0 ? EventTypeRegistry.Default : new EventTypeRegistry(EventTypes.Select(t => t.ToEventType())),
    };

    /// <summary>Checks the options.</summary>
    /// <exception cref="InvalidOperationException">A setting is invalid; the message lists every problem, each naming the setting and its value.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        Guard.Collect(problems, () => Guard.NotBlank(DataDirectory, "Cascade:DataDirectory"));
        Guard.Collect(problems, () => Guard.Positive(Dashboard.SessionMinutes, "Cascade:Dashboard:SessionMinutes"));
        Guard.Collect(problems, () => Guard.AtLeast(MaxRequestBodyBytes, 1024, "Cascade:MaxRequestBodyBytes"));
        Guard.Collect(problems, () => Guard.Positive(MaxBatchSize, "Cascade:MaxBatchSize"));
        Guard.Collect(problems, () => Guard.Positive(MaxJsonElements, "Cascade:MaxJsonElements"));
        Guard.Collect(problems, () => Guard.Positive(BundleLoadTimeoutSeconds, "Cascade:BundleLoadTimeoutSeconds"));
        Guard.Collect(problems, () => Guard.Positive(RateLimits.BurstSeconds, "Cascade:RateLimits:BurstSeconds"));
        Guard.Collect(problems, () => Guard.NonNegative(RateLimits.PipelineQueue, "Cascade:RateLimits:PipelineQueue"));
        Guard.Collect(problems, () => Guard.NonNegative(RateLimits.PipelineQueueMs, "Cascade:RateLimits:PipelineQueueMs"));
        Guard.Collect(problems, () => Guard.Positive(MaxJsonValues, "Cascade:MaxJsonValues"));
        Guard.Collect(problems, () => Guard.AtLeast(MaxJsonTokenBytes, 1024, "Cascade:MaxJsonTokenBytes"));
        Guard.Collect(problems, () => Guard.NonNegative(TrainingIntervalSeconds, "Cascade:TrainingIntervalSeconds"));
        if (StartupBundle.Length > 0 && Infrastructure.BundleFolders.WhyNotName(StartupBundle) is { } badBundle)
        {
            problems.Add($"Cascade:StartupBundle '{StartupBundle}' {badBundle}.");
        }
        if (!(UnknownUserImpressionRate is >= 0 and <= 1))
        {
            problems.Add($"Cascade:UnknownUserImpressionRate {UnknownUserImpressionRate} must be between 0 and 1.");
        }
        problems.AddRange(Telemetry.Problems());
        problems.AddRange(Drift.Problems());
        if (!(ExperimentHoldout is >= 0 and < 1))
        {
            problems.Add($"Cascade:ExperimentHoldout {ExperimentHoldout} must be at least 0 and below 1.");
        }
        problems.AddRange(Pipeline.Validate().Select(problem => "Cascade:" + problem));
        try
        {
            Features.Validate();
        }
        catch (ArgumentException ex)
        {
            problems.Add($"Cascade:Features: {ex.Message}");
        }
        if (CursorKey.Length > 0 && !IsCursorKey(CursorKey))
        {
            problems.Add("Cascade:CursorKey must be base64 of at least 16 bytes (e.g. `openssl rand -base64 32`).");
        }
        if (!FeedbackEvent.IsValidVariant(Variant))
        {
            problems.Add($"Cascade:Variant '{Variant}' is not 1–{FeedbackEvent.MaxVariantLength} letters, digits, '.', '_', '-' or ':'.");
        }
        for (int i = 0; i < ApiKeys.Count; i++)
        {
            ApiKeys[i].Validate(i, problems);
        }
        for (int i = 0; i < EventTypes.Count; i++)
        {
            EventTypes[i].Validate(i, problems);
        }
        if (problems.Count == 0 && EventTypes.Count > 0)
        {
            try
            {
                _ = new EventTypeRegistry(EventTypes.Select(t => t.ToEventType()));
            }
            catch (ArgumentException ex)
            {
                problems.Add($"Cascade:EventTypes: {ex.Message}");
            }
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }
    }

    private static bool IsCursorKey(string text)
    {
        try
        {
            return Convert.FromBase64String(text).Length >= 16;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>One configured event type (<c>Cascade:EventTypes:N:…</c>).</summary>
public sealed class EventTypeOptions
{
    /// <summary>The name clients send.</summary>
    public string Name { get; set; } = "";

    /// <summary>Positive, Negative or Impression.</summary>
    public EventRole Role { get; set; } = EventRole.Positive;

    /// <summary>Weight in the interaction matrix.</summary>
    public float Weight { get; set; } = 1;

    /// <summary>Smallest accepted value.</summary>
    public double? MinValue { get; set; }

    /// <summary>Largest accepted value.</summary>
    public double? MaxValue { get; set; }

    /// <summary>Whether a value is required.</summary>
    public bool ValueRequired { get; set; }

    /// <summary>Whether the weight is multiplied by the value.</summary>
    public bool ScaleByValue { get; set; }

    internal EventType ToEventType() => new(Name, Role, Weight, MinValue, MaxValue, ValueRequired, ScaleByValue);

    internal void Validate(int index, List<string> problems)
    {
        string at = $"Cascade:EventTypes:{index}";
        Guard.Collect(problems, () => Guard.NotBlank(Name, $"{at}:Name"));
        Guard.Collect(problems, () => Guard.Defined(Role, $"{at}:Role"));
        Guard.Collect(problems, () => Guard.Finite(Weight, $"{at}:Weight"));
        if (MinValue > MaxValue)
        {
            problems.Add($"{at}: MinValue {MinValue} is above MaxValue {MaxValue}.");
        }
    }
}

/// <summary>
/// Rate limits (token buckets of a second's permits, per API key — per client address without a valid key — and
/// scope; 0 = unlimited) and the concurrency limit of the pipeline endpoints (0 = unlimited).
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Read-scope requests per second per key. Default 20,000.</summary>
    public int ReadPerSecond { get; set; } = 20_000;

    /// <summary>Write-scope requests per second per key. Default 20,000.</summary>
    public int WritePerSecond { get; set; } = 20_000;

    /// <summary>Admin-scope requests per second per key. Default 100.</summary>
    public int AdminPerSecond { get; set; } = 100;

    /// <summary>Seconds of permits a bucket holds (the burst allowed after a quiet spell). Default 2.</summary>
    public int BurstSeconds { get; set; } = 2;

    /// <summary>Pipeline requests (recommend, similar, popular, latest, rank) served at once. Default 64.</summary>
    public int PipelineConcurrency { get; set; } = 64;

    /// <summary>Pipeline requests that may wait for a slot. Default 256.</summary>
    public int PipelineQueue { get; set; } = 256;

    /// <summary>Longest a pipeline request waits for a slot before it is shed with 503. Default 1,000 ms.</summary>
    public int PipelineQueueMs { get; set; } = 1000;
}

/// <summary>One API key: the secret, the app it is scoped to and what it may do.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The secret sent in the X-Api-Key header (at least 16 characters).</summary>
    public string Key { get; set; } = "";

    /// <summary>The app the key acts on. Default "default".</summary>
    public string App { get; set; } = Core.Domain.Apps.Default;

    private static readonly string[] ScopeNames = ["read", "write", "admin"];

    /// <summary>Scopes: read, write, admin (admin implies the others).</summary>
    public List<string> Scopes { get; set; } = ["read"];

    internal void Validate(int index, List<string> problems)
    {
        string at = $"Cascade:ApiKeys:{index}";
        if (Key.Length < 16)
        {
            problems.Add($"{at}:Key is {Key.Length} characters; keys must have at least 16.");
        }
        Guard.Collect(problems, () => Guard.NotBlank(App, $"{at}:App"));
        foreach (var scope in Scopes)
        {
            Guard.Collect(problems, () => Guard.OneOf(scope, ScopeNames, $"{at}:Scopes"));
        }
    }
}
