namespace Cascade.Ranking.Trees.Tests;

public sealed class BaseMarginTests
{
    private static readonly GbdtOptions Rank = new()
    {
        Objective = GbdtObjective.LambdaRank,
        Trees = 30,
        MaxLeaves = 7,
        LearningRate = 0.2,
        MinDataInLeaf = 20,
        Threads = 2,
    };

    private static double Ndcg(IReadOnlyList<float> scores, RankingDataset data)
    {
        var ideal = GroupNdcg.InverseIdealDcg(data.Labels!, data.GroupOffsets!, 10);
        return GroupNdcg.MeanNdcg([.. scores.Select(s => (double)s)], data.Labels!, data.GroupOffsets!, ideal, 10);
    }

    private static float[] Predict(IRanker ranker, RankingDataset data)
    {
        var scores = new float[data.Rows];
        ranker.Predict(data, scores);
        return scores;
    }

    [Fact]
    public void The_trees_correct_a_base_feature_and_never_end_below_it_on_validation()
    {
        // x0 alone is a partial signal (labels also depend on x1 · x2): the trees add what it misses.
        var train = Synthetic.Queries(200, seed: 21);
        var valid = Synthetic.Queries(100, seed: 22);
        var gbdt = new GradientBoostedTrees(Rank with { BaseFeature = "x0", BaseScale = 2 });
        gbdt.Fit(train, valid);
        double baseOnly = Ndcg([.. Enumerable.Range(0, valid.Rows).Select(r => valid.NumericRow(r)[0])], valid);
        Assert.True(gbdt.BestValidMetric >= baseOnly, $"{gbdt.BestValidMetric:F4} vs base {baseOnly:F4}");
        Assert.True(Ndcg(Predict(gbdt, valid), valid) > baseOnly + 0.02);
    }

    [Fact]
    public void When_no_tree_helps_none_is_kept_and_the_order_is_the_base_features()
    {
        // The base feature is the labels themselves: no tree can improve a perfect order on validation.
        var train = Synthetic.Queries(100, seed: 23);
        var valid = Synthetic.Queries(60, seed: 24);
        RankingDataset WithLabelFeature(RankingDataset d)
        {
            var schema = new FeatureSchema([], [.. d.Schema.Numeric, "label"]);
            int w = d.Schema.NumericCount;
            var x = new float[d.Rows * (w + 1)];
            for (int r = 0; r < d.Rows; r++)
            {
                d.NumericRow(r).CopyTo(x.AsSpan(r * (w + 1), w));
                x[(r * (w + 1)) + w] = d.Labels![r];
            }
            return new RankingDataset(schema, d.Rows, [], x, d.Labels, d.GroupOffsets);
        }
        var (t, v) = (WithLabelFeature(train), WithLabelFeature(valid));
        var gbdt = new GradientBoostedTrees(Rank with { BaseFeature = "label", BaseScale = 10 });
        gbdt.Fit(t, v);
        Assert.Equal(0, gbdt.TreeCount);
        var scores = Predict(gbdt, v);
        for (int r = 0; r < v.Rows; r++)
        {
            Assert.Equal(10 * v.Labels![r], scores[r], 4);
        }
    }

    [Fact]
    public void A_model_with_a_base_feature_survives_a_save_and_load()
    {
        var train = Synthetic.Queries(100, seed: 25);
        var gbdt = new GradientBoostedTrees(Rank with { BaseFeature = "x1", BaseScale = 0.5 });
        gbdt.Fit(train);
        using var stream = new MemoryStream();
        gbdt.Save(stream);
        stream.Position = 0;
        var loaded = GradientBoostedTrees.Load(stream);
        Assert.Equal(Predict(gbdt, train), Predict(loaded, train));
    }

    [Fact]
    public void An_unknown_base_feature_is_refused_by_name()
    {
        var train = Synthetic.Queries(20, seed: 26);
        var e = Assert.Throws<ArgumentException>(() => new GradientBoostedTrees(Rank with { BaseFeature = "nope" }).Fit(train));
        Assert.Contains("'nope'", e.Message, StringComparison.Ordinal);
        var options = GbdtOptions.FromParameters(new Dictionary<string, string> { ["base_feature"] = "x0", ["base_scale"] = "3" }, seed: 1);
        Assert.Equal(("x0", 3.0), (options.BaseFeature, options.BaseScale));
    }
}
