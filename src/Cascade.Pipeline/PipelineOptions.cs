using Cascade.Core;

namespace Cascade.Pipeline;

/// <summary>
/// The pipeline as configured (appsettings section <c>Cascade:Pipeline</c>, or JSON): sources with quotas, an
/// optional ranker, re-rankers, and stage budgets. <see cref="Validate"/> lists every problem at start-up.
/// </summary>
public sealed class PipelineOptions
{
    /// <summary>Candidate sources, in order. Default: none named, and model selection chooses them (<see cref="Selection"/>).</summary>
    public List<SourceOptions> Sources { get; set; } = [];

    /// <summary>
    /// Model selection at training time (docs/selection.md). Null or <c>Enabled</c> null: on when <see cref="Sources"/>
    /// is empty, off when sources are named. Off with no sources: the <see cref="Baseline"/> sources.
    /// </summary>
    public Selection.SelectionOptions? Selection { get; set; }

    /// <summary>The ways the sources' lists merge into the retrieval order (<see cref="Fusion"/>).</summary>
    public static IReadOnlyList<string> FusionKinds { get; } = ["rank", "score"];

    /// <summary>
    /// How the sources' lists merge into the retrieval (fusion) order: <c>rank</c> (weighted reciprocal-rank fusion, see
    /// <see cref="SourceOptions.Weight"/>) or <c>score</c> (each source's scores standardised over the request's
    /// candidates, mean 0 and sd 1, and summed with the sources' weights; sources that score any item score every
    /// candidate, the others count their lowest standardised score for candidates they did not propose). Null (default):
    /// rank, or what model selection chooses when it runs.
    /// </summary>
    public string? Fusion { get; set; }

    /// <summary>The ranker, or null to serve in retrieval (fusion) order.</summary>
    public RankerOptions? Ranker { get; set; }

    /// <summary>Re-rankers in order.</summary>
    public List<RerankerOptions> Rerankers { get; set; } = [];

    /// <summary>Stage budgets in milliseconds (0 = unlimited).</summary>
    public BudgetOptions Budgets { get; set; } = new();

    /// <summary>
    /// The item attributes the item table must index for this pipeline: those its re-rankers read (de-duplication by
    /// an attribute, boosts by attribute value) plus "series" and "author". Serving and offline evaluation both index
    /// exactly these, so a re-ranker behaves the same in both.
    /// </summary>
    public IReadOnlyList<string> IndexedAttributes() =>
        [.. Rerankers.SelectMany(r => r.Settings)
            .Select(s => s.Key == "attribute" ? s.Value : s.Key.StartsWith("attribute:", StringComparison.Ordinal) ? s.Key["attribute:".Length..] : null)
            .OfType<string>()
            .Concat(["series", "author"])
            .Distinct(StringComparer.Ordinal)];

    /// <summary>Whether model selection runs when a bundle is built from this configuration.</summary>
    public bool IsSelectionOn() => Selection?.Enabled ?? Sources.Count == 0;

    /// <summary>The default pipeline: no sources named, so model selection chooses them, their fusion and a ranker.</summary>
    public static PipelineOptions Default() => new();

    /// <summary>
    /// The fixed pipeline used when selection is off and no sources are named, or when there is too little data to
    /// select: trending (7-day half-life), ALS retrieval, item-to-item from the ALS model, category match.
    /// </summary>
    public static PipelineOptions Baseline() => new()
    {
        Sources =
        [
            new SourceOptions { Name = "trending", Kind = "popular", Quota = 100, HalfLifeHours = 168 },
            new SourceOptions { Name = "als", Kind = "model", Model = "als:factors=64,iterations=10", Quota = 200 },
            new SourceOptions { Name = "similar", Kind = "item-to-item", Model = "als:factors=64,iterations=10", Quota = 100 },
            new SourceOptions { Name = "category", Kind = "category", Quota = 50 },
        ],
    };

