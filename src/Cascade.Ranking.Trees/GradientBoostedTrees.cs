using Cascade.Ranking.Metrics;

namespace Cascade.Ranking.Trees;

/// <summary>How much one feature is used by a fitted model.</summary>
/// <param name="Feature">Column name (categorical field or numeric feature).</param>
/// <param name="Splits">Number of splits on it in the kept trees.</param>
/// <param name="Gain">Total gain of those splits.</param>
public sealed record FeatureImportance(string Feature, int Splits, double Gain);

/// <summary>
/// Gradient-boosted decision trees: histogram-based (quantile bins computed once from the training rows, a bin for
/// missing values with a learned default direction), grown leaf-wise, with native categorical splits (categories
/// sorted by gradient/hessian ratio, LightGBM-style, or one-vs-rest for few categories). Objectives: binary log loss
/// (probabilities) and LambdaMART (nDCG@k lambdas over <see cref="RankingDataset.GroupOffsets"/>). Histograms are
/// built in parallel over features, so the model does not depend on <see cref="GbdtOptions.Threads"/>.
/// </summary>
/// <example>
/// <code>
/// var gbdt = new GradientBoostedTrees(new GbdtOptions { Trees = 300, MaxLeaves = 63, LearningRate = 0.05 });
/// gbdt.Fit(train, valid);
/// var scores = new float[test.Rows];
/// gbdt.Predict(test, scores);
/// </code>
/// </example>
public sealed partial class GradientBoostedTrees : IRanker
{
    /// <summary>The kind name in model files and catalogs.</summary>
    public const string KindName = "gbdt";

    private Forest? _forest;

    /// <summary>Creates an unfitted model.</summary>
    /// <param name="options">Hyper-parameters (defaults when null).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public GradientBoostedTrees(GbdtOptions? options = null)
    {
        Options = options ?? new GbdtOptions();
        Options.Validate();
    }

    /// <summary>The hyper-parameters.</summary>
    public GbdtOptions Options { get; private set; }

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public bool IsFitted => _forest is not null;

    /// <inheritdoc />
    public FeatureSchema? Schema => _forest?.Schema;

    /// <inheritdoc />
    public bool OutputsProbability => Options.Objective == GbdtObjective.Binary;

    /// <summary>Number of trees kept (the best iteration's when early stopping ran).</summary>
    public int TreeCount => _forest?.TreeCount ?? 0;

    /// <summary>Number of rounds trained before stopping (≥ <see cref="TreeCount"/>).</summary>
    public int RoundsTrained { get; private set; }

    /// <summary>The validation metric of the kept model (NaN without a validation set).</summary>
    public double BestValidMetric { get; private set; } = double.NaN;

