using Cascade.Ranking.Metrics;

namespace Cascade.Ranking.Neural.Tests;

public class DeepCrossNetworkV2Tests
{
    [Fact]
    public void It_learns_a_feature_cross_that_logistic_regression_cannot()
    {
        var train = Synthetic.Parity(3000, seed: 1);
        var test = Synthetic.Parity(1000, seed: 2);
        var model = new DeepCrossNetworkV2(Synthetic.SmallOptions(threads: 2));
        model.Fit(train);
        var scores = new float[test.Rows];
        model.Predict(test, scores);
        double dcnAuc = ScoreMetrics.Auc(test.BinaryLabels(), scores);

        var lrScores = AdditiveLogisticRegression(train, test);
        double lrAuc = ScoreMetrics.Auc(test.BinaryLabels(), lrScores);

        Assert.True(dcnAuc > 0.9, $"DCN-v2 AUC {dcnAuc:F4}");
        Assert.True(lrAuc < 0.6, $"LR AUC {lrAuc:F4}");
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
    }

    [Fact]
    public void Early_stopping_keeps_the_weights_of_the_best_validation_epoch()
    {
        var train = Synthetic.Noise(600, seed: 3);
        var valid = Synthetic.Noise(400, seed: 4);
        var options = Synthetic.SmallOptions() with { Epochs = 40, Patience = 2, LearningRate = 0.03, LearningRateDecay = 1, EmbeddingL2 = 0 };
        var model = new DeepCrossNetworkV2(options);
        var reports = new List<RankerProgress>();
        model.Fit(train, valid, new SynchronousProgress(reports));

        Assert.True(model.EpochsRun < options.Epochs, "pure noise should stop early");
        Assert.Equal(model.BestEpoch + options.Patience, model.EpochsRun);
        Assert.Equal(model.EpochsRun, reports.Count);
        Assert.All(reports, r => Assert.Equal("auc", r.ValidMetricName));
        double best = reports.Max(r => r.ValidMetric);
        Assert.Equal(best, reports[model.BestEpoch - 1].ValidMetric);
        Assert.True(reports[^1].ValidMetric < best);

        var scores = new float[valid.Rows];
        model.Predict(valid, scores);
        Assert.Equal(best, ScoreMetrics.Auc(valid.BinaryLabels(), scores), 12);
    }

    [Fact]
    public void Early_stopping_on_logloss_watches_logloss()
    {
        var train = Synthetic.Parity(800, seed: 5);
        var valid = Synthetic.Parity(300, seed: 6);
        var model = new DeepCrossNetworkV2(Synthetic.SmallOptions() with { StoppingMetric = DcnStoppingMetric.LogLoss, Epochs = 6 });
        model.Fit(train, valid);
        Assert.All(model.History, r => Assert.Equal("logloss", r.ValidMetricName));
        var scores = new float[valid.Rows];
        model.Predict(valid, scores);
        Assert.Equal(model.History.Min(r => r.ValidMetric), ScoreMetrics.LogLoss(valid.BinaryLabels(), scores), 12);
    }

    [Fact]
    public void A_fixed_seed_gives_identical_models_and_the_thread_count_does_not_change_them()
    {
        var train = Synthetic.Parity(700, seed: 8);
        var test = Synthetic.Parity(300, seed: 9);
        float[] Run(int threads, int seed)
        {
            var model = new DeepCrossNetworkV2(Synthetic.SmallOptions(threads) with { Epochs = 3, Seed = seed, BatchSize = 100 });
            model.Fit(train);
            var scores = new float[test.Rows];
            model.Predict(test, scores);
            return scores;
        }
        var first = Run(1, 7);
        Assert.Equal(first, Run(1, 7));
        Assert.Equal(first, Run(2, 7));
        Assert.NotEqual(first, Run(1, 8));
    }

    [Fact]
    public void The_stacked_structure_and_a_cross_only_model_also_learn_the_cross()
    {
        var train = Synthetic.Parity(3000, seed: 10);
        var test = Synthetic.Parity(800, seed: 11);
        foreach (var options in new[]
        {
            Synthetic.SmallOptions() with { Structure = DcnStructure.Stacked },
            Synthetic.SmallOptions() with { HiddenUnits = [], CrossLayers = 3, Dropout = 0 },
        })
        {
            var model = new DeepCrossNetworkV2(options);
            model.Fit(train);
            var scores = new float[test.Rows];
            model.Predict(test, scores);
            double auc = ScoreMetrics.Auc(test.BinaryLabels(), scores);
            Assert.True(auc > 0.85, $"{options.Structure}, hidden [{string.Join(",", options.HiddenUnits)}]: AUC {auc:F4}");
        }
    }

