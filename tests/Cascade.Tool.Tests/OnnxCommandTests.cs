using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Cascade.Tool.Tests;

/// <summary>The onnx ranker kind and `cascade export onnx` through the real command.</summary>
public sealed class OnnxCommandTests
{
    [Fact]
    public void Ctr_help_lists_the_onnx_ranker_kind()
    {
        var (code, stdout, stderr) = Cli.Cascade("ctr", "--help");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("onnx     a model trained elsewhere", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dcnv2_saved_by_ctr_and_exported_scores_as_an_onnx_ranker_with_the_same_auc()
    {
        using var temp = Cli.TempDir();
        string train = Csv(temp.Path, "train.csv", 2000, 1), valid = Csv(temp.Path, "valid.csv", 600, 2);
        string model = Path.Combine(temp.Path, "dcn.bin"), onnx = Path.Combine(temp.Path, "dcn.onnx"), results = Path.Combine(temp.Path, "ctr.json");
        const string dcn = "dcnv2:dim=3,cross=1,hidden=8,epochs=2,batch=128,threads=1";

        Ok(Cli.Cascade("ctr", "--train", train, "--valid", valid, "--models", dcn, "--calibrate", "none", "--save", model, "--output", results));
        double nativeAuc = ValidAuc(results, "dcnv2");
        string exported = Ok(Cli.Cascade("export", "onnx", model, onnx));
        Assert.Contains("dcnv2: inputs categorical (int64 [N, 3]", exported, StringComparison.Ordinal);
        Ok(Cli.Cascade("ctr", "--train", train, "--valid", valid, "--models", $"onnx:model={onnx}", "--calibrate", "none", "--output", results));

        Assert.Equal(nativeAuc, ValidAuc(results, "onnx"), 5);
    }

    [Fact]
    public void Export_onnx_refuses_a_missing_model_and_a_bad_tower_by_name()
    {
        using var temp = Cli.TempDir();
        var (code, stdout, stderr) = Cli.Cascade("export", "onnx", Path.Combine(temp.Path, "none.bin"), Path.Combine(temp.Path, "out.onnx"));
        Assert.NotEqual(0, code);
        Assert.Contains("MODEL", stdout + stderr, StringComparison.Ordinal);
        (code, stdout, stderr) = Cli.Cascade("export", "onnx", Path.Combine(temp.Path, "none.bin"), Path.Combine(temp.Path, "out.onnx"), "--tower", "left");
        Assert.NotEqual(0, code);
        Assert.Contains("--tower 'left'", stdout + stderr, StringComparison.Ordinal);
    }

    private static string Ok((int ExitCode, string Stdout, string Stderr) run)
    {
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return run.Stdout;
    }

    private static double ValidAuc(string path, string modelPrefix)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var model = json.RootElement.EnumerateObject().Single(p => p.Name.StartsWith(modelPrefix, StringComparison.Ordinal));
        return model.Value.GetProperty("valid").GetProperty("auc").GetDouble();
    }

    /// <summary>A CTR file: label, then fields a, b (the label follows a + b) and c (noise).</summary>
    private static string Csv(string folder, string name, int rows, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("label,a,b,c\n");
        for (int r = 0; r < rows; r++)
        {
            int a = random.Next(6), b = random.Next(6);
            int label = ((a + b) % 3 == 0) ^ (random.NextDouble() < 0.1) ? 1 : 0;
            text.Append(CultureInfo.InvariantCulture, $"{label},a{a},b{b},c{random.Next(4)}\n");
        }
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }
}
