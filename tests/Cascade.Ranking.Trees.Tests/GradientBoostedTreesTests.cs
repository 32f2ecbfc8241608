using Cascade.Ranking.Metrics;

namespace Cascade.Ranking.Trees.Tests;

public class GradientBoostedTreesTests
{
    private static readonly GbdtOptions Small = new() { Trees = 60, MaxLeaves = 15, LearningRate = 0.2, MinDataInLeaf = 10, Threads = 2 };

    private static double Xor(float[] x) => x[0] * x[1] > 0 ? 2.5 : -2.5;

    private static double Additive(float[] x) => (2 * Math.Sin(3 * x[0])) + (3 * x[1] * x[1]) - 1 + (x[2] > 0.3 ? 1.5 : -0.5);

    [Fact]
    public void Learns_an_xor_target_that_a_linear_model_cannot()
    {
        var train = Synthetic.Numeric(6000, 4, Xor, seed: 1);
        var test = Synthetic.Numeric(3000, 4, Xor, seed: 2);
        var gbdt = new GradientBoostedTrees(Small);
        gbdt.Fit(train);
        double auc = Synthetic.Auc(gbdt, test);
        double linear = Synthetic.LinearAuc(train, test);
        Assert.True(auc > 0.85, $"gbdt AUC {auc:F3}");
        Assert.True(auc > linear + 0.25, $"gbdt AUC {auc:F3} vs linear {linear:F3}");
    }