    [Fact]
    public void Predict_is_thread_safe_and_matches_one_row_at_a_time()
    {
        var model = Fitted(out var test);
        var expected = new float[test.Rows];
        model.Predict(test, expected);
        var single = test.Select([5]);
        var one = new float[1];
        model.Predict(single, one);
        Assert.Equal(expected[5], one[0], 6);
        Parallel.For(0, 8, _ =>
        {
            var scores = new float[test.Rows];
            model.Predict(test, scores);
            Assert.Equal(expected, scores);
        });
    }

    [Fact]
    public void Save_and_load_give_identical_predictions()
    {
        var model = Fitted(out var test);
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        var loaded = DeepCrossNetworkV2.Load(stream);
        Assert.True(loaded.IsFitted);
        Assert.Equal(model.Schema, loaded.Schema);
        Assert.Equal(model.ParameterCount, loaded.ParameterCount);
        var a = new float[test.Rows];
        var b = new float[test.Rows];
        model.Predict(test, a);
        loaded.Predict(test, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void A_corrupt_truncated_or_foreign_model_file_is_refused()
    {
        var model = Fitted(out _);
        using var stream = new MemoryStream();
        model.Save(stream);
        byte[] bytes = stream.ToArray();

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x40;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => DeepCrossNetworkV2.Load(new MemoryStream(flipped))).Message);
        Assert.Throws<InvalidDataException>(() => DeepCrossNetworkV2.Load(new MemoryStream(bytes[..^9])));
        Assert.Throws<InvalidDataException>(() => DeepCrossNetworkV2.Load(new MemoryStream([1, 2, 3])));

        using var other = new MemoryStream();
        Cascade.Models.Serialization.ModelFile.Write(other, "lr", 1, w => w.Write(0));
        other.Position = 0;
        Assert.Contains("'lr'", Assert.Throws<InvalidDataException>(() => DeepCrossNetworkV2.Load(other)).Message);

        using var future = new MemoryStream();
        Cascade.Models.Serialization.ModelFile.Write(future, DeepCrossNetworkV2.KindName, 99, w => w.Write(0));
        future.Position = 0;
        Assert.Contains("version 99", Assert.Throws<InvalidDataException>(() => DeepCrossNetworkV2.Load(future)).Message);
    }

