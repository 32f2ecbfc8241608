using Cascade.Ranking.Linear;
using Cascade.Ranking.Metrics;

namespace Cascade.Ranking.Tests;

public sealed class LogisticRegressionTests
{
    private static readonly LogisticRegressionOptions Unregularised = new() { Alpha = 0.1, L1 = 0, L2 = 0.1, Epochs = 6 };

    [Fact]
    public void Recovers_the_weights_of_a_known_logistic_model()
    {
        var train = Synthetic.Logistic(30_000, seed: 1);
        var valid = Synthetic.Logistic(5_000, seed: 2);
        var model = new LogisticRegression(Unregularised);
        model.Fit(train, valid);

        // One-hot weights are identified up to a constant per field, so compare differences to code 1.
        for (int f = 0; f < Synthetic.Cardinalities.Length; f++)
        {
            for (int code = 2; code < Synthetic.Cardinalities[f]; code++)
            {
                double expected = Synthetic.TrueWeights[f][code] - Synthetic.TrueWeights[f][1];
                double actual = model.CategoricalWeight(f, code) - model.CategoricalWeight(f, 1);
                Assert.True(Math.Abs(expected - actual) < 0.2, $"field {f} code {code}: expected {expected:0.00}, learned {actual:0.00}");
            }
        }
        // x ~ N(0, 1), so its standardised coefficient is close to the raw one.
        Assert.InRange(model.NumericWeight(0), Synthetic.TrueNumericWeight - 0.15, Synthetic.TrueNumericWeight + 0.15);
        var scores = Synthetic.Predict(model, valid);
        Assert.All(scores, p => Assert.InRange(p, 0f, 1f));
        Assert.True(ScoreMetrics.Auc(valid.BinaryLabels(), scores) > 0.8);
    }

    [Fact]
    public void A_missing_numeric_value_uses_its_own_indicator_weight_not_the_mean()
    {
        var train = Synthetic.Logistic(10_000, seed: 3);
        var model = new LogisticRegression(Unregularised);
        model.Fit(train);
        var schema = train.Schema;
        var rows = new RankingDataset(schema, 2, [1, 1, 1, 1, 1, 1], [float.NaN, 0f]);
        var scores = Synthetic.Predict(model, rows);
        Assert.All(scores, p => Assert.True(float.IsFinite(p)));
    }

    [Fact]
    public void Strong_l1_gives_exact_zeros_that_l1_of_zero_does_not()
    {
        var train = Synthetic.Logistic(5_000, seed: 4);
        var dense = new LogisticRegression(Unregularised with { Epochs = 2 });
        var sparse = new LogisticRegression(Unregularised with { Epochs = 2, L1 = 40 });
        dense.Fit(train);
        sparse.Fit(train);
        Assert.True(sparse.NonZeroWeights < dense.NonZeroWeights, $"{sparse.NonZeroWeights} non-zero weights with L1, {dense.NonZeroWeights} without");
        // Exact zeros among the one-hot weights, not merely small values.
        int zeros = 0;
        for (int f = 0; f < 3; f++)
        {
            for (int code = 1; code < Synthetic.Cardinalities[f]; code++)
            {
                zeros += sparse.CategoricalWeight(f, code) == 0f ? 1 : 0;
            }
        }
        Assert.True(zeros > 0);
    }

    [Fact]
    public void Online_updates_move_a_prediction_towards_the_new_labels()
    {
        var train = Synthetic.Logistic(5_000, seed: 5);
        var model = new LogisticRegression(Unregularised with { Epochs = 2 });
        model.Fit(train);
        var row = train.Select([0]);
        float before = Synthetic.Predict(model, row)[0];

        var positives = Repeat(row, 50, label: 1);
        model.Update(positives);
        float afterPositives = Synthetic.Predict(model, row)[0];
        Assert.True(afterPositives > before, $"{before} → {afterPositives}");

        model.Update(Repeat(row, 200, label: 0));
        float afterNegatives = Synthetic.Predict(model, row)[0];
        Assert.True(afterNegatives < afterPositives, $"{afterPositives} → {afterNegatives}");
    }

    [Fact]
    public void A_loaded_model_continues_learning_exactly_like_the_original()
    {
        var train = Synthetic.Logistic(3_000, seed: 8);
        var more = Synthetic.Logistic(500, seed: 9);
        var model = new LogisticRegression(Unregularised with { Epochs = 2 });
        model.Fit(train);
        using var file = new MemoryStream();
        model.Save(file);
        file.Position = 0;
        var loaded = LogisticRegression.Load(file);
        model.Update(more);
        loaded.Update(more);
        Assert.Equal(Synthetic.Predict(model, train), Synthetic.Predict(loaded, train));
        Assert.Throws<InvalidOperationException>(() => new LogisticRegression().Update(more));
    }

    [Fact]
    public void Early_stopping_keeps_the_best_pass()
    {
        var train = Synthetic.Logistic(3_000, seed: 6);
        var valid = Synthetic.Logistic(2_000, seed: 7);
        var losses = new List<double>();
        var model = new LogisticRegression(Unregularised with { Alpha = 2, Epochs = 30, Patience = 1 });
        model.Fit(train, valid, new SyncProgress(p => losses.Add(p.ValidMetric)));
        Assert.InRange(model.BestEpoch, 1, losses.Count);
        Assert.Equal(losses.Min(), losses[model.BestEpoch - 1]);
        var labels = valid.BinaryLabels();
        double kept = ScoreMetrics.LogLoss(labels, Synthetic.Predict(model, valid));
        Assert.Equal(losses.Min(), kept, 3);
    }

    [Fact]
    public void Bad_options_are_refused_with_the_parameter_name()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new LogisticRegression(new LogisticRegressionOptions { Alpha = -1 }));
        Assert.Contains("Alpha", e.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ArgumentException>(() => LogisticRegressionOptions.FromParameters(new Dictionary<string, string> { ["alpa"] = "1" }, 1));
        Assert.Contains("alpa", unknown.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => LogisticRegressionOptions.FromParameters(new Dictionary<string, string> { ["alpha"] = "x" }, 1));
        Assert.Equal(0.3, LogisticRegressionOptions.FromParameters(new Dictionary<string, string> { ["l1"] = "0.3" }, 1).L1);
    }

    internal static RankingDataset Repeat(RankingDataset row, int times, float label)
    {
        var indices = new int[times];
        var copy = row.Select(indices);
        var labels = Enumerable.Repeat(label, times).ToArray();
        return new RankingDataset(copy.Schema, times, copy.Categorical, copy.Numeric, labels);
    }
}

/// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress(Action<RankerProgress> report) : IProgress<RankerProgress>
{
    public void Report(RankerProgress value) => report(value);
}