    /// <inheritdoc />
    public void Fit(RankingDataset train, RankingDataset? valid = null, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckTrainingData(train, valid);
        var options = Options;
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        var labels = train.Labels!;
        int rows = train.Rows;

        var bins = FeatureBins.Build(train, options, parallel);
        Array binned = bins.Wide ? bins.Bin<ushort>(train, parallel) : bins.Bin<byte>(train, parallel);
        using var learner = new TreeLearner(options, bins, binned, rows, threads);
        double baseScore = BaseScore(labels, train.Weights);
        int baseFeature = -1;
        if (options.BaseFeature is { Length: > 0 } baseName)
        {
            baseFeature = train.Schema.Numeric.ToList().IndexOf(baseName);
            if (baseFeature < 0)
            {
                throw new ArgumentException($"gbdt base_feature '{baseName}' is not a numeric feature of the data ({string.Join(", ", train.Schema.Numeric)}).", nameof(train));
            }
        }
        var forest = new Forest(train.Schema, baseScore, baseFeature, baseFeature < 0 ? 0 : options.BaseScale);

        var scores = new double[rows];
        forest.FillBase(train, 0, scores);
        var gradients = new float[rows];
        var hessians = new float[rows];
        var gradientPairs = new double[2L * rows];
        bool rank = options.Objective == GbdtObjective.LambdaRank;
        var trainIdeal = rank ? GroupNdcg.InverseIdealDcg(labels, train.GroupOffsets!, options.NdcgAt) : [];

        double[]? validScores = null;
        double[]? validIdeal = null;
        bool[]? validBinary = null;
        if (valid is not null)
        {
            validScores = new double[valid.Rows];
            forest.FillBase(valid, 0, validScores);
            if (rank)
            {
                validIdeal = GroupNdcg.InverseIdealDcg(valid.Labels!, valid.GroupOffsets!, options.NdcgAt);
            }
            else
            {
                validBinary = valid.BinaryLabels();
            }
        }
        var metric = options.ResolvedMetric;
        bool higherIsBetter = metric != GbdtMetric.LogLoss;
        string metricName = metric switch
        {
            GbdtMetric.Auc => "auc",
            GbdtMetric.Ndcg => $"ndcg@{options.NdcgAt}",
            _ => "logloss",
        };
        double best = double.NaN;
        int bestTrees = 0;
        if (valid is not null && baseFeature >= 0)
        {
            // With a base margin no trees at all is a candidate too: trees are kept only where they beat the base order.
            best = Metric(metric, validScores!, valid, validBinary, validIdeal, options.NdcgAt);
        }
        var random = new SplitMix64((ulong)options.Seed);
        var sample = options.Subsample < 1 ? new int[rows] : null;
        int featureCount = bins.FeatureCount;
        var allFeatures = new int[featureCount];
        for (int f = 0; f < featureCount; f++)
        {
            allFeatures[f] = f;
        }
        int round = 0;
        for (; round < options.Trees; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (rank)
            {
                Objectives.LambdaGradients(scores, labels, train.Weights, train.GroupOffsets!, trainIdeal, options.NdcgAt, options.Sigma, gradients, hessians, parallel);
            }
            else
            {
                Objectives.BinaryGradients(scores, labels, train.Weights, gradients, hessians, parallel);
            }
            PackGradients(gradients, hessians, gradientPairs, parallel);
            int sampleCount = rows;
            if (sample is not null)
            {
                sampleCount = 0;
                for (int r = 0; r < rows; r++)
                {
                    if (random.NextDouble() < options.Subsample)
                    {
                        sample[sampleCount++] = r;
                    }
                }
                if (sampleCount == 0)
                {
                    sample[sampleCount++] = (int)(random.Next() % (ulong)rows);
                }
            }
            var features = options.ColumnSample < 1 ? SampleFeatures(featureCount, options.ColumnSample, random) : allFeatures;
            learner.Grow(gradientPairs, sample, sampleCount, features);
            var flatOf = forest.AddTree(learner.Nodes, bins);
            int tree = forest.TreeCount - 1;
            if (sample is null)
            {
                // Every row is in exactly one leaf's range, so leaves update in parallel.
                var rowIndex = learner.Rows;
                var leaves = learner.LeafRanges.ToArray();
                var values = forest.Values;
                Parallel.For(0, leaves.Length, parallel, l =>
                {
                    var (node, begin, end) = leaves[l];
                    double value = values[flatOf[node]];
                    for (int i = begin; i < end; i++)
                    {
                        scores[rowIndex[i]] += value;
                    }
                });
            }
            else
            {
                AddScoresParallel(forest, train, scores, tree, parallel);
            }
            double validMetric = double.NaN;
            if (valid is not null)
            {
                AddScoresParallel(forest, valid, validScores!, tree, parallel);
                validMetric = Metric(metric, validScores!, valid, validBinary, validIdeal, options.NdcgAt);
                bool improved = double.IsNaN(best) || (higherIsBetter ? validMetric > best : validMetric < best);
                if (improved)
                {
                    best = validMetric;
                    bestTrees = forest.TreeCount;
                }
            }
            if (progress is not null)
            {
                double trainLoss = rank ? GroupNdcg.MeanNdcg(scores, labels, train.GroupOffsets!, trainIdeal, options.NdcgAt) : TrainLogLoss(scores, labels);
                progress.Report(new RankerProgress(round + 1, options.Trees, trainLoss, validMetric, valid is null ? "" : metricName));
            }
            if (valid is not null && options.EarlyStoppingRounds > 0 && forest.TreeCount - bestTrees >= options.EarlyStoppingRounds)
            {
                round++;
                break;
            }
        }
        RoundsTrained = Math.Min(round, options.Trees);
        if (valid is not null && (bestTrees > 0 || baseFeature >= 0))
        {
            forest.Truncate(bestTrees);
            BestValidMetric = best;
        }
        _forest = forest;
    }

    /// <summary>The flattened trees, for tests.</summary>
    internal Forest ForestForTests => _forest ?? throw new InvalidOperationException("not fitted");

    /// <inheritdoc />
    public void Predict(RankingDataset data, Span<float> scores)
    {
        var forest = _forest ?? throw new InvalidOperationException("The gbdt ranker is not fitted; call Fit or load a model first.");
        ArgumentNullException.ThrowIfNull(data);
        CheckSchema(data.Schema, forest.Schema, nameof(data));
        if (scores.Length != data.Rows)
        {
            throw new ArgumentException($"scores has {scores.Length} entries for {data.Rows} rows.", nameof(scores));
        }
        const int Chunk = 4096;
        var raw = new double[Math.Min(Chunk, Math.Max(1, data.Rows))];
        for (int start = 0; start < data.Rows; start += Chunk)
        {
            int count = Math.Min(Chunk, data.Rows - start);
            var span = raw.AsSpan(0, count);
            forest.FillBase(data, start, span);
            forest.AddScores(data, start, count, span, 0, forest.TreeCount);
            for (int i = 0; i < count; i++)
            {
                scores[start + i] = OutputsProbability ? (float)(1 / (1 + Math.Exp(-span[i]))) : (float)span[i];
            }
        }
    }