    [Fact]
    public void Bad_input_is_refused_with_a_clear_message()
    {
        var model = new DeepCrossNetworkV2(Synthetic.SmallOptions() with { Epochs = 1 });
        var data = Synthetic.Parity(50, seed: 1);
        Assert.Throws<InvalidOperationException>(() => model.Predict(data, new float[data.Rows]));
        Assert.Throws<InvalidOperationException>(() => model.Save(new MemoryStream()));

        var empty = new RankingDataset(data.Schema, 0, [], [], []);
        Assert.Contains("no rows", Assert.Throws<ArgumentException>(() => model.Fit(empty)).Message);
        var unlabelled = new RankingDataset(data.Schema, data.Rows, data.Categorical, data.Numeric, null);
        Assert.Contains("no labels", Assert.Throws<ArgumentException>(() => model.Fit(unlabelled)).Message);
        var badLabels = new RankingDataset(data.Schema, data.Rows, data.Categorical, data.Numeric, [.. data.Labels!.Select(l => l * 2)]);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => model.Fit(badLabels)).Message);

        var otherSchema = new FeatureSchema([new CategoricalField("a", 9), new CategoricalField("b", 9), new CategoricalField("c", 6)], ["x", "k"]);
        var other = Synthetic.Parity(50, seed: 2, schema: otherSchema);
        Assert.Throws<ArgumentException>(() => model.Fit(data, other));

        model.Fit(data);
        var error = Assert.Throws<ArgumentException>(() => model.Predict(other, new float[other.Rows]));
        Assert.Contains("c:6", error.Message);
        Assert.Throws<ArgumentException>(() => model.Predict(data, new float[data.Rows - 1]));
    }

    [Fact]
    public void Options_are_validated_and_parsed_from_parameters()
    {
        Assert.Equal("EmbeddingDimension", Assert.Throws<ArgumentOutOfRangeException>(() => new DeepCrossNetworkV2(new DcnV2Options { EmbeddingDimension = 0 })).ParamName);
        Assert.Equal("Dropout", Assert.Throws<ArgumentOutOfRangeException>(() => new DcnV2Options { Dropout = 1 }.Validate()).ParamName);
        Assert.Throws<ArgumentException>(() => new DcnV2Options { CrossLayers = 0, HiddenUnits = [] }.Validate());

        var parsed = DcnV2Options.FromParameters(new Dictionary<string, string>
        {
            ["dim"] = "8",
            ["cross"] = "3",
            ["hidden"] = "64-32",
            ["structure"] = "stacked",
            ["bn"] = "false",
            ["dropout"] = "0.1",
            ["lr"] = "0.002",
            ["batch"] = "512",
            ["l2emb"] = "0.5",
            ["metric"] = "logloss",
        }, seed: 5);
        Assert.Equal(8, parsed.EmbeddingDimension);
        Assert.Equal(3, parsed.CrossLayers);
        Assert.Equal([64, 32], parsed.HiddenUnits);
        Assert.Equal(DcnStructure.Stacked, parsed.Structure);
        Assert.False(parsed.BatchNorm);
        Assert.Equal(512, parsed.BatchSize);
        Assert.Equal(0.5, parsed.EmbeddingL2);
        Assert.Equal(DcnStoppingMetric.LogLoss, parsed.StoppingMetric);
        Assert.Equal(5, parsed.Seed);
        Assert.Empty(DcnV2Options.FromParameters(new Dictionary<string, string> { ["hidden"] = "none" }, 1).HiddenUnits);
        Assert.Contains("depth", Assert.Throws<ArgumentException>(() => DcnV2Options.FromParameters(new Dictionary<string, string> { ["depth"] = "3" }, 1)).Message);
        Assert.Throws<FormatException>(() => DcnV2Options.FromParameters(new Dictionary<string, string> { ["lr"] = "fast" }, 1));
    }

    private static DeepCrossNetworkV2 Fitted(out RankingDataset test)
    {
        var train = Synthetic.Parity(600, seed: 12);
        test = Synthetic.Parity(700, seed: 13);
        var model = new DeepCrossNetworkV2(Synthetic.SmallOptions(threads: 2) with { Epochs = 3 });
        model.Fit(train);
        return model;
    }

    /// <summary>The reference additive model: logistic regression on one-hot fields, full-batch gradient descent.</summary>
    private static float[] AdditiveLogisticRegression(RankingDataset train, RankingDataset test)
    {
        var schema = train.Schema;
        var w = new double[schema.TotalCardinality];
        double bias = 0;
        var labels = train.Labels!;
        for (int iteration = 0; iteration < 300; iteration++)
        {
            var grad = new double[w.Length];
            double biasGrad = 0;
            for (int r = 0; r < train.Rows; r++)
            {
                var codes = train.CategoricalRow(r);
                double s = bias;
                for (int f = 0; f < codes.Length; f++)
                {
                    s += w[schema.FieldOffset(f) + codes[f]];
                }
                double g = (1 / (1 + Math.Exp(-s))) - labels[r];
                biasGrad += g;
                for (int f = 0; f < codes.Length; f++)
                {
                    grad[schema.FieldOffset(f) + codes[f]] += g;
                }
            }
            bias -= 0.5 * biasGrad / train.Rows;
            for (int j = 0; j < w.Length; j++)
            {
                w[j] -= 0.5 * grad[j] / train.Rows;
            }
        }
        var scores = new float[test.Rows];
        for (int r = 0; r < test.Rows; r++)
        {
            var codes = test.CategoricalRow(r);
            double s = bias;
            for (int f = 0; f < codes.Length; f++)
            {
                s += w[schema.FieldOffset(f) + codes[f]];
            }
            scores[r] = (float)(1 / (1 + Math.Exp(-s)));
        }
        return scores;
    }

    private sealed class SynchronousProgress(List<RankerProgress> reports) : IProgress<RankerProgress>
    {
        public void Report(RankerProgress value) => reports.Add(value);
    }
}

public class EmbeddingTablePenaltyTests
{
    [Fact]
    public void The_table_penalty_shrinks_rows_no_batch_touches_and_the_lazy_penalty_leaves_them()
    {
        // Field c has cardinality 8 but the data only uses codes 0..4, so rows 5..7 are never looked up.
        var schema = new FeatureSchema([new CategoricalField("a", 9), new CategoricalField("b", 9), new CategoricalField("c", 8)], ["x", "k"]);
        var train = Synthetic.Parity(400, seed: 1, schema: schema);
        double UntouchedNorm(double tableL2)
        {
            var model = new DeepCrossNetworkV2(Synthetic.SmallOptions() with { Epochs = 3, EmbeddingTableL2 = tableL2, EmbeddingInitStd = 0.1 });
            model.Fit(train);
            var network = model.Network!;
            int dim = network.EmbeddingDimension;
            int first = (schema.FieldOffset(2) + 5) * dim;
            return Math.Sqrt(network.Embeddings.AsSpan(first, 3 * dim).ToArray().Sum(v => (double)v * v));
        }
        double lazy = UntouchedNorm(0);
        double table = UntouchedNorm(0.05);
        Assert.True(lazy > 0.1, $"untouched rows keep their initial values without the table penalty: {lazy:G3}");
        Assert.True(table < 0.5 * lazy, $"table penalty {table:G3} vs lazy {lazy:G3}");
    }
}
