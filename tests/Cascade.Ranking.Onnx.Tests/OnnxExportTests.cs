using Cascade.Core;
using Cascade.Models.Neural;
using Cascade.Models.Serialization;
using Cascade.Ranking.Neural;
using Cascade.Ranking.Neural.Tests;
using Microsoft.ML.OnnxRuntime;

namespace Cascade.Ranking.Onnx.Tests;

/// <summary>Cascade's own models written as ONNX score the same rows as they do natively, through ONNX Runtime.</summary>
public sealed class OnnxExportTests
{
    [Theory]
    [InlineData(DcnStructure.Parallel, true)]
    [InlineData(DcnStructure.Stacked, false)]
    public void An_exported_dcnv2_scores_the_rows_as_the_native_model_does(DcnStructure structure, bool batchNorm)
    {
        var (model, test) = FittedDcn(structure, batchNorm);
        var native = new float[test.Rows];
        model.Predict(test, native);

        using var stream = new MemoryStream();
        model.ExportOnnx(stream);
        using var session = new InferenceSession(stream.ToArray());
        long[] codes = [.. test.Categorical.Select(c => (long)c)];
        using var categorical = OrtValue.CreateTensorValueFromMemory(codes, [test.Rows, test.Schema.FieldCount]);
        using var numeric = OrtValue.CreateTensorValueFromMemory(test.Numeric, [test.Rows, test.Schema.NumericCount]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["categorical", "numeric"], [categorical, numeric], ["probability"]);
        float[] exported = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.True(MaxAbsDifference(native, exported) < 1e-4, $"max |native − onnx| = {MaxAbsDifference(native, exported)}");
        Assert.Contains(test.Numeric, float.IsNaN); // the missing-value path is exercised
    }

