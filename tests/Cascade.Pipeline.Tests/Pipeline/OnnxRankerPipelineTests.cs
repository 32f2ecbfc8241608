using Cascade.Core;
using Cascade.Core.Domain;
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

    // 80 users, 60 items; interactions favour low item ids (popular), items with high ids are the newest.
    private static PipelineData Data()
    {
        var random = new Random(11);
        var b = new CsrMatrixBuilder();
        for (int u = 0; u < 80; u++)
        {
            foreach (int i in Enumerable.Range(0, 60).OrderBy(_ => random.Next()).Take(8 + random.Next(5)))
            {
                b.Add(u, Math.Min(i, random.Next(60)), 1, 1_000_000 + random.Next(100_000));
            }
        }
        var items = ItemTable.Build([.. Enumerable.Range(0, 60).Select(i =>
            new Item(Apps.Default, $"i{i}", "", [$"c{i % 3}"], [], "{}", DateTimeOffset.FromUnixTimeMilliseconds(i * 1000L), false, null))]);
        return new PipelineData(b.Build(80, 60), items);
    }
}
