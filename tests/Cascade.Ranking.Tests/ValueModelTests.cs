using Cascade.Ranking.Value;

namespace Cascade.Ranking.Tests;

public sealed class ValueModelTests
{
    private static readonly FeatureSchema Schema = new([new CategoricalField("item", 3)], ["p_click", "p_like", "watch_seconds"]);

    private static RankingDataset Rows(params float[][] rows) =>
        new(Schema, rows.Length, new int[rows.Length], [.. rows.SelectMany(r => r)]);

    [Fact]
    public void The_value_is_the_weighted_sum_of_transformed_head_scores()
    {
        var model = new ValueModel(
        [
            new ValueHead(new ColumnScoreSource("click", "p_click"), 1.0),
            new ValueHead(new ColumnScoreSource("like", "p_like"), 2.0),
            new ValueHead(new ColumnScoreSource("watch", "watch_seconds"), 0.5, ValueTransform.Log1p),
        ]);
        var data = Rows([0.1f, 0.05f, 30f], [0.4f, 0.0f, 0f]);
        var values = new float[2];
        model.Predict(data, values);
        Assert.Equal(0.1 + (2 * 0.05) + (0.5 * Math.Log(31)), values[0], 5);
        Assert.Equal(0.4, values[1], 5);
    }

    [Fact]
    public void Log_heads_combine_multiplicatively()
    {
        var model = new ValueModel(
        [
            new ValueHead(new ColumnScoreSource("click", "p_click"), 1.0, ValueTransform.Log),
            new ValueHead(new ColumnScoreSource("watch", "watch_seconds"), 0.5, ValueTransform.Log1p),
        ]);
        var values = new float[1];
        model.Predict(Rows([0.2f, 0f, 99f]), values);
        // exp(value) = p_click · (1 + watch)^0.5 = 0.2 · 10
        Assert.Equal(2.0, Math.Exp(values[0]), 4);
    }

    [Fact]
    public void A_head_without_a_score_contributes_nothing_and_order_follows_the_weights()
    {
        var model = new ValueModel(
        [
            new ValueHead(new ColumnScoreSource("click", "p_click"), 1.0, ValueTransform.Logit),
            new ValueHead(new ColumnScoreSource("like", "p_like"), -1.0),
        ]);
        var values = new float[3];
        model.Predict(Rows([0.5f, float.NaN, 0f], [0.5f, 0.3f, 0f], [0.9f, 0.3f, 0f]), values);
        Assert.Equal(0, values[0], 6);
        Assert.Equal(-0.3, values[1], 5);
        Assert.True(values[2] > values[1]);
        var heads = model.ScoreHeads(Rows([0.5f, 0.25f, 0f]));
        Assert.Equal(0.25f, heads[1][0]);
    }

    [Fact]
    public void A_ranker_can_be_a_head()
    {
        var train = Synthetic.Logistic(1_000, seed: 1);
        var lr = new Linear.LogisticRegression(new Linear.LogisticRegressionOptions { Epochs = 2 });
        lr.Fit(train);
        var model = new ValueModel([new ValueHead(new RankerScoreSource("click", lr), 2.0)]);
        var values = new float[train.Rows];
        model.Predict(train, values);
        var p = Synthetic.Predict(lr, train);
        Assert.Equal(2 * p[0], values[0], 5);
    }

    [Fact]
    public void Bad_configurations_are_refused()
    {
        var click = new ColumnScoreSource("click", "p_click");
        Assert.Throws<ArgumentException>(() => new ValueModel([]));
        Assert.Throws<ArgumentException>(() => new ValueModel([new ValueHead(click, 1), new ValueHead(click, 2)]));
        Assert.Throws<ArgumentException>(() => new ValueModel([new ValueHead(click, double.NaN)]));
        var missing = new ValueModel([new ValueHead(new ColumnScoreSource("x", "no_such_column"), 1)]);
        var e = Assert.Throws<ArgumentException>(() => missing.Predict(Rows([0f, 0f, 0f]), new float[1]));
        Assert.Contains("no_such_column", e.Message, StringComparison.Ordinal);
    }
}
