using Cascade.Models.Onnx;

namespace Cascade.Ranking.Onnx.Tests;

/// <summary>The onnx ranker with a model built here (no download): its mapping, its scores and its errors.</summary>
public sealed class OnnxRankerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cascade-onnx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_model_trained_elsewhere_scores_rows_through_the_configured_mapping()
    {
        string path = Write("logistic.onnx", OnnxSamples.Logistic([0.5f, -1f, 2f], 0.25f));
        var data = Rows();
        using var ranker = Ranker(path, ("input.dense", "pop+affinity+x"), ("probability", "true"), ("missing", "0"));
        ranker.Fit(data);
        var scores = new float[data.Rows];
        ranker.Predict(data, scores);

        for (int r = 0; r < data.Rows; r++)
        {
            var row = data.NumericRow(r);
            float x = float.IsNaN(row[2]) ? 0 : row[2];
            float logit = (0.5f * row[0]) - row[1] + (2f * x) + 0.25f;
            Assert.Equal(1 / (1 + MathF.Exp(-logit)), scores[r], 5);
        }
        Assert.True(ranker.OutputsProbability);
        Assert.Equal(["dense (float, 3 columns)"], ranker.DescribeInputs());
    }

    [Fact]
    public void Categorical_codes_fill_an_int64_input()
    {
        string path = Write("codes.onnx", OnnxSamples.CodeSum());
        var data = Rows();
        using var ranker = Ranker(path, ("input.codes", "genre+item"));
        ranker.Fit(data);
        var scores = new float[data.Rows];
        ranker.Predict(data, scores);
        for (int r = 0; r < data.Rows; r++)
        {
            Assert.Equal(data.CategoricalRow(r)[0] + data.CategoricalRow(r)[1], scores[r]);
        }
        Assert.False(ranker.OutputsProbability);
    }

    [Fact]
    public void A_missing_model_file_is_refused_naming_the_model_parameter()
    {
        using var ranker = Ranker(Path.Combine(_folder, "nowhere.onnx"), ("input.dense", "pop+affinity+x"));
        var e = Assert.Throws<ArgumentException>(() => ranker.Fit(Rows()));
        Assert.Contains("'model'", e.Message, StringComparison.Ordinal);
        Assert.Contains("nowhere.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_refused_naming_the_model_parameter()
    {
        string path = Write("text.onnx", "not a model"u8.ToArray());
        using var ranker = Ranker(path, ("input.dense", "pop+affinity+x"));
        Assert.Contains("'model'", Assert.Throws<ArgumentException>(() => ranker.Fit(Rows())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mapping_that_names_an_unknown_column_is_refused_naming_the_key_and_the_column()
    {
        string path = Write("logistic.onnx", OnnxSamples.Logistic([1, 1, 1], 0));
        using var ranker = Ranker(path, ("input.dense", "pop+affinty+x"));
        var e = Assert.Throws<ArgumentException>(() => ranker.Fit(Rows()));
        Assert.Contains("'input.dense'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'affinty'", e.Message, StringComparison.Ordinal);
        Assert.Contains("affinity", e.Message, StringComparison.Ordinal); // the columns there are
    }

    [Fact]
    public void A_mapping_whose_width_differs_from_the_input_shape_is_refused_naming_the_key_and_the_shape()
    {
        string path = Write("logistic.onnx", OnnxSamples.Logistic([1, 1, 1], 0));
        using var ranker = Ranker(path, ("input.dense", "pop+affinity"));
        var e = Assert.Throws<ArgumentException>(() => ranker.Fit(Rows()));
        Assert.Contains("'input.dense'", e.Message, StringComparison.Ordinal);
        Assert.Contains("[N, 3]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_input_without_columns_and_a_key_for_no_input_are_refused_by_name()
    {
        string path = Write("logistic.onnx", OnnxSamples.Logistic([1, 1, 1], 0));
        using var unmapped = Ranker(path, ("input.features", "pop+affinity+x"));
        Assert.Contains("'input.features' names no input", Assert.Throws<ArgumentException>(() => unmapped.Fit(Rows())).Message, StringComparison.Ordinal);
        using var none = Ranker(path);
        Assert.Contains("set parameter 'input.dense'", Assert.Throws<ArgumentException>(() => none.Fit(Rows())).Message, StringComparison.Ordinal);
        using var output = Ranker(path, ("input.dense", "pop+affinity+x"), ("output", "logits"));
        Assert.Contains("'output'", Assert.Throws<ArgumentException>(() => output.Fit(Rows())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_numeric_column_in_an_int64_input_is_refused()
    {
        string path = Write("codes.onnx", OnnxSamples.CodeSum());
        using var ranker = Ranker(path, ("input.codes", "genre+pop"));
        Assert.Contains("'input.codes' puts numeric column 'pop'", Assert.Throws<ArgumentException>(() => ranker.Fit(Rows())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_parameters_are_refused_before_any_file_is_read()
    {
        Assert.Contains("'model'", Assert.Throws<ArgumentException>(() => OnnxRankerOptions.FromParameters(new Dictionary<string, string>())).Message, StringComparison.Ordinal);
        Assert.Contains("'modle'", Assert.Throws<ArgumentException>(() => OnnxRankerOptions.FromParameters(new Dictionary<string, string> { ["model"] = "m.onnx", ["modle"] = "x" })).Message, StringComparison.Ordinal);
        Assert.Contains("'threads'", Assert.Throws<FormatException>(() => OnnxRankerOptions.FromParameters(new Dictionary<string, string> { ["model"] = "m.onnx", ["threads"] = "0" })).Message, StringComparison.Ordinal);
        Assert.Contains("'input.dense'", Assert.Throws<ArgumentException>(() => OnnxRankerOptions.FromParameters(new Dictionary<string, string> { ["model"] = "m.onnx", ["input.dense"] = "a++b" })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_committed_sample_model_is_the_one_its_generator_writes()
    {
        // docs/rankers-onnx.md's configuration example scores with this file; CASCADE_WRITE_SAMPLES=1 writes it anew.
        string path = Path.Combine(RepoRoot(), OnnxSamples.PipelineSamplePath);
        byte[] expected = OnnxSamples.PipelineSample();
        if (Environment.GetEnvironmentVariable("CASCADE_WRITE_SAMPLES") == "1")
        {
            File.WriteAllBytes(path, expected);
        }
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    private static OnnxRanker Ranker(string path, params (string Key, string Value)[] parameters)
    {
        var dictionary = parameters.ToDictionary(p => p.Key, p => p.Value);
        dictionary["model"] = path;
        return new OnnxRanker(OnnxRankerOptions.FromParameters(dictionary));
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Fields genre and item; numeric pop, affinity and x (x missing in every fourth row).</summary>
    private static RankingDataset Rows()
    {
        var schema = new FeatureSchema([new CategoricalField("genre", 5), new CategoricalField("item", 50)], ["pop", "affinity", "x"]);
        const int rows = 40;
        var random = new Random(3);
        var categorical = new int[rows * 2];
        var numeric = new float[rows * 3];
        for (int r = 0; r < rows; r++)
        {
            categorical[r * 2] = random.Next(5);
            categorical[(r * 2) + 1] = random.Next(50);
            numeric[r * 3] = (float)random.NextDouble();
            numeric[(r * 3) + 1] = (float)(random.NextDouble() * 2) - 1;
            numeric[(r * 3) + 2] = r % 4 == 0 ? float.NaN : (float)random.NextDouble();
        }
        return new RankingDataset(schema, rows, categorical, numeric);
    }

    internal static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Cascade.slnx")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Cascade.slnx not found above the test's folder.");
    }
}

/// <summary>Small ONNX models written with <see cref="OnnxGraphBuilder"/>: the generators of the tests' and the docs' models.</summary>
internal static class OnnxSamples
{
    /// <summary>Where the docs' pipeline example finds its model, from the repository's root.</summary>
    public const string PipelineSamplePath = "samples/onnx/popularity-affinity.onnx";

    /// <summary>sigmoid(dense · w + b): input "dense" float [N, w.Length], output "score" float [N].</summary>
    public static byte[] Logistic(float[] weights, float bias)
    {
        var g = new OnnxGraphBuilder("logistic");
        g.Input("dense", OnnxElementType.Float, -1, weights.Length);
        g.Initializer("w", weights, weights.Length, 1);
        g.Initializer("b", [bias], 1);
        g.Initializer("flat", [-1L], 1);
        g.Node("MatMul", ["dense", "w"], "xw");
        g.Node("Add", ["xw", "b"], "logit");
        g.Node("Sigmoid", ["logit"], "p");
        g.Node("Reshape", ["p", "flat"], "score");
        g.Output("score", OnnxElementType.Float, -1);
        return g.ToBytes();
    }

    /// <summary>The sum of the codes of each row, as a float [N, 1]: input "codes" int64 [N, any width].</summary>
    public static byte[] CodeSum()
    {
        var g = new OnnxGraphBuilder("code_sum");
        g.Input("codes", OnnxElementType.Int64, -1, -1);
        g.Initializer("axes", [1L], 1);
        g.Node("Cast", ["codes"], "as_float", intAttributes: [("to", (long)OnnxElementType.Float)]);
        g.Node("ReduceSum", ["as_float", "axes"], "sum", intAttributes: [("keepdims", 1)]);
        g.Output("sum", OnnxElementType.Float, -1, 1);
        return g.ToBytes();
    }

    /// <summary>The docs' example: a hand-set logistic model over the pipeline's popularity, user_history and category_affinity columns.</summary>
    public static byte[] PipelineSample() => Logistic([0.8f, 0.3f, 1.5f], -1f);
}
