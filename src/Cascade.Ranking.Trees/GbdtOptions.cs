using System.Globalization;
using Cascade.Core;

namespace Cascade.Ranking.Trees;

/// <summary>What the boosted trees minimise.</summary>
public enum GbdtObjective
{
    /// <summary>Binary log loss on 0/1 labels; predictions are probabilities.</summary>
    Binary,

    /// <summary>LambdaMART: pairwise lambdas weighted by the nDCG@k change of a swap, within the data set's groups; predictions are unbounded scores.</summary>
    LambdaRank,
}

/// <summary>The validation metric that early stopping watches.</summary>
public enum GbdtMetric
{
    /// <summary>Log loss for <see cref="GbdtObjective.Binary"/>, nDCG@k for <see cref="GbdtObjective.LambdaRank"/>.</summary>
    Default,

    /// <summary>Binary log loss (lower is better).</summary>
    LogLoss,

    /// <summary>Area under the ROC curve (higher is better).</summary>
    Auc,

    /// <summary>Mean nDCG@<see cref="GbdtOptions.NdcgAt"/> over the validation groups that hold a relevant row (higher is better).</summary>
    Ndcg,
}

/// <summary>
/// Hyper-parameters of <see cref="GradientBoostedTrees"/>. Defaults are defined here once; <see cref="Validate"/> runs
/// when a ranker is created. Names follow LightGBM where the meaning is the same.
/// </summary>
public sealed record GbdtOptions
{
    /// <summary>The loss.</summary>
    public GbdtObjective Objective { get; init; } = GbdtObjective.Binary;

    /// <summary>Maximum number of boosting rounds (one tree each).</summary>
    public int Trees { get; init; } = 100;

    /// <summary>Shrinkage applied to every leaf value.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Leaves per tree: growth stops after this many (leaf-wise growth splits the best-gain leaf first).</summary>
    public int MaxLeaves { get; init; } = 31;

    /// <summary>Maximum depth of a leaf (root = 0); 0 for no limit other than <see cref="MaxLeaves"/>.</summary>
    public int MaxDepth { get; init; }

    /// <summary>Minimum sum of hessians in a child.</summary>
    public double MinChildWeight { get; init; } = 1e-3;

    /// <summary>Minimum number of training rows in a child.</summary>
    public int MinDataInLeaf { get; init; } = 20;

    /// <summary>L2 regularisation of leaf values (XGBoost's lambda).</summary>
    public double L2 { get; init; } = 1.0;

    /// <summary>Minimum gain of a split; leaves whose best split gains less stay leaves.</summary>
    public double MinSplitGain { get; init; }

    /// <summary>Fraction of rows sampled (without replacement) for each tree; 1 uses all.</summary>
    public double Subsample { get; init; } = 1.0;

    /// <summary>Fraction of features sampled for each tree; 1 uses all.</summary>
    public double ColumnSample { get; init; } = 1.0;

    /// <summary>Maximum bins per numeric feature (not counting the missing-value bin), 2..255.</summary>
    public int MaxBins { get; init; } = 255;

    /// <summary>Rows sampled per numeric feature to place the quantile bin edges.</summary>
    public int BinSampleRows { get; init; } = 1_000_000;

    /// <summary>Categories of a field kept as their own bin (the most frequent in training), 1..65535; the rest share the missing bin.</summary>
    public int MaxCategories { get; init; } = 4096;

    /// <summary>Fields with at most this many categories present in a leaf are split one-vs-rest; above it, by sorted gradient ratio.</summary>
    public int MaxCategoriesOneHot { get; init; } = 4;

    /// <summary>Largest number of categories sent left by one sorted-ratio categorical split.</summary>
    public int MaxCategoryThreshold { get; init; } = 32;

    /// <summary>Smoothing added to the hessian when categories are sorted by gradient / hessian.</summary>
    public double CategorySmooth { get; init; } = 10;

    /// <summary>Extra L2 regularisation in the gain of a sorted-ratio categorical split.</summary>
    public double CategoryL2 { get; init; } = 10;

    /// <summary>Categories with fewer rows in a leaf are not considered by a sorted-ratio split (they go right).</summary>
    public int MinDataPerCategory { get; init; } = 10;

    /// <summary>Stop when the validation metric has not improved for this many rounds (0 = never stop early; the best round is still kept).</summary>
    public int EarlyStoppingRounds { get; init; } = 20;

    /// <summary>The validation metric.</summary>
    public GbdtMetric Metric { get; init; } = GbdtMetric.Default;

    /// <summary>Cut-off k of nDCG@k in LambdaMART's lambdas and metric.</summary>
    public int NdcgAt { get; init; } = 10;

    /// <summary>Sigmoid steepness of LambdaMART's pairwise probabilities.</summary>
    public double Sigma { get; init; } = 1.0;

    /// <summary>
    /// A numeric feature whose value (× <see cref="BaseScale"/>; missing = 0) is every row's starting score, so the
    /// trees learn corrections to it (a base margin) — e.g. a strong model's score — and early stopping may keep no
    /// tree at all. Null: start from the constant base score.
    /// </summary>
    public string? BaseFeature { get; init; }

    /// <summary>Factor of <see cref="BaseFeature"/>. Default 1.</summary>
    public double BaseScale { get; init; } = 1.0;

    /// <summary>Threads for histogram building, gradients and binning; 0 = all processors. Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Seed of row and column sampling.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The metric early stopping uses once <see cref="GbdtMetric.Default"/> is resolved.</summary>
    public GbdtMetric ResolvedMetric => Metric != GbdtMetric.Default ? Metric : Objective == GbdtObjective.LambdaRank ? GbdtMetric.Ndcg : GbdtMetric.LogLoss;

