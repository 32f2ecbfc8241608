using System.Diagnostics;
using System.Globalization;
using Cascade.Models;
using Cascade.Models.Baselines;
using Cascade.Models.Factorisation;
using Cascade.Models.Linear;
using Cascade.Models.Neighbourhood;
using Cascade.Models.Neural;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline.Selection;

/// <summary>One configuration tried on the validation split.</summary>
/// <param name="Stage">baseline, source (a family's defaults), grid, refine, finalist (scored on a further split), fusion or ranker.</param>
/// <param name="Configuration">What was tried: a model spec, fusion weights, or a ranker over the fused sources.</param>
/// <param name="Score">Its validation metric (null when it failed or was skipped).</param>
/// <param name="Seconds">Fit plus validation time.</param>
/// <param name="Error">Why it failed, or null.</param>
public sealed record SelectionTrial(string Stage, string Configuration, double? Score, double Seconds, string? Error = null);

/// <summary>What model selection did (kept in the bundle manifest, shown at <c>GET /v1/admin/stats</c>).</summary>
/// <param name="Metric">The validation metric.</param>
/// <param name="ValidationUsers">Users whose newest interactions were held out.</param>
/// <param name="FitInteractions">Interactions the trials were fitted on.</param>
/// <param name="BudgetSeconds">The search budget.</param>
/// <param name="Seconds">How long the search took.</param>
/// <param name="Score">The chosen configuration's validation metric (null when no search was made).</param>
/// <param name="BaselineScore">The baseline pipeline's (the fixed default before selection), or null when not measured.</param>
/// <param name="Chosen">The chosen configuration in words.</param>
/// <param name="Trials">Every trial, in the order run.</param>
/// <param name="Note">Why no search was made (too little data), or null.</param>
public sealed record SelectionReport(string Metric, int ValidationUsers, int FitInteractions, double BudgetSeconds, double Seconds,
    double? Score, double? BaselineScore, string Chosen, IReadOnlyList<SelectionTrial> Trials, string? Note = null);

/// <summary>
/// Model selection at training time. On a validation split carved from the data (<see cref="SelectionSplit"/>:
/// the newest interactions of a sample of users), within a time budget, cheapest first:
/// <list type="number">
/// <item>the baseline pipeline (<see cref="PipelineOptions.Baseline"/>), so the report shows what selection gained;</item>
/// <item>every model family with its defaults (itemknn, rp3beta, sar, EASE^R on catalogs small enough, ALS);</item>
/// <item>random points of every family's hyper-parameter grid (<see cref="ModelCatalog.SearchSpace"/>), round-robin
/// from the best default down, until 40 % of the budget;</item>
/// <item>the best families refined around their best point, one grid step per parameter at a time (two at once when
/// no single step helps), until 60 %;</item>
/// <item>each refined family's best few scored again on further validation splits, the best mean kept, until 80 %;</item>
/// <item>the fusion of the best <see cref="SelectionOptions.TopFamilies"/> families' best configurations plus trending (and category, when items have categories):
/// source weights by coordinate ascent from the best single source, on the mean over the validation splits, for
/// reciprocal-rank fusion and for score fusion (<see cref="PipelineOptions.Fusion"/>), the better kept — so the fused list
/// never scores below its best source on validation;</item>
/// <item>each ranker kind over those sources, trained as the builder trains it, while the budget allows.</item>
/// </list>
/// The best on the metric wins. What the configuration pins (its sources, its fusion, its ranker, its re-rankers and budgets) is
/// kept as given. Models fitted during the search are reused by later steps of it, never by the final build, which
/// fits the chosen configuration on all the data.
/// </summary>
public static partial class PipelineSelection
{
    private static readonly double[] WeightGrid = [0, 0.25, 0.5, 1, 2, 4];

