using System.Diagnostics;
using Cascade.Core;
using Cascade.Evaluation.Data;
using Cascade.Evaluation.Splitting;
using Cascade.Models;

namespace Cascade.Evaluation.Running;

/// <summary>Options of a hyper-parameter search; defaults are defined here only.</summary>
public sealed record TuningOptions
{
    /// <summary>How the validation split is carved from the training rows (default stratified-item:0.75, the test protocol's own split).</summary>
    public string ValidationSplit { get; init; } = "stratified-item:0.75";

    /// <summary>The metric maximised on validation (default ndcg@k).</summary>
    public string? Metric { get; init; }

    /// <summary>Wall-clock budget; the search stops starting trials after it (default 5 minutes).</summary>
    public TimeSpan Budget { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most trials run (default 200).</summary>
    public int MaxTrials { get; init; } = 200;

    /// <summary>Seed of the validation split and the trial order (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Evaluation options of each trial.</summary>
    public EvaluationOptions Evaluation { get; init; } = new() { BeyondAccuracy = false };

    /// <summary>Checks the options; returns them.</summary>
    public TuningOptions Validate()
    {
        Guard.Positive(Budget);
        Guard.Positive(MaxTrials);
        Evaluation.Validate();
        return this;
    }
}

/// <summary>One configuration tried on the validation split.</summary>
/// <param name="Spec">The configuration.</param>
/// <param name="Score">Its validation metric.</param>
/// <param name="Seconds">Fit plus evaluation time.</param>
public sealed record TuningTrial(ModelSpec Spec, double Score, double Seconds);

/// <summary>The outcome of a search.</summary>
/// <param name="Metric">The metric maximised.</param>
/// <param name="Best">The best configuration.</param>
/// <param name="BestScore">Its validation score.</param>
/// <param name="Trials">Every trial, in the order run.</param>
public sealed record TuningResult(string Metric, ModelSpec Best, double BestScore, IReadOnlyList<TuningTrial> Trials);

/// <summary>
/// Random search over a model's grid (<see cref="ModelCatalog.SearchSpace"/>) on a validation split carved from the
/// training rows only — the test rows are never looked at. The first trial is the spec as given; the rest are grid
/// points in a seeded random order, until the budget or the trial limit is reached.
/// </summary>
public static class HyperParameterSearch
{
    /// <summary>Searches the hyper-parameters of <paramref name="baseSpec"/>'s model.</summary>
    /// <param name="data">The table.</param>
    /// <param name="trainRows">The training rows (validation is carved from these).</param>
    /// <param name="baseSpec">The model with any parameters fixed by the user (they are not searched).</param>
    /// <param name="options">Search options.</param>
    /// <param name="onTrial">Called after each trial.</param>
    /// <param name="catalog">Builds the models (default: <see cref="ModelCatalog.Default"/>).</param>
    /// <param name="cancellationToken">Stops between trials.</param>
    public static TuningResult Search(InteractionData data, int[] trainRows, ModelSpec baseSpec, TuningOptions? options = null,
        Action<TuningTrial>? onTrial = null, ModelCatalog? catalog = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainRows);
        ArgumentNullException.ThrowIfNull(baseSpec);
        options = (options ?? new TuningOptions()).Validate();
        catalog ??= ModelCatalog.Default;
        string metric = options.Metric ?? $"ndcg@{options.Evaluation.K}";
        DataSplit validation = Splitter.Apply(data, trainRows, options.ValidationSplit, options.Seed);
        var set = EvaluationSet.Create(data, validation);

        var space = ModelCatalog.SearchSpace(baseSpec.Name).Where(p => !baseSpec.Parameters.ContainsKey(p.Key)).ToArray();
        var candidates = new List<ModelSpec> { baseSpec };
        candidates.AddRange(Grid(baseSpec, space, options.Seed, options.MaxTrials));
        var clock = Stopwatch.StartNew();
        var trials = new List<TuningTrial>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var spec in candidates)
        {
            if (trials.Count >= options.MaxTrials || (trials.Count > 0 && clock.Elapsed > options.Budget))
            {
                break;
            }
            if (!seen.Add(spec.ToString()))
            {
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            IRecommender model;
            try
            {
                model = catalog.Create(spec, options.Seed);
            }
            catch (ArgumentException) when (!ReferenceEquals(spec, baseSpec))
            {
                // An invalid combination of grid values (EASE without the zero-diagonal constraint needs a dropout): skipped.
                continue;
            }
            var started = clock.Elapsed;
            var result = EvaluationRunner.Evaluate(model, spec.ToString(), set, options.Evaluation, null, cancellationToken);
            var trial = new TuningTrial(spec, result[metric], (clock.Elapsed - started).TotalSeconds);
            trials.Add(trial);
            onTrial?.Invoke(trial);
        }
        var best = trials[0];
        foreach (var trial in trials)
        {
            if (trial.Score > best.Score)
            {
                best = trial;
            }
        }
        return new TuningResult(metric, best.Spec, best.Score, trials);
    }

    private static IEnumerable<ModelSpec> Grid(ModelSpec baseSpec, (string Key, string[] Values)[] space, int seed, int maxTrials)
    {
        if (space.Length == 0)
        {
            yield break;
        }
        long size = 1;
        foreach (var (_, values) in space)
        {
            size = Math.Min(size * values.Length, long.MaxValue / 1024);
        }
        var random = new Random(seed);
        if (size <= maxTrials * 4L)
        {
            // Small grid: all points in a seeded random order.
            var points = new List<int[]>();
            var index = new int[space.Length];
            for (long n = 0; n < size; n++)
            {
                points.Add((int[])index.Clone());
                for (int d = space.Length - 1; d >= 0; d--)
                {
                    if (++index[d] < space[d].Values.Length)
                    {
                        break;
                    }
                    index[d] = 0;
                }
            }
            var order = points.ToArray();
            random.Shuffle(order);
            foreach (var point in order)
            {
                yield return Apply(baseSpec, space, point);
            }
            yield break;
        }
        for (int n = 0; n < maxTrials * 4; n++)
        {
            var point = new int[space.Length];
            for (int d = 0; d < space.Length; d++)
            {
                point[d] = random.Next(space[d].Values.Length);
            }
            yield return Apply(baseSpec, space, point);
        }
    }

    private static ModelSpec Apply(ModelSpec spec, (string Key, string[] Values)[] space, int[] point)
    {
        for (int d = 0; d < space.Length; d++)
        {
            spec = spec.With(space[d].Key, space[d].Values[point[d]]);
        }
        return spec;
    }
}