    /// <summary>Every configuration problem, each naming its setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Sources.Count == 0 && !IsSelectionOn())
        {
            errors.Add("Pipeline:Sources is empty and Pipeline:Selection:Enabled is false: configure at least one candidate source, or let selection choose them.");
        }
        Selection?.Validate(errors);
        if (Fusion is not null)
        {
            Guard.Collect(errors, () => Guard.OneOf(Fusion, FusionKinds, "Pipeline:Fusion"));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Sources.Count; i++)
        {
            var s = Sources[i];
            string at = $"Pipeline:Sources:{i}";
            if (string.IsNullOrWhiteSpace(s.Name) || !names.Add(s.Name))
            {
                errors.Add($"{at}:Name '{s.Name}' is empty or repeats another source's name.");
            }
            Guard.Collect(errors, () => Guard.OneOf(s.Kind, SourceOptions.Kinds, $"{at}:Kind"));
            Guard.Collect(errors, () => Guard.InRange(s.Quota, 1, 10_000, $"{at}:Quota"));
            if (s.Kind is "model" or "ann" or "item-to-item" && string.IsNullOrWhiteSpace(s.Model))
            {
                errors.Add($"{at}:Model is required for kind '{s.Kind}' (e.g. \"als:factors=64\").");
            }
            if (s.Kind == "rules" && (s.Items is null || s.Items.Count == 0))
            {
                errors.Add($"{at}:Items is required for kind 'rules' (the item ids to propose).");
            }
            Guard.Collect(errors, () => Guard.InRange(s.Weight, 0d, 1000d, name: $"{at}:Weight"));
            if (s.HalfLifeHours is { } halfLife)
            {
                Guard.Collect(errors, () => Guard.Positive(halfLife, $"{at}:HalfLifeHours")); // omitted: no decay
            }
            if (s.History is { } history)
            {
                Guard.Collect(errors, () => Guard.InRange(history, 1, 1000, $"{at}:History"));
            }
            if (s.Neighbours is { } neighbours)
            {
                Guard.Collect(errors, () => Guard.InRange(neighbours, 1, 10_000, $"{at}:Neighbours"));
            }
        }
        if (Ranker is { } r)
        {
            Guard.Collect(errors, () => Guard.NotBlank(r.Kind, "Pipeline:Ranker:Kind"));
            Guard.Collect(errors, () => Guard.InRange(r.HoldoutFraction, 0, 1, minExclusive: true, maxExclusive: true, "Pipeline:Ranker:HoldoutFraction"));
            Guard.Collect(errors, () => Guard.InRange(r.ValidFraction, 0, 1, minExclusive: true, maxExclusive: true, "Pipeline:Ranker:ValidFraction"));
            Guard.Collect(errors, () => Guard.InRange(r.HoldoutFolds, 1, 10, "Pipeline:Ranker:HoldoutFolds"));
            Guard.Collect(errors, () => Guard.AtLeast(r.MaxUsers, 10, "Pipeline:Ranker:MaxUsers"));
            if (!string.IsNullOrWhiteSpace(r.Kind))
            {
                // The kind and its parameters are checked now rather than when a bundle is first trained; files they
                // name (the onnx ranker's model) are read only then.
                try
                {
                    _ = Ranking.RankerCatalog.Create(r.Kind, r.Parameters);
                }
                catch (Exception e) when (e is ArgumentException or FormatException)
                {
                    errors.Add($"Pipeline:Ranker: {e.Message}");
                }
            }
            if (r.EntityFeatures is { } entity)
            {
                var entityErrors = new List<string>();
                Guard.Collect(entityErrors, () => entity.Validate());
                errors.AddRange(entityErrors.Select(e => "Pipeline:Ranker:EntityFeatures: " + e));
            }
        }
        for (int i = 0; i < Rerankers.Count; i++)
        {
            string kind = Rerankers[i].Kind, at = $"Pipeline:Rerankers:{i}:Kind";
            Guard.Collect(errors, () => Guard.OneOf(kind, RerankerOptions.Kinds, at));
        }
        foreach (var (name, value) in new[] { ("Sources", Budgets.SourcesMs), ("Ranker", Budgets.RankerMs), ("Rerank", Budgets.RerankMs) })
        {
            Guard.Collect(errors, () => Guard.InRange(value, 0, 60_000, name: $"Pipeline:Budgets:{name}Ms")); // 0: unlimited
        }
        return errors;
    }
}

/// <summary>One candidate source.</summary>
public sealed class SourceOptions
{
    /// <summary>The kinds of source.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["popular", "latest", "model", "ann", "item-to-item", "category", "rules"];

    /// <summary>Name shown in responses and explanations; unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>popular (trending with HalfLifeHours), latest, model (full scan of a model's scores), ann (HNSW over an embedding model), item-to-item, category, rules.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Most candidates per request.</summary>
    public int Quota { get; set; } = 100;

