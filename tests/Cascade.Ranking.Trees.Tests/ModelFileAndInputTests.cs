using System.Text;
using Cascade.Models.Serialization;

namespace Cascade.Ranking.Trees.Tests;

public class ModelFileAndInputTests
{
    private static readonly GbdtOptions Small = new() { Trees = 20, MaxLeaves = 8, LearningRate = 0.3, MinDataInLeaf = 10, Threads = 2 };

    private static RankingDataset Mixed(int rows, int seed)
    {
        var (categorical, _) = Synthetic.Categories(rows, seed);
        var numeric = Synthetic.Numeric(rows, 3, x => 2 * x[0] * x[1], seed + 100, missing: 0.1);
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = Math.Max(categorical.Labels![r], numeric.Labels![r]);
        }
        return new RankingDataset(
            new FeatureSchema(categorical.Schema.Categorical, numeric.Schema.Numeric), rows, categorical.Categorical, numeric.Numeric, labels);
    }

    private static byte[] Saved(GradientBoostedTrees model)
    {
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Save_and_load_give_identical_predictions_for_a_mixed_binary_model()
    {
        var data = Mixed(5000, 1);
        var model = new GradientBoostedTrees(Small);
        model.Fit(data);
        var loaded = GradientBoostedTrees.Load(new MemoryStream(Saved(model)));
        Assert.True(loaded.IsFitted);
        Assert.True(loaded.OutputsProbability);
        Assert.Equal(model.TreeCount, loaded.TreeCount);
        Assert.Equal(data.Schema, loaded.Schema);
        var before = new float[data.Rows];
        var after = new float[data.Rows];
        model.Predict(data, before);
        loaded.Predict(data, after);
        Assert.Equal(before, after);
        Assert.Equal(model.FeatureImportance(), loaded.FeatureImportance());
        Assert.Equal(Saved(model), Saved(loaded));
    }

    [Fact]
    public void Save_and_load_keep_a_lambdarank_model()
    {
        var data = Synthetic.Queries(50, 2);
        var model = new GradientBoostedTrees(Small with { Objective = GbdtObjective.LambdaRank });
        model.Fit(data);
        var loaded = GradientBoostedTrees.Load(new MemoryStream(Saved(model)));
        Assert.False(loaded.OutputsProbability);
        var before = new float[data.Rows];
        var after = new float[data.Rows];
        model.Predict(data, before);
        loaded.Predict(data, after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void A_corrupt_or_truncated_file_is_refused()
    {
        var model = new GradientBoostedTrees(Small);
        model.Fit(Mixed(2000, 3));
        var bytes = Saved(model);
        for (int at = 0; at < bytes.Length; at += Math.Max(1, bytes.Length / 40))
        {
            var flipped = (byte[])bytes.Clone();
            flipped[at] ^= 0x40;
            Assert.Throws<InvalidDataException>(() => GradientBoostedTrees.Load(new MemoryStream(flipped)));
        }
        Assert.Throws<InvalidDataException>(() => GradientBoostedTrees.Load(new MemoryStream(bytes[..^9])));
        Assert.Throws<InvalidDataException>(() => GradientBoostedTrees.Load(new MemoryStream([])));
    }

    [Fact]
    public void A_file_with_a_valid_checksum_but_a_child_out_of_range_is_refused()
    {
        var data = Synthetic.Numeric(2000, 2, x => 3 * x[0], 4);
        var model = new GradientBoostedTrees(Small with { Trees = 1, MaxLeaves = 2 });
        model.Fit(data);
        var (_, version, payload) = ModelFile.ReadContainer(new MemoryStream(Saved(model)));
        // Offset of node 0's left child: objective, ndcg_at, schema, base, base feature and scale, best metric, rounds, counts, roots, depths, feature, threshold.
        using var schemaBytes = new MemoryStream();
        using (var writer = new BinaryWriter(schemaBytes, Encoding.UTF8, leaveOpen: true))
        {
            data.Schema.WriteTo(writer);
        }
        int leftAt = 1 + 4 + (int)schemaBytes.Length + 8 + 4 + 8 + 8 + 4 + 12 + 4 + 4 + 4 + 4;
        Assert.Equal(1, BitConverter.ToInt32(payload, leftAt));
        BitConverter.GetBytes(1000).CopyTo(payload, leftAt);
        using var crafted = new MemoryStream();
        ModelFile.Write(crafted, "gbdt", version, w => w.Write(payload));
        crafted.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => GradientBoostedTrees.Load(crafted));
        Assert.Contains("children", error.Message);
    }

    [Fact]
    public void A_version_1_file_without_a_base_feature_is_still_read()
    {
        var data = Synthetic.Numeric(1000, 2, x => 2 * x[0], 6);
        var model = new GradientBoostedTrees(Small with { Trees = 5 });
        model.Fit(data);
        var (_, version, payload) = ModelFile.ReadContainer(new MemoryStream(Saved(model)));
        Assert.Equal(2, version);
        using var schemaBytes = new MemoryStream();
        using (var writer = new BinaryWriter(schemaBytes, Encoding.UTF8, leaveOpen: true))
        {
            data.Schema.WriteTo(writer);
        }
        // Version 1 is version 2 without the base feature (i32) and scale (f64) after the base score.
        int baseFeatureAt = 1 + 4 + (int)schemaBytes.Length + 8;
        Assert.Equal(-1, BitConverter.ToInt32(payload, baseFeatureAt));
        byte[] v1 = [.. payload[..baseFeatureAt], .. payload[(baseFeatureAt + 12)..]];
        using var old = new MemoryStream();
        ModelFile.Write(old, "gbdt", 1, w => w.Write(v1));
        old.Position = 0;
        var loaded = GradientBoostedTrees.Load(old);
        var (expected, actual) = (new float[data.Rows], new float[data.Rows]);
        model.Predict(data, expected);
        loaded.Predict(data, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_file_of_another_version_or_kind_is_refused()
    {
        var model = new GradientBoostedTrees(Small);
        model.Fit(Synthetic.Numeric(500, 2, x => x[0], 5));
        var (_, _, payload) = ModelFile.ReadContainer(new MemoryStream(Saved(model)));
        using var future = new MemoryStream();
        ModelFile.Write(future, "gbdt", 99, w => w.Write(payload));
        future.Position = 0;
        Assert.Contains("version 99", Assert.Throws<InvalidDataException>(() => GradientBoostedTrees.Load(future)).Message);
        using var other = new MemoryStream();
        ModelFile.Write(other, "lr", 1, w => w.Write(payload));
        other.Position = 0;
        Assert.Throws<InvalidDataException>(() => GradientBoostedTrees.Load(other));
    }

    [Fact]
    public void Bad_input_gives_a_clear_exception()
    {
        var schema = Synthetic.NumericSchema(2);
        var model = new GradientBoostedTrees(Small);
        var empty = Assert.Throws<ArgumentException>(() => model.Fit(new RankingDataset(schema, 0, [], [], [])));
        Assert.Contains("no rows", empty.Message);
        var nanLabel = Assert.Throws<ArgumentException>(() => model.Fit(new RankingDataset(schema, 2, [], [1, 2, 3, 4], [1, float.NaN])));
        Assert.Contains("row 1", nanLabel.Message);
        Assert.Throws<ArgumentException>(() => model.Fit(new RankingDataset(schema, 2, [], [1, 2, 3, 4], [1, 2])));
        Assert.Throws<ArgumentException>(() => model.Fit(new RankingDataset(schema, 2, [], [1, 2, 3, 4])));
        Assert.Throws<InvalidOperationException>(() => model.Predict(new RankingDataset(schema, 1, [], [1, 2]), new float[1]));
        var rank = new GradientBoostedTrees(Small with { Objective = GbdtObjective.LambdaRank });
        Assert.Contains("GroupOffsets", Assert.Throws<ArgumentException>(() => rank.Fit(new RankingDataset(schema, 2, [], [1, 2, 3, 4], [1, 0]))).Message);

        var train = Synthetic.Numeric(500, 2, x => x[0], 6);
        var other = Synthetic.Numeric(10, 3, x => x[0], 7);
        var mismatch = Assert.Throws<ArgumentException>(() => model.Fit(train, other));
        Assert.Equal("valid", mismatch.ParamName);
        model.Fit(train);
        var scoring = Assert.Throws<ArgumentException>(() => model.Predict(other, new float[other.Rows]));
        Assert.Equal("data", scoring.ParamName);
        Assert.Contains("x2", scoring.Message);
        Assert.Throws<ArgumentException>(() => model.Predict(train, new float[3]));
    }

    [Fact]
    public void Save_before_fit_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new GradientBoostedTrees().Save(new MemoryStream()));
    }
}