    /// <summary>The configuration to build: <paramref name="options"/> itself when selection is off, else the one chosen.</summary>
    /// <param name="options">The configured pipeline (selection on or off).</param>
    /// <param name="data">The training data.</param>
    /// <param name="seed">Seed of the models.</param>
    /// <param name="progress">Receives a step per trial (Done/Total in seconds of the budget), or null.</param>
    /// <param name="cancellationToken">Stops between trials.</param>
    /// <returns>The configuration (selection off in it) and the report (null when selection was off).</returns>
    public static (PipelineOptions Options, SelectionReport? Report) Resolve(PipelineOptions options, PipelineData data, int seed = 42,
        IProgress<PipelineBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        if (!options.IsSelectionOn())
        {
            return (options.Sources.Count > 0 ? options : Resolved(options, PipelineOptions.Baseline().Sources, options.Ranker), null);
        }
        var selection = options.Selection ?? new SelectionOptions();
        var clock = Stopwatch.StartNew();
        var split = SelectionSplit.Create(data.Interactions, selection);
        if (split.Users.Length < selection.MinValidationUsers)
        {
            var fallback = options.Sources.Count > 0 ? Resolved(options, options.Sources, options.Ranker) : Resolved(options, PipelineOptions.Baseline().Sources, options.Ranker);
            return (fallback, new SelectionReport(selection.Metric, split.Users.Length, split.Fit.NonZeros, selection.BudgetSeconds, clock.Elapsed.TotalSeconds,
                null, null, Describe(fallback), [],
                $"only {split.Users.Length} users have three or more interactions (at least {selection.MinValidationUsers} needed to validate): no search; the {(options.Sources.Count > 0 ? "configured" : "baseline")} sources are used"));
        }
        return new Search(options, selection, data, split, seed, progress, clock, cancellationToken).Run();
    }

    /// <summary>A copy of <paramref name="options"/> with these sources and ranker, selection off.</summary>
    private static PipelineOptions Resolved(PipelineOptions options, IEnumerable<SourceOptions> sources, RankerOptions? ranker, string? fusion = null) => new()
    {
        Sources = [.. sources],
        Fusion = fusion ?? options.Fusion,
        Ranker = ranker,
        Rerankers = options.Rerankers,
        Budgets = options.Budgets,
    };

