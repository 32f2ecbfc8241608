using System.Diagnostics;
using Cascade.Core;
using Cascade.Evaluation.Metrics;
using Cascade.Models;

namespace Cascade.Evaluation.Running;

/// <summary>Options of an evaluation run; defaults are defined here only.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Cut-off of the top-k metrics (default 10).</summary>
    public int K { get; init; } = 10;

    /// <summary>Remove each user's training items from the recommendations (default true).</summary>
    public bool ExcludeSeen { get; init; } = true;

    /// <summary>Also compute coverage, Gini, novelty, intra-list diversity and serendipity (default true).</summary>
    public bool BeyondAccuracy { get; init; } = true;

    /// <summary>Users per progress report and per parallel batch (default 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Checks every option; returns them.</summary>
    public EvaluationOptions Validate()
    {
        Guard.Positive(K);
        Guard.Positive(BatchSize);
        return this;
    }
}

/// <summary>Progress of one model's evaluation.</summary>
/// <param name="Model">The model's label.</param>
/// <param name="Stage">"fit", "recommend" or "done".</param>
/// <param name="Done">Users finished so far.</param>
/// <param name="Total">Users to evaluate.</param>
public readonly record struct EvaluationProgress(string Model, string Stage, int Done, int Total);

/// <summary>The metrics of one model, by metric name (e.g. <c>map</c>, <c>ndcg@10</c>, <c>fit_seconds</c>), in a stable order.</summary>
/// <param name="Model">The model's label (its spec text).</param>
/// <param name="Metrics">Metric name → value.</param>
public sealed record ModelResult(string Model, IReadOnlyList<KeyValuePair<string, double>> Metrics)
{
    /// <summary>The value of metric <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The metric was not computed.</exception>
    public double this[string name]
    {
        get
        {
            foreach (var pair in Metrics)
            {
                if (pair.Key == name)
                {
                    return pair.Value;
                }
            }
            throw new KeyNotFoundException($"Metric '{name}' was not computed for {Model}.");
        }
    }
}

/// <summary>
/// Fits a model on an <see cref="EvaluationSet"/>'s training matrix, recommends top-k for every evaluated user in
/// parallel batches, and averages the per-user metrics over those users (the Microsoft Recommenders protocol; see docs/metrics.md).
/// </summary>
public static class EvaluationRunner
{
    /// <summary>Fits and evaluates one model.</summary>
    /// <param name="model">An unfitted model.</param>
    /// <param name="label">The model's label in the result.</param>
    /// <param name="set">The data.</param>
    /// <param name="options">Evaluation options; defaults when null.</param>
    /// <param name="progress">Receives progress per batch of users.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static ModelResult Evaluate(IRecommender model, string label, EvaluationSet set, EvaluationOptions? options = null,
        IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(set);
        options = (options ?? new EvaluationOptions()).Validate();
        int total = set.Users.Length;
        progress?.Report(new EvaluationProgress(label, "fit", 0, total));
        var clock = Stopwatch.StartNew();
        if (model is IUsesItemIds joiner)
        {
            joiner.UseItemIds(set.ItemIds);
        }
        if (model is IUsesSplitProtocol mirror)
        {
            mirror.UseSplitProtocol(set.TestIsNewest);
        }
        if (model is IReportsFitProgress reporter && progress is not null)
        {
            reporter.FitProgress = (step, done, total) => progress.Report(new EvaluationProgress(label, "fit: " + step, done, total));
        }
        model.Fit(set.Train, cancellationToken);
        double fitSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        int k = options.K;
        var lists = new int[total][];
        for (int start = 0; start < total; start += options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(options.BatchSize, total - start);
            Recommendation[][] batch = model.RecommendBatch(set.Users.AsSpan(start, count), k, options.ExcludeSeen, cancellationToken);
            for (int i = 0; i < count; i++)
            {
                var items = new int[batch[i].Length];
                for (int r = 0; r < items.Length; r++)
                {
                    items[r] = batch[i][r].Item;
                }
                lists[start + i] = items;
            }
            progress?.Report(new EvaluationProgress(label, "recommend", start + count, total));
        }

