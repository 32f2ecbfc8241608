using Cascade.Models.Onnx;
using Cascade.Pipeline.Ranking;
using Cascade.Pipeline.Sources;
using Cascade.Ranking.Onnx;

namespace Cascade.Pipeline.Tests.Pipeline;

/// <summary>The onnx ranker as a pipeline's ranker: configured by file and columns, it orders the candidates.</summary>
public sealed class OnnxRankerPipelineTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cascade-onnx-pipeline-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void An_onnx_model_in_the_configuration_scores_the_candidates()
    {
        // sigmoid(−1000 · age_days): the newest items first, whatever the sources' order says.
        File.WriteAllBytes(Path.Combine(_folder, "newest.onnx"), Logistic(-1000f));
        string config = Path.Combine(_folder, "pipeline.json");
        File.WriteAllText(config, """
            {
              "Sources": [ { "Name": "pop", "Kind": "popular", "Quota": 30 }, { "Name": "new", "Kind": "latest", "Quota": 30 } ],
              "Ranker": { "Kind": "onnx", "Parameters": { "model": "newest.onnx", "input.x": "age_days", "probability": "true" } }
            }
            """);
        var options = PipelineConfiguration.Load(config);
        Assert.Equal(Path.Combine(_folder, "newest.onnx"), options.Ranker!.Parameters["model"]); // relative to the file

        var data = Data();
        var pipeline = PipelineBuilder.Build(options, data, seed: 3);
        Assert.IsType<OnnxRanker>(pipeline.Ranker);
        for (int u = 0; u < 10; u++)
        {
            var result = pipeline.Run(new PipelineRequest(u, RecommendationPipeline.HistoryOf(data.Interactions, u), 5, 1_200_000));
            Assert.All(result.Items, c => Assert.True(c.Item >= 45, $"user {u} got item {c.Item}"));
        }

        using var bundle = new MemoryStream();
        pipeline.Ranker!.Save(bundle);
        bundle.Position = 0;
        Assert.IsType<OnnxRanker>(RankerCatalog.Load(bundle));
    }

    [Fact]
    public void A_bad_onnx_ranker_parameter_is_refused_when_the_configuration_is_loaded()
    {
        string config = Path.Combine(_folder, "pipeline.json");
        File.WriteAllText(config, """{ "Ranker": { "Kind": "onnx", "Parameters": { "modle": "m.onnx" } } }""");
        var e = Assert.Throws<ArgumentException>(() => PipelineConfiguration.Load(config));
        Assert.Contains("Pipeline:Ranker", e.Message, StringComparison.Ordinal);
        Assert.Contains("'modle'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_model_file_fails_the_build_naming_the_model_parameter()
    {
        var options = new PipelineOptions
        {
            Sources = [new SourceOptions { Name = "pop", Kind = "popular", Quota = 30 }],
            Ranker = new RankerOptions { Kind = "onnx", Parameters = new() { ["model"] = Path.Combine(_folder, "gone.onnx"), ["input.x"] = "age_days" } },
        };
        var e = Assert.Throws<ArgumentException>(() => PipelineBuilder.Build(options, Data(), seed: 3));
        Assert.Contains("'model'", e.Message, StringComparison.Ordinal);
        Assert.Contains("gone.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_writes_a_dcnv2_file_as_onnx_that_the_onnx_ranker_scores_alike_and_refuses_other_kinds()
    {
        var data = CtrRows();
        var dcn = new Cascade.Ranking.Neural.DeepCrossNetworkV2(new Cascade.Ranking.Neural.DcnV2Options { EmbeddingDimension = 2, CrossLayers = 1, HiddenUnits = [4], Epochs = 1, BatchSize = 64, Threads = 1 });
        dcn.Fit(data);
        string dcnPath = Path.Combine(_folder, "dcn.bin"), onnxPath = Path.Combine(_folder, "dcn.onnx");
        using (var file = File.Create(dcnPath))
        {
            dcn.Save(file);
        }
        using (var file = File.Create(onnxPath))
        {
            Assert.StartsWith("dcnv2: inputs categorical", OnnxExport.Write(dcnPath, file, tower: null), StringComparison.Ordinal);
        }
        using var onnx = new OnnxRanker(OnnxRankerOptions.FromParameters(new Dictionary<string, string> { ["model"] = onnxPath }));
        onnx.Fit(data);
        var expected = new float[data.Rows];
        var actual = new float[data.Rows];
        dcn.Predict(data, expected);
        onnx.Predict(data, actual);
        for (int r = 0; r < data.Rows; r++)
        {
            Assert.Equal(expected[r], actual[r], 4);
        }

        Assert.Contains("--tower", Assert.Throws<ArgumentException>(() => OnnxExport.Write(dcnPath, Stream.Null, Cascade.Models.Neural.TwoTowerSide.Item)).Message, StringComparison.Ordinal);
        var lr = RankerCatalog.Create("lr");
        lr.Fit(data);
        string lrPath = Path.Combine(_folder, "lr.bin");
        using (var file = File.Create(lrPath))
        {
            lr.Save(file);
        }
        var e = Assert.Throws<ArgumentException>(() => OnnxExport.Write(lrPath, Stream.Null, tower: null));
        Assert.Contains("'lr' model, which does not export", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_writes_one_tower_of_a_two_tower_model_and_needs_the_tower_named()
    {
        var data = Data();
        var model = new Cascade.Models.Neural.TwoTower(new Cascade.Models.Neural.TwoTowerOptions { Dimension = 4, Epochs = 1, BatchSize = 16, Seed = 2 });
        model.Fit(data.Interactions);
        string path = Path.Combine(_folder, "towers.bin");
        Cascade.Models.Serialization.ModelFile.Save(model, path);

        Assert.Contains("--tower user or --tower item", Assert.Throws<ArgumentException>(() => OnnxExport.Write(path, Stream.Null, tower: null)).Message, StringComparison.Ordinal);
        using var item = new MemoryStream();
        Assert.Equal("two-tower item tower: inputs item (int64 [N]) → item_vector (float [N, 5])", OnnxExport.Write(path, item, Cascade.Models.Neural.TwoTowerSide.Item));
        using var user = new MemoryStream();
        Assert.Equal("two-tower user tower: inputs history (float [N, 60]) → user_vector (float [N, 5])", OnnxExport.Write(path, user, Cascade.Models.Neural.TwoTowerSide.User));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(item.ToArray());
        Assert.Equal(["item"], session.InputMetadata.Keys);
    }

    private static Cascade.Ranking.RankingDataset CtrRows()
    {
        var schema = new Cascade.Ranking.FeatureSchema([new Cascade.Ranking.CategoricalField("a", 6)], ["x"]);
        var random = new Random(2);
        const int rows = 300;
        var codes = new int[rows];
        var numeric = new float[rows];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            codes[r] = random.Next(6);
            numeric[r] = r % 7 == 0 ? float.NaN : (float)random.NextDouble();
            labels[r] = (codes[r] % 2 == 0) ^ (random.NextDouble() < 0.1) ? 1 : 0;
        }
        return new Cascade.Ranking.RankingDataset(schema, rows, codes, numeric, labels);
    }

    /// <summary>sigmoid(w · x) over input "x" float [N, 1], output "p" float [N, 1].</summary>
    private static byte[] Logistic(float weight)
    {
        var g = new OnnxGraphBuilder("one_feature");
        g.Input("x", OnnxElementType.Float, -1, 1);
        g.Initializer("w", [weight], 1, 1);
        g.Node("MatMul", ["x", "w"], "logit");
        g.Node("Sigmoid", ["logit"], "p");
        g.Output("p", OnnxElementType.Float, -1, 1);
        return g.ToBytes();
    }

    // The served-lists tests' data (no served lists): popular items have low ids, the newest have high ids.
    private static PipelineData Data() => ServedListsTests.Data([]);
}