    /// <summary>A configuration in words: its sources with their weights and its ranker.</summary>
    private static string Describe(PipelineOptions options) =>
        (options.Ranker is { } r ? $"ranker {r.Kind} over " : options.Fusion == "score" ? "score fusion of " : "fusion of ")
        + string.Join(", ", options.Sources.Select(s => $"{s.Name} ({s.Model ?? s.Kind}, weight {s.Weight.ToString("0.##", CultureInfo.InvariantCulture)})"));

    private sealed partial class Search(PipelineOptions options, SelectionOptions selection, PipelineData data, SelectionSplit split, int seed,
        IProgress<PipelineBuildProgress>? progress, Stopwatch clock, CancellationToken cancellationToken)
    {
        private readonly List<SelectionTrial> _trials = [];
        private readonly PipelineData _fitData = new(split.Fit, data.Items);
        // The best configuration of each family: spec, fitted model (on the fit part), score, fit seconds.
        private readonly Dictionary<string, (string Spec, IRecommender Model, double Score, double Seconds)> _best = new(StringComparer.Ordinal);
        // The further validation splits of the finalists and the fusion, each with the finalists chosen, fitted on its fit part.
        private readonly List<(SelectionSplit Split, Dictionary<string, IRecommender> Models)> _repeats = [];
        // The configurations tried (see Identity).
        private readonly HashSet<string> _identities = new(StringComparer.Ordinal);
        // Whether every interaction's value is 1 (implicit data): then weighing by values changes nothing.
        private bool ValuesAreOne { get; } = split.Fit.Values.AsSpan(0, split.Fit.NonZeros).IndexOfAnyExcept(1f) < 0;
        // Every configuration scored on the first split, per family.
        private readonly Dictionary<string, List<(string Spec, double Score)>> _scored = new(StringComparer.Ordinal);
        private double Budget => selection.BudgetSeconds;

        private double Elapsed => clock.Elapsed.TotalSeconds;

        public (PipelineOptions, SelectionReport) Run()
        {
            double? baselineScore = options.Sources.Count > 0 ? null : TryPipeline("baseline", "baseline pipeline", Resolved(options, PipelineOptions.Baseline().Sources, options.Ranker));
            var candidates = new List<(PipelineOptions Options, double Score)>();
            if (baselineScore is { } b && !double.IsNaN(b))
            {
                candidates.Add((Resolved(options, PipelineOptions.Baseline().Sources, options.Ranker), b));
            }
            List<SourceOptions> sources;
            if (options.Sources.Count > 0)
            {
                sources = [.. options.Sources.Select(Copy)];
            }
            else
            {
                SearchFamilies();
                sources = [.. _best.OrderByDescending(p => p.Value.Score).Take(selection.TopFamilies)
                    .Select(p => new SourceOptions { Name = p.Key, Kind = "model", Model = p.Value.Spec, Quota = 100 })];
                sources.Add(new SourceOptions { Name = "trending", Kind = "popular", Quota = 50, HalfLifeHours = 168 });
                if (data.Items.Categories.Any(c => c.Length > 0))
                {
                    sources.Add(new SourceOptions { Name = "category", Kind = "category", Quota = 50 });
                }
            }
            if (sources.Count > 0)
            {
                var models = _best.Values.ToDictionary(v => v.Spec, v => v.Model, StringComparer.Ordinal);
                var fused = Fuse(sources, models);
                if (options.Ranker is null)
                {
                    // The weights were chosen on the sources' proposals; the configuration is scored as it will run.
                    var fusion = Resolved(options, fused.Sources.Where(s => s.Weight > 0), null, fused.Fusion);
                    if (TryPipeline("fusion", Describe(fusion), fusion, models) is { } score)
                    {
                        candidates.Add((fusion, score));
                    }
                }
                foreach (var ranker in RankersToTry())
                {
                    double estimate = _best.Values.Sum(v => v.Seconds) + 5;
                    if (Elapsed + estimate > Budget)
                    {
                        _trials.Add(new SelectionTrial("ranker", $"ranker {ranker.Kind}", null, 0, $"skipped: about {estimate:0} s left of the budget were needed"));
                        continue;
                    }
                    var withRanker = Resolved(options, fused.Sources, ranker, fused.Fusion);
                    if (TryPipeline("ranker", Describe(withRanker), withRanker, models) is { } score && !double.IsNaN(score))
                    {
                        candidates.Add((withRanker, score));
                    }
                }
            }
            var chosen = Resolved(options, PipelineOptions.Baseline().Sources, options.Ranker);
            double? best = null;
            if (candidates.Count > 0)
            {
                // The first of equals wins: the baseline, then the fusion, then the rankers.
                (chosen, double top) = candidates.MaxBy(c => c.Score);
                best = top;
            }
            progress?.Report(new PipelineBuildProgress("selection done", (int)Budget, (int)Budget));
            return (chosen, new SelectionReport(selection.Metric, split.Users.Length, split.Fit.NonZeros, Budget, Elapsed, best, baselineScore,
                Describe(chosen), _trials));
        }

        // The rankers to try: the configured one (pinned), else the selection's kinds.
        private IEnumerable<RankerOptions> RankersToTry() => options.Ranker is { } pinned ? [pinned]
            : (selection.Rankers ?? SelectionOptions.DefaultRankers).Select(kind => new RankerOptions { Kind = kind, HoldoutFolds = 2 });

        private void SearchFamilies()
        {
            var families = (selection.Models ?? SelectionOptions.DefaultModels)
                .Where(f => f != "ease" || data.Items.Count <= selection.MaxEaseItems).ToList();
            foreach (string family in families)
            {
                TrySource("source", family, ModelSpec.Parse(family).ToString());
            }
            // Random grid points of every family, best default first, round-robin — a family whose defaults are poor
            // for these data (ALS's regularisation depends on their scale) still gets its chance — until 40 % of the budget.
            var random = new Random(selection.Seed);
            var queues = _best.OrderByDescending(p => p.Value.Score)
                .ToDictionary(p => p.Key, p => new Queue<string>(GridPoints(p.Key, random).Take(selection.TrialsPerFamily)), StringComparer.Ordinal);
            double end = 0.4 * Budget;
            while (queues.Count > 0 && Elapsed < end)
            {
                foreach (string family in queues.Keys.ToList())
                {
                    // A family whose trials would overrun this round stops here.
                    if (!queues[family].TryDequeue(out string? spec) || Elapsed + _best[family].Seconds > end)
                    {
                        queues.Remove(family);
                        continue;
                    }
                    TrySource("grid", family, spec);
                }
            }
            // Then the best families are refined around their best point: each parameter moved one grid step either
            // way, kept when it validates better, until no step helps or 60 % of the budget is spent.
            end = 0.6 * Budget;
            var refined = _best.OrderByDescending(p => p.Value.Score).Take(selection.TopFamilies).Select(p => p.Key).ToList();
            foreach (string family in refined)
            {
                var space = ModelCatalog.SearchSpace(family);
                bool improved = true;
                var tried = new HashSet<string>(_trials.Select(t => t.Configuration), StringComparer.Ordinal);
                while (improved)
                {
                    improved = false;
                    foreach (var parameter in space)
                    {
                        foreach (var next in Neighbours(ModelSpec.Parse(_best[family].Spec), parameter))
                        {
                            improved |= TryStep(family, next.ToString(), tried, end);
                        }
                    }
                    // No single step helps: two parameters moved at once (ALS's confidence scale α and whether
                    // ratings weight it are only good together), the first that helps ends the sweep.
                    for (int a = 0; a < space.Count && !improved; a++)
                    {
                        for (int b = a + 1; b < space.Count && !improved; b++)
                        {
                            var spec = ModelSpec.Parse(_best[family].Spec);
                            foreach (string next in Neighbours(spec, space[a]).SelectMany(x => Neighbours(x, space[b])).Select(x => x.ToString()))
                            {
                                if (TryStep(family, next, tried, end))
                                {
                                    improved = true;
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            ScoreFinalists(refined);
        }

        // A spec moved one grid step either way along one parameter (every value when its value is off the grid).
        private static IEnumerable<ModelSpec> Neighbours(ModelSpec spec, (string Key, string[] Values) parameter)
        {
            var (key, values) = parameter;
            int at = Array.IndexOf(values, spec.Parameters.GetValueOrDefault(key) ?? "");
            int[] steps = at < 0 ? [.. Enumerable.Range(0, values.Length)] : [at - 1, at + 1];
            return steps.Where(i => i >= 0 && i < values.Length).Select(i => spec.With(key, values[i]));
        }

        // One refinement trial, unless tried already, invalid or over the stage's end; true when it became the family's best.
        private bool TryStep(string family, string next, HashSet<string> tried, double end)
        {
            if (Elapsed + _best[family].Seconds > end || !tried.Add(next) || !IsValid(ModelSpec.Parse(next)))
            {
                return false;
            }
            double before = _best[family].Score;
            TrySource("refine", family, next);
            return _best[family].Score > before;
        }

        /// <summary>
        /// The validation split is one draw: configurations of a family within its noise are ranked by luck. Each refined
        /// family's best <see cref="SelectionOptions.Finalists"/> are scored again on <see cref="SelectionOptions.ValidationRepeats"/>
        /// more splits (another sample and other held-out items; the next-newest ones under time-aware validation) and
        /// the family's configuration becomes the one with the best mean over all of them.
        /// </summary>
        private void ScoreFinalists(List<string> families)
        {
            if (selection.ValidationRepeats == 0 || selection.Finalists < 2)
            {
                return;
            }
            double end = 0.8 * Budget;
            var splits = _repeats;
            for (int r = 1; r <= selection.ValidationRepeats; r++)
            {
                var extra = SelectionSplit.Create(data.Interactions, selection, r);
                if (extra.Users.Length >= selection.MinValidationUsers)
                {
                    splits.Add((extra, new Dictionary<string, IRecommender>(StringComparer.Ordinal)));
                }
            }
            if (splits.Count == 0)
            {
                return;
            }
            foreach (string family in families)
            {
                var finalists = _scored[family].OrderByDescending(x => x.Score).Take(selection.Finalists).ToList();
                if (finalists.Count < 2)
                {
                    continue;
                }
                var means = new List<(string Spec, double Mean, IRecommender[] Models)>();
                foreach (var (spec, score) in finalists)
                {
                    double sum = score;
                    var fitted = new List<IRecommender>(splits.Count);
                    for (int r = 0; r < splits.Count; r++)
                    {
                        if (Elapsed + _best[family].Seconds > end)
                        {
                            break;
                        }
                        if (FitAndScore("finalist", $"{spec} (split {r + 2})", spec, splits[r].Split, once: false) is { } trial)
                        {
                            sum += trial.Score;
                            fitted.Add(trial.Model);
                        }
                    }
                    if (fitted.Count == splits.Count)
                    {
                        means.Add((spec, sum / (splits.Count + 1), [.. fitted]));
                    }
                }
                if (means.Count < 2)
                {
                    continue;
                }
                var (chosen, mean, models) = means.MaxBy(x => x.Mean);
                for (int r = 0; r < splits.Count; r++)
                {
                    splits[r].Models[chosen] = models[r];
                }
                _trials.Add(new SelectionTrial("finalist", $"chosen: {chosen} (mean over {splits.Count + 1} splits)", mean, 0));
                if (chosen != _best[family].Spec)
                {
                    // Refitted on the first split's fit part, where the fusion and the rankers are chosen.
                    var model = ModelCatalog.Default.Create(ModelSpec.Parse(chosen), seed);
                    model.Fit(split.Fit, cancellationToken);
                    _best[family] = (chosen, model, _best[family].Score, _best[family].Seconds);
                }
            }
        }

        private static IEnumerable<string> GridPoints(string family, Random random)
        {
            var space = ModelCatalog.SearchSpace(family);
            if (space.Count == 0)
            {
                yield break;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal) { family };
            for (int n = 0; n < 1024; n++)
            {
                var spec = ModelSpec.Parse(family);
                foreach (var (key, values) in space)
                {
                    spec = spec.With(key, values[random.Next(values.Length)]);
                }
                if (seen.Add(spec.ToString()) && IsValid(spec))
                {
                    yield return spec.ToString();
                }
            }
        }

        // Some grid combinations are invalid (EASE without the zero-diagonal constraint needs a dropout): not tried.
        private static bool IsValid(ModelSpec spec)
        {
            try
            {
                ModelCatalog.Default.Create(spec, 0);
                return true;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        private void TrySource(string stage, string family, string spec)
        {
            if (FitAndScore(stage, spec, spec, split, once: true) is not { } fitted)
            {
                return;
            }
            if (!_scored.TryGetValue(family, out var scored))
            {
                _scored[family] = scored = [];
            }
            scored.Add((spec, fitted.Score));
            if (!_best.TryGetValue(family, out var best) || fitted.Score > best.Score)
            {
                _best[family] = (spec, fitted.Model, fitted.Score, Math.Max(fitted.FitSeconds, best.Seconds));
            }
        }

        // One trial: the spec fitted on a split's fit part and scored on its held-out items. Null when it failed, or
        // when `once` and the same configuration, written another way ("als" and "als:factors=128" when 128 is the
        // default), was tried before.
        private (IRecommender Model, double Score, double FitSeconds)? FitAndScore(string stage, string label, string spec, SelectionSplit on, bool once)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new PipelineBuildProgress($"selecting: {stage} {label}", (int)Math.Min(Elapsed, Budget), (int)Budget));
            long started = Stopwatch.GetTimestamp();
            try
            {
                var model = ModelCatalog.Default.Create(ModelSpec.Parse(spec), seed);
                if (once && !_identities.Add(Identity(model, spec)))
                {
                    return null;
                }
                model.Fit(on.Fit, cancellationToken);
                double fitSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                double score = on.Mean(i => Items(model.Recommend(on.Users[i], on.K, excludeSeen: true)), cancellationToken);
                _trials.Add(new SelectionTrial(stage, label, score, Stopwatch.GetElapsedTime(started).TotalSeconds));
                return (model, score, fitSeconds);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or OutOfMemoryException)
            {
                _trials.Add(new SelectionTrial(stage, label, null, Stopwatch.GetElapsedTime(started).TotalSeconds, e.Message));
                return null;
            }
        }

        // What a model will do, whatever way its spec was written: its options with every default filled in, and the
        // options that make no difference left out (how values are weighed when values are ignored, or all 1).
        private string Identity(IRecommender model, string spec) => model switch
        {
            ImplicitAls m => (ValuesAreOne ? m.Options with { UseValues = false } : m.Options).ToString(),
            Ease m => (m.Options.Binarize || ValuesAreOne ? m.Options with { Binarize = true, ValueExponent = new EaseOptions().ValueExponent } : m.Options).ToString(),
            ItemKnn m => m.Options.ToString(),
            Rp3Beta m => m.Options.ToString(),
            Sar m => m.Options.ToString(),
            Bpr m => m.Options.ToString(),
            BiasedMatrixFactorisation m => m.Options.ToString(),
            TwoTower m => m.Options.ToString(),
            MostPopular m => m.Options.ToString(),
            _ => spec,
        };

        private static int[] Items(Recommendation[] list)
        {
            var items = new int[list.Length];
            for (int i = 0; i < items.Length; i++)
            {
                items[i] = list[i].Item;
            }
            return items;
        }

        private double? TryPipeline(string stage, string description, PipelineOptions candidate, IReadOnlyDictionary<string, IRecommender>? models = null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new PipelineBuildProgress($"selecting: {stage}", (int)Math.Min(Elapsed, Budget), (int)Budget));
            long started = Stopwatch.GetTimestamp();
            try
            {
                var pipeline = PipelineBuilder.Build(candidate, _fitData, seed, null, models, null, cancellationToken);
                double score = split.Mean(i =>
                {
                    int u = split.Users[i];
                    var history = RecommendationPipeline.HistoryOf(split.Fit, u);
                    long nowMs = RecommendationPipeline.LastActivityMs(split.Fit, u) ?? _fitData.NewestTimestampMs;
                    var result = pipeline.Run(new PipelineRequest(u, history, split.K, nowMs) { Seed = (ulong)u });
                    return [.. result.Items.Select(c => c.Item)];
                }, cancellationToken);
                _trials.Add(new SelectionTrial(stage, description, score, Stopwatch.GetElapsedTime(started).TotalSeconds));
                return score;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or OutOfMemoryException)
            {
                _trials.Add(new SelectionTrial(stage, description, null, Stopwatch.GetElapsedTime(started).TotalSeconds, e.Message));
                return null;
            }
        }

        private static SourceOptions Copy(SourceOptions s) => new()
        {
            Name = s.Name,
            Kind = s.Kind,
            Quota = s.Quota,
            Model = s.Model,
            Weight = s.Weight,
            HalfLifeHours = s.HalfLifeHours,
            History = s.History,
            Neighbours = s.Neighbours,
            UseIndex = s.UseIndex,
            Ef = s.Ef,
            Items = s.Items,
        };
    }
}