        var results = ComputeRankingMetrics(set, lists, k, options.BeyondAccuracy);
        double evalSeconds = clock.Elapsed.TotalSeconds;
        if (model is IRatingPredictor predictor)
        {
            var (rmse, mae) = RatingErrors(predictor, set);
            results.Add(new("rmse", rmse));
            results.Add(new("mae", mae));
        }
        results.Add(new("users", total));
        results.Add(new("fit_seconds", fitSeconds));
        results.Add(new("eval_seconds", evalSeconds));
        progress?.Report(new EvaluationProgress(label, "done", total, total));
        return new ModelResult(label, results);
    }

    /// <summary>Averages the per-user ranking metrics of given top-k lists (exposed for testing the aggregation).</summary>
    /// <param name="set">The evaluation data.</param>
    /// <param name="lists">The top-k item list of each of <see cref="EvaluationSet.Users"/>.</param>
    /// <param name="k">The cut-off.</param>
    /// <param name="beyondAccuracy">Also compute coverage, Gini, novelty, diversity and serendipity.</param>
    public static List<KeyValuePair<string, double>> ComputeRankingMetrics(EvaluationSet set, int[][] lists, int k, bool beyondAccuracy)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(lists);
        int total = set.Users.Length;
        // Per-user metrics in parallel, each into its own slot, then summed in user order so results are reproducible.
        const int Columns = 10;
        var perUser = new double[total * Columns];
        BeyondAccuracyMetrics? beyond = beyondAccuracy ? new BeyondAccuracyMetrics(set.Train) : null;
        Parallel.For(0, total, i =>
        {
            ReadOnlySpan<int> list = lists[i];
            ReadOnlySpan<int> relevant = set.Relevant[i];
            Span<double> row = perUser.AsSpan(i * Columns, Columns);
            row[0] = RankingMetrics.AveragePrecision(list, relevant, k);
            row[1] = RankingMetrics.AveragePrecisionAtK(list, relevant, k);
            row[2] = RankingMetrics.Ndcg(list, relevant, k);
            row[3] = RankingMetrics.NdcgGraded(list, relevant, set.RelevantRatings[i], k);
            row[4] = RankingMetrics.Precision(list, relevant, k);
            row[5] = RankingMetrics.Recall(list, relevant, k);
            row[6] = RankingMetrics.ReciprocalRank(list, relevant, k);
            row[7] = RankingMetrics.HitRate(list, relevant, k);
            if (beyond is not null)
            {
                row[8] = beyond.IntraListDiversity(list);
                row[9] = beyond.Serendipity(set.Users[i], list, relevant);
            }
        });
        var sums = new double[Columns];
        for (int i = 0; i < total; i++)
        {
            for (int c = 0; c < Columns; c++)
            {
                sums[c] += perUser[(i * Columns) + c];
            }
        }
        double Mean(int c) => total > 0 ? sums[c] / total : 0;
        var results = new List<KeyValuePair<string, double>>
        {
            new("map", Mean(0)),
            new($"map@{k}", Mean(1)),
            new($"ndcg@{k}", Mean(2)),
            new($"ndcg_graded@{k}", Mean(3)),
            new($"precision@{k}", Mean(4)),
            new($"recall@{k}", Mean(5)),
            new($"mrr@{k}", Mean(6)),
            new($"hit_rate@{k}", Mean(7)),
        };
        if (beyond is not null)
        {
            results.Add(new($"coverage@{k}", beyond.Coverage(lists)));
            results.Add(new($"gini@{k}", beyond.GiniExposure(lists)));
            results.Add(new($"novelty@{k}", beyond.Novelty(lists)));
            results.Add(new($"ild@{k}", Mean(8)));
            results.Add(new($"serendipity@{k}", Mean(9)));
        }
        return results;
    }

    private static (double Rmse, double Mae) RatingErrors(IRatingPredictor predictor, EvaluationSet set)
    {
        var actual = new List<float>();
        var predicted = new List<float>();
        for (int i = 0; i < set.Users.Length; i++)
        {
            int[] items = set.Relevant[i];
            for (int j = 0; j < items.Length; j++)
            {
                actual.Add(set.RelevantRatings[i][j]);
                predicted.Add(predictor.PredictRating(set.Users[i], items[j]));
            }
        }
        return actual.Count == 0
            ? (double.NaN, double.NaN)
            : (RatingMetrics.Rmse(actual.ToArray(), predicted.ToArray()), RatingMetrics.Mae(actual.ToArray(), predicted.ToArray()));
    }
}