    /// <summary>
    /// Weight in the fusion order: a candidate at rank r of this source gains Weight / (60 + r + 1) (or Weight times its
    /// standardised score, when <see cref="PipelineOptions.Fusion"/> is score). Default 1 (plain reciprocal-rank
    /// fusion); 0 keeps the source's candidates for the ranker without letting it move the fusion order.
    /// Model selection learns these weights on validation.
    /// </summary>
    public double Weight { get; set; } = 1;

    /// <summary>For model / ann / item-to-item: the model spec as for <c>cascade evaluate</c>, e.g. "als:factors=64". Sources with the same spec share one fitted model.</summary>
    public string? Model { get; set; }

    /// <summary>For popular: half-life of an interaction's weight in hours (omit for plain popularity).</summary>
    public double? HalfLifeHours { get; set; }

    /// <summary>For item-to-item: how many recent items seed it (default 20).</summary>
    public int? History { get; set; }

    /// <summary>For item-to-item: neighbours per seed item (default 50).</summary>
    public int? Neighbours { get; set; }

    /// <summary>For item-to-item over an embedding model: find neighbours through the model's HNSW index instead of a full scan (for large catalogs). Default false.</summary>
    public bool UseIndex { get; set; }

    /// <summary>For ann: search breadth (default 200).</summary>
    public int? Ef { get; set; }

    /// <summary>For rules: item ids to propose, in order.</summary>
    public List<string>? Items { get; set; }
}

/// <summary>The learned ranker and how its training set is made.</summary>
public sealed class RankerOptions
{
    /// <summary>Ranker kind (see <c>cascade ctr --help</c>), e.g. "gbdt".</summary>
    public string Kind { get; set; } = "gbdt";

    /// <summary>Hyper-parameters by name, e.g. { "objective": "lambdarank", "trees": "300" }.</summary>
    public Dictionary<string, string> Parameters { get; set; } = [];

    /// <summary>Share of each user's interactions held out as labels when training the ranker (default 0.2).</summary>
    public double HoldoutFraction { get; set; } = 0.2;

    /// <summary>How many holdouts (different random draws) make training groups: more groups for the ranker, at the cost of fitting the sources once per fold (default 1).</summary>
    public int HoldoutFolds { get; set; } = 1;

    /// <summary>Share of users whose candidate lists form the ranker's early-stopping set (default 0.2).</summary>
    public double ValidFraction { get; set; } = 0.2;

    /// <summary>Most users sampled for the ranker's training set (default 20000).</summary>
    public int MaxUsers { get; set; } = 20_000;

    /// <summary>Seed of the holdout and the sample.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>
    /// Give the ranker the feature store's columns after the pipeline's own — decayed counters, categories, user ×
    /// item and user × category history, defined by these <see cref="Cascade.Features.FeatureSetOptions"/> — point
    /// in time in training. Null (default): none.
    /// </summary>
    public Cascade.Features.FeatureSetOptions? EntityFeatures { get; set; }
}

/// <summary>One re-ranker; which settings apply depends on <see cref="Kind"/> (docs/reranking.md).</summary>
public sealed class RerankerOptions
{
    /// <summary>The kinds of re-ranker.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["mmr", "category-cap", "dedup", "boost", "pin", "explore"];

    /// <summary>mmr, category-cap, dedup, boost, pin or explore.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Settings of this re-ranker by name (e.g. { "lambda": "0.7" }).</summary>
    public Dictionary<string, string> Settings { get; set; } = [];
}

/// <summary>Stage budgets in milliseconds; 0 means unlimited.</summary>
public sealed class BudgetOptions
{
    /// <summary>Retrieval (all sources concurrently). Default 30 ms.</summary>
    public double SourcesMs { get; set; } = 30;

    /// <summary>Feature building and ranking. Default 30 ms.</summary>
    public double RankerMs { get; set; } = 30;

    /// <summary>All re-rankers. Default 10 ms.</summary>
    public double RerankMs { get; set; } = 10;

    /// <summary>
    /// Run the sources concurrently on the thread pool (true) or one after another on the request's thread, the
    /// later ones skipped once the sources' budget is spent (false). Null (default): concurrently on machines with
    /// four or more cores. On fewer cores a busy server gains nothing from the fan-out and pays thread hops for it.
    /// </summary>
    public bool? ConcurrentSources { get; set; }

    /// <summary>As <see cref="StageBudgets"/>.</summary>
    public StageBudgets ToBudgets() => new(Span(SourcesMs), Span(RankerMs), Span(RerankMs))
    {
        ConcurrentSources = ConcurrentSources ?? Environment.ProcessorCount >= 4,
    };

    private static TimeSpan Span(double ms) => ms <= 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(ms);
}