    [Fact]
    public void The_onnx_ranker_scores_an_exported_dcnv2_from_the_models_own_mapping_and_survives_a_save()
    {
        var (model, test) = FittedDcn(DcnStructure.Parallel, true);
        var native = new float[test.Rows];
        model.Predict(test, native);
        string path = Path.Combine(Path.GetTempPath(), $"cascade-dcn-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var file = File.Create(path))
            {
                model.ExportOnnx(file);
            }
            using var ranker = new OnnxRanker(OnnxRankerOptions.FromParameters(new Dictionary<string, string> { ["model"] = path }));
            ranker.Fit(test);
            var scores = new float[test.Rows];
            ranker.Predict(test, scores);
            Assert.True(ranker.OutputsProbability);
            Assert.True(MaxAbsDifference(native, scores) < 1e-4);

            using var saved = new MemoryStream();
            ranker.Save(saved);
            File.Delete(path); // the saved ranker carries the model's bytes
            saved.Position = 0;
            using var loaded = ModelFile.ReadPayload(saved, OnnxRanker.KindName, OnnxRanker.ReadFrom);
            var again = new float[test.Rows];
            loaded.Predict(test, again);
            Assert.Equal(scores, again);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_exported_item_tower_gives_the_models_item_vectors(bool normalise)
    {
        var model = FittedTwoTower(normalise);
        int d = model.EmbeddingDimension;
        using var stream = new MemoryStream();
        model.ExportOnnx(stream, TwoTowerSide.Item);
        using var session = new InferenceSession(stream.ToArray());

        long[] items = [0, 5, 17, model.ItemCount - 1, -1];
        float[] weights = new float[items.Length * ItemFeatureCount];
        int[][] features = [.. items.Select(i => i < 0 ? new[] { 1, 3 } : ItemFeatures().Of((int)i).ToArray())];
        for (int r = 0; r < items.Length; r++)
        {
            foreach (int f in features[r])
            {
                weights[(r * ItemFeatureCount) + f] = 1f / features[r].Length;
            }
        }
        using var itemValue = OrtValue.CreateTensorValueFromMemory(items, [items.Length]);
        using var featureValue = OrtValue.CreateTensorValueFromMemory(weights, [items.Length, ItemFeatureCount]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["item", "item_features"], [itemValue, featureValue], ["item_vector"]);
        float[] exported = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        var expected = new float[items.Length * d];
        var trained = model.ItemEmbeddings.Span;
        for (int r = 0; r < items.Length; r++)
        {
            if (items[r] >= 0)
            {
                trained.Slice((int)items[r] * d, d).CopyTo(expected.AsSpan(r * d, d));
            }
            else
            {
                model.EmbedItem(features[r], expected.AsSpan(r * d, d));
            }
        }
        Assert.True(MaxAbsDifference(expected, exported) < 1e-4, $"max |native − onnx| = {MaxAbsDifference(expected, exported)}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_exported_user_tower_gives_the_vector_of_a_history_and_attributes(bool normalise)
    {
        var model = FittedTwoTower(normalise);
        int d = model.EmbeddingDimension, items = model.ItemCount;
        using var stream = new MemoryStream();
        model.ExportOnnx(stream, TwoTowerSide.User);
        using var session = new InferenceSession(stream.ToArray());

        int[][] histories = [[1, 4, 9], [20], [3, 7, 11, 13, 29]];
        int[][] attributes = [[0], [1, 2], []];
        float[] history = new float[histories.Length * items];
        float[] attribute = new float[histories.Length * UserFeatureCount];
        var expected = new float[histories.Length * d];
        for (int r = 0; r < histories.Length; r++)
        {
            foreach (int i in histories[r])
            {
                history[(r * items) + i] = 1f / histories[r].Length; // pooling exponent 1: the mean
            }
            foreach (int a in attributes[r])
            {
                attribute[(r * UserFeatureCount) + a] = 1f / attributes[r].Length;
            }
            model.EmbedUser(histories[r], attributes[r], expected.AsSpan(r * d, d));
        }
        using var historyValue = OrtValue.CreateTensorValueFromMemory(history, [histories.Length, items]);
        using var attributeValue = OrtValue.CreateTensorValueFromMemory(attribute, [histories.Length, UserFeatureCount]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["history", "user_features"], [historyValue, attributeValue], ["user_vector"]);
        float[] exported = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.True(MaxAbsDifference(expected, exported) < 1e-4, $"max |native − onnx| = {MaxAbsDifference(expected, exported)}");
    }

    private const int ItemFeatureCount = 6;
    private const int UserFeatureCount = 3;

    internal static (DeepCrossNetworkV2 Model, RankingDataset Test) FittedDcn(DcnStructure structure, bool batchNorm)
    {
        var model = new DeepCrossNetworkV2(new DcnV2Options
        {
            EmbeddingDimension = 4,
            CrossLayers = 2,
            HiddenUnits = [16, 8],
            Structure = structure,
            BatchNorm = batchNorm,
            BatchSize = 128,
            Epochs = 4,
            LearningRate = 0.01,
            Threads = 1,
            Seed = 5,
        });
        model.Fit(Synthetic.Parity(1500, 1), Synthetic.Parity(300, 2));
        return (model, Synthetic.Parity(400, 3));
    }

    private static TwoTower FittedTwoTower(bool normalise)
    {
        const int users = 40, items = 30;
        var random = new Random(9);
        var builder = new CsrMatrixBuilder();
        for (int u = 0; u < users; u++)
        {
            int block = u % 3;
            for (int k = 0; k < 6; k++)
            {
                builder.Add(u, (block * 10) + random.Next(10), 1, 1_000 + k);
            }
        }
        var userFeatures = SideFeatures.FromLists(UserFeatureCount, [.. Enumerable.Range(0, users).Select(u => (IReadOnlyCollection<int>)[u % 3])]);
        var model = new TwoTower(new TwoTowerOptions { Dimension = 6, Epochs = 3, BatchSize = 16, Seed = 4, NormaliseOutputs = normalise }, userFeatures, ItemFeatures());
        model.Fit(builder.Build(users, items));
        return model;
    }

    private static SideFeatures ItemFeatures() =>
        SideFeatures.FromLists(ItemFeatureCount, [.. Enumerable.Range(0, 30).Select(i => (IReadOnlyCollection<int>)[i / 10, 3 + (i % 3)])]);

    internal static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        }
        return max;
    }
}