    [Fact]
    public void Learns_an_additive_non_linear_target_better_than_a_linear_model()
    {
        var train = Synthetic.Numeric(6000, 5, Additive, seed: 3);
        var test = Synthetic.Numeric(3000, 5, Additive, seed: 4);
        var gbdt = new GradientBoostedTrees(Small);
        gbdt.Fit(train);
        double auc = Synthetic.Auc(gbdt, test);
        double linear = Synthetic.LinearAuc(train, test);
        Assert.True(auc > linear + 0.05, $"gbdt AUC {auc:F3} vs linear {linear:F3}");
        var importance = gbdt.FeatureImportance();
        // x0, x1 and x2 carry the signal; x3 and x4 are noise.
        Assert.Equal(["x0", "x1", "x2"], importance.Take(3).Select(f => f.Feature).Order());
        Assert.True(importance[3].Gain < importance[2].Gain / 3, string.Join(", ", importance));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0f)]
    public void Missing_values_follow_the_learned_direction(float missingLabel)
    {
        // x > 0 → label 1; missing x → missingLabel. The learned default direction must send NaN to the matching side.
        var random = new Random(5);
        int rows = 4000;
        var x = new float[rows];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            if (r % 5 == 0)
            {
                x[r] = float.NaN;
                labels[r] = missingLabel;
            }
            else
            {
                x[r] = (float)((random.NextDouble() * 2) - 1);
                labels[r] = x[r] > 0 ? 1 : 0;
            }
        }
        var schema = Synthetic.NumericSchema(1);
        var gbdt = new GradientBoostedTrees(Small with { Trees = 20, MaxLeaves = 2 });
        gbdt.Fit(new RankingDataset(schema, rows, [], x, labels));
        var probe = new RankingDataset(schema, 3, [], [float.NaN, 0.7f, -0.7f]);
        var p = new float[3];
        gbdt.Predict(probe, p);
        Assert.True(p[1] > 0.8 && p[2] < 0.2, $"p(0.7) = {p[1]}, p(-0.7) = {p[2]}");
        Assert.True(missingLabel == 1 ? p[0] > 0.8 : p[0] < 0.2, $"p(NaN) = {p[0]} where missing rows have label {missingLabel}");
    }

    [Fact]
    public void Categorical_splits_beat_treating_codes_as_numbers()
    {
        var (categorical, numeric) = Synthetic.Categories(20000, seed: 6);
        var (categoricalTest, numericTest) = Synthetic.Categories(8000, seed: 8);
        // Few, small trees: a categorical split separates the good categories at once; thresholds on codes cannot.
        var options = Small with { Trees = 5, MaxLeaves = 4 };
        var native = new GradientBoostedTrees(options);
        native.Fit(categorical);
        var codes = new GradientBoostedTrees(options);
        codes.Fit(numeric);
        double nativeAuc = Synthetic.Auc(native, categoricalTest);
        double codesAuc = Synthetic.Auc(codes, numericTest);
        Assert.True(nativeAuc > 0.78, $"categorical AUC {nativeAuc:F3}");
        Assert.True(nativeAuc > codesAuc + 0.05, $"categorical AUC {nativeAuc:F3} vs codes as numbers {codesAuc:F3}");
    }

    [Fact]
    public void One_vs_rest_categorical_split_handles_a_field_with_few_categories()
    {
        int rows = 3000;
        var codes = new int[rows];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            codes[r] = 1 + (r % 3);
            labels[r] = codes[r] == 2 ? 1 : 0;
        }
        var schema = new FeatureSchema([new CategoricalField("colour", 4)], []);
        var gbdt = new GradientBoostedTrees(Small with { Trees = 10, MaxLeaves = 2 });
        gbdt.Fit(new RankingDataset(schema, rows, codes, [], labels));
        var p = new float[4];
        gbdt.Predict(new RankingDataset(schema, 4, [0, 1, 2, 3], []), p);
        Assert.True(p[2] > 0.8 && p[1] < 0.2 && p[3] < 0.2, string.Join(", ", p));
    }

    [Fact]
    public void LambdaMart_improves_ndcg_on_synthetic_queries()
    {
        var train = Synthetic.Queries(300, seed: 9);
        var test = Synthetic.Queries(150, seed: 10);
        var gbdt = new GradientBoostedTrees(Small with { Objective = GbdtObjective.LambdaRank, Trees = 40, MinDataInLeaf = 20 });
        gbdt.Fit(train);
        Assert.False(gbdt.OutputsProbability);
        var scores = new float[test.Rows];
        gbdt.Predict(test, scores);
        var ideal = GroupNdcg.InverseIdealDcg(test.Labels!, test.GroupOffsets!, 10);
        double model = GroupNdcg.MeanNdcg([.. scores.Select(s => (double)s)], test.Labels!, test.GroupOffsets!, ideal, 10);
        // Baseline: rows in their generated (random) order.
        double random = GroupNdcg.MeanNdcg(new double[test.Rows], test.Labels!, test.GroupOffsets!, ideal, 10);
        Assert.True(model > random + 0.2, $"nDCG@10 {model:F3} vs unranked {random:F3}");
        Assert.True(model > 0.85, $"nDCG@10 {model:F3}");
    }

    [Fact]
    public void LambdaMart_early_stops_on_validation_ndcg()
    {
        var train = Synthetic.Queries(200, seed: 11);
        var valid = Synthetic.Queries(100, seed: 12);
        var reports = new List<RankerProgress>();
        var gbdt = new GradientBoostedTrees(Small with { Objective = GbdtObjective.LambdaRank, Trees = 30 });
        gbdt.Fit(train, valid, new SyncProgress(reports));
        Assert.Equal("ndcg@10", reports[0].ValidMetricName);
        Assert.Equal(reports.Max(r => r.ValidMetric), gbdt.BestValidMetric);
    }

    [Fact]
    public void Early_stopping_keeps_the_best_iteration()
    {
        // A weak signal and an over-eager learner: the validation loss gets worse once the trees fit noise.
        var train = Synthetic.Numeric(2000, 5, x => 0.8 * x[0], seed: 13);
        var valid = Synthetic.Numeric(2000, 5, x => 0.8 * x[0], seed: 14);
        var reports = new List<RankerProgress>();
        var gbdt = new GradientBoostedTrees(Small with { Trees = 200, MaxLeaves = 63, MinDataInLeaf = 2, LearningRate = 0.5, EarlyStoppingRounds = 10 });
        gbdt.Fit(train, valid, new SyncProgress(reports));
        int bestRound = reports.MinBy(r => r.ValidMetric)!.Step;
        Assert.Equal(bestRound, gbdt.TreeCount);
        Assert.Equal(bestRound + 10, gbdt.RoundsTrained);
        Assert.True(gbdt.RoundsTrained < 200);
        var p = new float[valid.Rows];
        gbdt.Predict(valid, p);
        Assert.Equal(gbdt.BestValidMetric, ScoreMetrics.LogLoss(valid.BinaryLabels(), p), 5);
    }

    [Fact]
    public void Early_stopping_on_auc_keeps_the_highest_auc()
    {
        var train = Synthetic.Numeric(2000, 5, Additive, seed: 15);
        var valid = Synthetic.Numeric(1000, 5, Additive, seed: 16);
        var reports = new List<RankerProgress>();
        var gbdt = new GradientBoostedTrees(Small with { Trees = 80, Metric = GbdtMetric.Auc, EarlyStoppingRounds = 0 });
        gbdt.Fit(train, valid, new SyncProgress(reports));
        Assert.Equal(80, reports.Count);
        Assert.Equal("auc", reports[0].ValidMetricName);
        var best = reports.MaxBy(r => r.ValidMetric)!;
        Assert.Equal(best.Step, gbdt.TreeCount);
        Assert.Equal(best.ValidMetric, Synthetic.Auc(gbdt, valid), 6);
    }

    [Fact]
    public void One_and_two_threads_give_identical_predictions()
    {
        // Enough rows for parallel histograms and parallel partitions (blocks of 65,536 rows).
        const int Rows = 160_000;
        var (categorical, _) = Synthetic.Categories(Rows, seed: 17);
        var numeric = Synthetic.Numeric(Rows, 6, Additive, seed: 18, missing: 0.05);
        // Both parts in one data set: one categorical field and six numeric features.
        var data = new RankingDataset(
            new FeatureSchema(categorical.Schema.Categorical, numeric.Schema.Numeric), Rows, categorical.Categorical, numeric.Numeric, numeric.Labels);
        var options = Small with { Trees = 6, Subsample = 0.9, ColumnSample = 0.7, Seed = 3 };
        var one = new GradientBoostedTrees(options with { Threads = 1 });
        one.Fit(data);
        var two = new GradientBoostedTrees(options with { Threads = 2 });
        two.Fit(data);
        var p1 = new float[data.Rows];
        var p2 = new float[data.Rows];
        one.Predict(data, p1);
        two.Predict(data, p2);
        Assert.Equal(p1, p2);
        Assert.True(Synthetic.Auc(one, data) > 0.7);
    }

    [Theory]
    [InlineData(5, 31, true)] // complete trees, vector kernel
    [InlineData(5, 31, false)] // complete trees, scalar kernel
    [InlineData(0, 60, true)] // deep leaf-wise trees: the general flat kernel
    public void Block_prediction_matches_walking_each_row(int maxDepth, int maxLeaves, bool vector)
    {
        var train = Synthetic.Numeric(3001, 5, Additive, seed: 19, missing: 0.1);
        var gbdt = new GradientBoostedTrees(Small with { MaxDepth = maxDepth, MaxLeaves = maxLeaves, MinDataInLeaf = 2, Trees = 20 });
        gbdt.Fit(train);
        var forest = gbdt.ForestForTests;
        forest.UseVectorKernel = vector;
        if (maxDepth == 0)
        {
            Assert.Contains(forest.Depths.Take(forest.TreeCount), d => d > 8);
        }
        var fast = new float[train.Rows];
        gbdt.Predict(train, fast);
        for (int r = 0; r < train.Rows; r++)
        {
            double raw = forest.BaseScore;
            for (int t = 0; t < forest.TreeCount; t++)
            {
                raw += forest.Values[forest.Leaf(forest.Roots[t], train.CategoricalRow(r), train.NumericRow(r))];
            }
            Assert.Equal((float)(1 / (1 + Math.Exp(-raw))), fast[r], 6);
        }
    }

    [Theory]
    [InlineData(5, 31, true)] // complete trees with derived columns, vector kernel
    [InlineData(5, 31, false)] // complete trees with derived columns, scalar kernel
    [InlineData(0, 60, true)] // deep leaf-wise trees: the flat walk with derived columns
    public void Prediction_with_categorical_splits_matches_walking_each_row_exactly(int maxDepth, int maxLeaves, bool vector)
    {
        const int Rows = 3001; // not a multiple of the 64-row block
        var (categorical, _) = Synthetic.Categories(Rows, seed: 21);
        var numeric = Synthetic.Numeric(Rows, 4, Additive, seed: 22, missing: 0.1);
        var data = new RankingDataset(
            new FeatureSchema(categorical.Schema.Categorical, numeric.Schema.Numeric), Rows, categorical.Categorical, numeric.Numeric, categorical.Labels);
        var gbdt = new GradientBoostedTrees(Small with { Trees = 15, MinDataInLeaf = 5, MaxDepth = maxDepth, MaxLeaves = maxLeaves });
        gbdt.Fit(data);
        var forest = gbdt.ForestForTests;
        forest.UseVectorKernel = vector;
        Assert.True(forest.HasCategorical);
        Assert.Equal(maxDepth == 0, forest.Depths.Take(forest.TreeCount).Any(d => d > 8));
        Assert.Contains(Enumerable.Range(0, forest.NodeCount), i => (forest.Flags[i] & Forest.FlagCategorical) == 0 && (forest.Flags[i] & Forest.FlagLeaf) == 0);

        // All rows and trees, then a window of rows and trees.
        foreach (var (rowStart, rowCount, from, to) in new[] { (0, Rows, 0, forest.TreeCount), (100, 1000, 2, Math.Min(9, forest.TreeCount)) })
        {
            var block = new double[rowCount];
            forest.AddScores(data, rowStart, rowCount, block, from, to);
            for (int i = 0; i < rowCount; i++)
            {
                double sum = 0;
                for (int t = from; t < to; t++)
                {
                    sum += forest.Values[forest.Leaf(forest.Roots[t], data.CategoricalRow(rowStart + i), data.NumericRow(rowStart + i))];
                }
                Assert.Equal(sum, block[i]);
            }
        }

        // A loaded model numbers its derived columns again; a truncated one drops those of the removed trees.
        var before = new float[Rows];
        gbdt.Predict(data, before);
        using var file = new MemoryStream();
        gbdt.Save(file);
        file.Position = 0;
        var loaded = GradientBoostedTrees.Load(file);
        loaded.ForestForTests.UseVectorKernel = vector;
        var after = new float[Rows];
        loaded.Predict(data, after);
        Assert.Equal(before, after);
        forest.Truncate(5);
        var truncated = new double[Rows];
        forest.AddScores(data, truncated, 0, 5);
        for (int i = 0; i < Rows; i++)
        {
            double sum = 0;
            for (int t = 0; t < 5; t++)
            {
                sum += forest.Values[forest.Leaf(forest.Roots[t], data.CategoricalRow(i), data.NumericRow(i))];
            }
            Assert.Equal(sum, truncated[i]);
        }
    }

    [Fact]
    public void Options_parse_from_parameters_and_refuse_unknown_keys()
    {
        var options = GbdtOptions.FromParameters(
            new Dictionary<string, string> { ["trees"] = "7", ["learning_rate"] = "0.3", ["objective"] = "lambdarank", ["max_depth"] = "4" }, seed: 9);
        Assert.Equal(7, options.Trees);
        Assert.Equal(0.3, options.LearningRate);
        Assert.Equal(GbdtObjective.LambdaRank, options.Objective);
        Assert.Equal(4, options.MaxDepth);
        Assert.Equal(9, options.Seed);
        Assert.Throws<ArgumentException>(() => GbdtOptions.FromParameters(new Dictionary<string, string> { ["leaves"] = "3" }, 1));
        Assert.Throws<FormatException>(() => GbdtOptions.FromParameters(new Dictionary<string, string> { ["trees"] = "many" }, 1));
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => new GradientBoostedTrees(new GbdtOptions { MaxLeaves = 1 }));
        Assert.Equal("MaxLeaves", bad.ParamName);
    }

    private sealed class SyncProgress(List<RankerProgress> reports) : IProgress<RankerProgress>
    {
        public void Report(RankerProgress value) => reports.Add(value);
    }
}