    /// <summary>Checks every value; throws naming the bad parameter.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        Guard.Positive(Trees);
        Guard.Positive(LearningRate);
        Guard.AtLeast(MaxLeaves, 2);
        Guard.NonNegative(MaxDepth); // 0: no limit
        Guard.NonNegative(MinChildWeight);
        Guard.Positive(MinDataInLeaf);
        Guard.NonNegative(L2);
        Guard.NonNegative(MinSplitGain);
        Guard.InRange(Subsample, 0, 1, minExclusive: true);
        Guard.InRange(ColumnSample, 0, 1, minExclusive: true);
        Guard.InRange(MaxBins, 2, 255);
        Guard.AtLeast(BinSampleRows, 100);
        Guard.InRange(MaxCategories, 1, 65535);
        Guard.NonNegative(MaxCategoriesOneHot);
        Guard.Positive(MaxCategoryThreshold);
        Guard.NonNegative(CategorySmooth);
        Guard.NonNegative(CategoryL2);
        Guard.Positive(MinDataPerCategory);
        Guard.NonNegative(EarlyStoppingRounds);
        Guard.Positive(NdcgAt);
        Guard.Positive(Sigma);
        Guard.NonNegative(Threads); // 0: all processors
        Guard.Finite(BaseScale);
        if (Objective == GbdtObjective.LambdaRank && ResolvedMetric is GbdtMetric.LogLoss or GbdtMetric.Auc)
        {
            Guard.ThrowOutOfRange(nameof(Metric), Metric, "ndcg with the lambdarank objective (LambdaRank outputs unbounded scores)");
        }
        if (Objective == GbdtObjective.Binary && ResolvedMetric == GbdtMetric.Ndcg)
        {
            Guard.ThrowOutOfRange(nameof(Metric), Metric, "logloss or auc with the binary objective (ndcg needs lambdarank)");
        }
    }

    /// <summary>
    /// Options from command-line style parameters (lower-case keys, text values): trees, learning_rate, max_leaves,
    /// max_depth, min_child_weight, min_data_in_leaf, lambda, min_split_gain, subsample, colsample, max_bin,
    /// max_cat, max_cat_threshold, cat_smooth, cat_l2, min_data_per_group, early_stopping, metric
    /// (logloss|auc|ndcg), ndcg_at, objective (binary|lambdarank), sigma, threads, base_feature (a numeric feature's
    /// name), base_scale.
    /// </summary>
    /// <param name="parameters">Values by key; unknown keys are refused.</param>
    /// <param name="seed">Sampling seed.</param>
    /// <exception cref="ArgumentException">An unknown key or a bad value (the message names it).</exception>
    public static GbdtOptions FromParameters(IReadOnlyDictionary<string, string> parameters, int seed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var options = new GbdtOptions { Seed = seed };
        foreach (var (key, value) in parameters)
        {
            options = key switch
            {
                "trees" or "rounds" => options with { Trees = Int(key, value) },
                "learning_rate" or "eta" => options with { LearningRate = Real(key, value) },
                "max_leaves" or "num_leaves" => options with { MaxLeaves = Int(key, value) },
                "max_depth" => options with { MaxDepth = Int(key, value) },
                "min_child_weight" => options with { MinChildWeight = Real(key, value) },
                "min_data_in_leaf" => options with { MinDataInLeaf = Int(key, value) },
                "lambda" or "l2" => options with { L2 = Real(key, value) },
                "min_split_gain" => options with { MinSplitGain = Real(key, value) },
                "subsample" => options with { Subsample = Real(key, value) },
                "colsample" => options with { ColumnSample = Real(key, value) },
                "max_bin" => options with { MaxBins = Int(key, value) },
                "max_cat" => options with { MaxCategories = Int(key, value) },
                "max_cat_to_onehot" => options with { MaxCategoriesOneHot = Int(key, value) },
                "max_cat_threshold" => options with { MaxCategoryThreshold = Int(key, value) },
                "cat_smooth" => options with { CategorySmooth = Real(key, value) },
                "cat_l2" => options with { CategoryL2 = Real(key, value) },
                "min_data_per_group" => options with { MinDataPerCategory = Int(key, value) },
                "early_stopping" => options with { EarlyStoppingRounds = Int(key, value) },
                "ndcg_at" => options with { NdcgAt = Int(key, value) },
                "sigma" => options with { Sigma = Real(key, value) },
                "threads" => options with { Threads = Int(key, value) },
                "base_feature" => options with { BaseFeature = value },
                "base_scale" => options with { BaseScale = Real(key, value) },
                "metric" => options with
                {
                    Metric = value.ToLowerInvariant() switch
                    {
                        "logloss" => GbdtMetric.LogLoss,
                        "auc" => GbdtMetric.Auc,
                        "ndcg" => GbdtMetric.Ndcg,
                        _ => throw new ArgumentException($"metric '{value}' is not logloss, auc or ndcg.", nameof(parameters)),
                    }
                },
                "objective" => options with
                {
                    Objective = value.ToLowerInvariant() switch
                    {
                        "binary" => GbdtObjective.Binary,
                        "lambdarank" or "lambdamart" => GbdtObjective.LambdaRank,
                        _ => throw new ArgumentException($"objective '{value}' is not binary or lambdarank.", nameof(parameters)),
                    }
                },
                _ => throw new ArgumentException($"Unknown gbdt parameter '{key}'.", nameof(parameters)),
            };
        }
        options.Validate();
        return options;
    }

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new FormatException($"gbdt parameter {key}='{value}' is not an integer.");

    private static double Real(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double result)
            ? result
            : throw new FormatException($"gbdt parameter {key}='{value}' is not a number.");
}