    /// <summary>Split count and total gain of every feature (categorical fields first, then numeric features), most gain first.</summary>
    /// <exception cref="InvalidOperationException">The model is not fitted.</exception>
    public IReadOnlyList<FeatureImportance> FeatureImportance()
    {
        var forest = _forest ?? throw new InvalidOperationException("The gbdt ranker is not fitted; call Fit or load a model first.");
        var schema = forest.Schema;
        int fields = schema.FieldCount;
        var splits = new int[fields + schema.NumericCount];
        var gains = new double[splits.Length];
        for (int i = 0; i < forest.NodeCount; i++)
        {
            byte flags = forest.Flags[i];
            if ((flags & Forest.FlagLeaf) != 0)
            {
                continue;
            }
            int feature = (flags & Forest.FlagCategorical) != 0 ? forest.Nodes[i].Feature : fields + forest.Nodes[i].FeatureIndex;
            splits[feature]++;
            gains[feature] += forest.Gains[i];
        }
        var result = new List<FeatureImportance>(splits.Length);
        for (int f = 0; f < splits.Length; f++)
        {
            result.Add(new FeatureImportance(f < fields ? schema.Categorical[f].Name : schema.Numeric[f - fields], splits[f], gains[f]));
        }
        // Stable: equal gains keep column order.
        return [.. result.OrderByDescending(x => x.Gain)];
    }

    private double BaseScore(float[] labels, float[]? weights)
    {
        if (Options.Objective == GbdtObjective.LambdaRank)
        {
            return 0;
        }
        double positive = 0, total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double w = weights is null ? 1 : weights[i];
            positive += labels[i] * w;
            total += w;
        }
        double p = Math.Clamp(positive / total, 1e-6, 1 - 1e-6);
        return Math.Log(p / (1 - p));
    }

    private static double Metric(GbdtMetric metric, double[] scores, RankingDataset valid, bool[]? binary, double[]? ideal, int k)
    {
        if (metric == GbdtMetric.Ndcg)
        {
            return GroupNdcg.MeanNdcg(scores, valid.Labels!, valid.GroupOffsets!, ideal!, k);
        }
        var p = new float[scores.Length];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = (float)(1 / (1 + Math.Exp(-scores[i])));
        }
        return metric == GbdtMetric.Auc ? ScoreMetrics.Auc(binary, p) : ScoreMetrics.LogLoss(binary, p);
    }

    private static double TrainLogLoss(double[] scores, float[] labels)
    {
        double sum = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            double p = Math.Clamp(1 / (1 + Math.Exp(-scores[i])), 1e-15, 1 - 1e-15);
            sum -= labels[i] > 0.5f ? Math.Log(p) : Math.Log(1 - p);
        }
        return sum / scores.Length;
    }

    private static void AddScoresParallel(Forest forest, RankingDataset data, double[] scores, int tree, ParallelOptions parallel)
    {
        const int Block = 1 << 14;
        Parallel.For(0, (data.Rows + Block - 1) / Block, parallel, block =>
        {
            int start = block * Block;
            int count = Math.Min(Block, data.Rows - start);
            forest.AddScores(data, start, count, scores.AsSpan(start, count), tree, tree + 1);
        });
    }

    private static void PackGradients(float[] gradients, float[] hessians, double[] pairs, ParallelOptions parallel)
    {
        const int Block = 1 << 16;
        Parallel.For(0, (gradients.Length + Block - 1) / Block, parallel, block =>
        {
            int end = Math.Min(gradients.Length, (block + 1) * Block);
            for (int r = block * Block; r < end; r++)
            {
                pairs[2 * r] = gradients[r];
                pairs[(2 * r) + 1] = hessians[r];
            }
        });
    }

    private static int[] SampleFeatures(int count, double fraction, SplitMix64 random)
    {
        int take = Math.Max(1, (int)Math.Round(count * fraction));
        var all = new int[count];
        for (int i = 0; i < count; i++)
        {
            all[i] = i;
        }
        for (int i = 0; i < take; i++)
        {
            int j = i + (int)(random.Next() % (ulong)(count - i));
            (all[i], all[j]) = (all[j], all[i]);
        }
        var chosen = all.AsSpan(0, take).ToArray();
        Array.Sort(chosen);
        return chosen;
    }
}
