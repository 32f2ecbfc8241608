using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Cascade.Peers.Bench;
using Cascade.Ranking.Metrics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

// Gradient-boosted-tree peers inside .NET, on the float32 files Cascade.Trees.Bench writes (label, then the features,
// row-major) — the same arrays bench/peers/gbdt.sh gives Cascade and XGBoost — with the same settings: rounds, depth 6
// (64 leaves), learning rate 0.1, L2 1, min child weight 1, 255 bins, 2 threads. One JSON line per peer.
//   gbdt --data synthetic|frappe --dir DIR [--trees 100] [--threads 2] [--peers lightgbm,mlnet-lightgbm,mlnet-fasttree]
// Train seconds are wall-clock around dataset construction (binning) plus boosting; loading the files is not timed.
// AUC and logloss are Cascade's ScoreMetrics, as for Cascade's own row.
try
{
    var a = ParseArguments([.. args.Skip(1)]);
    if (args.FirstOrDefault() != "gbdt")
    {
        Console.Error.WriteLine("usage: Cascade.Peers.Bench gbdt --data synthetic|frappe --dir DIR [--trees 100] [--threads 2] [--peers lightgbm,mlnet-lightgbm,mlnet-fasttree]");
        return 2;
    }
    string kind = Get(a, "data", "synthetic"), dir = Get(a, "dir", "");
    int trees = int.Parse(Get(a, "trees", "100"), CultureInfo.InvariantCulture);
    int threads = int.Parse(Get(a, "threads", "2"), CultureInfo.InvariantCulture);
    var (train, valid, categorical) = Load(kind, dir);
    foreach (string peer in Get(a, "peers", "lightgbm,mlnet-lightgbm,mlnet-fasttree").Split(','))
    {
        var result = peer switch
        {
            "lightgbm" => RunLightGbm(train, valid, categorical, trees, threads),
            "mlnet-lightgbm" or "mlnet-fasttree" => RunMlNet(train, valid, peer, categorical, trees, threads),
            _ => throw new ArgumentException($"--peers: '{peer}' is not lightgbm, mlnet-lightgbm or mlnet-fasttree."),
        };
        Console.WriteLine(JsonSerializer.Serialize(result with { Dataset = kind }));
    }
    return 0;
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static (Matrix Train, Matrix Valid, bool Categorical) Load(string kind, string dir)
{
    string prefix = kind switch
    {
        "synthetic" => "synth",
        "frappe" => "frappe",
        _ => throw new ArgumentException($"--data {kind} is not synthetic or frappe."),
    };
    using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, $"{prefix}_meta.json")));
    int columns = kind == "synthetic" ? meta.RootElement.GetProperty("features").GetInt32() : meta.RootElement.GetProperty("fields").GetArrayLength();
    return (Matrix.Read(Path.Combine(dir, $"{prefix}_train.f32"), columns), Matrix.Read(Path.Combine(dir, $"{prefix}_valid.f32"), columns), kind == "frappe");
}

static PeerResult RunLightGbm(Matrix train, Matrix valid, bool categorical, int trees, int threads)
{
    string inv = string.Create(CultureInfo.InvariantCulture, $"num_threads={threads} verbose=-1");
    // Frappe's fields are categorical codes: LightGBM's native categorical splits with the settings Cascade uses.
    string datasetParameters = $"max_bin=255 {inv}" + (categorical
        ? $" categorical_feature={string.Join(',', Enumerable.Range(0, train.Columns))} max_cat_to_onehot=4 max_cat_threshold=32 cat_smooth=10 cat_l2=10 min_data_per_group=10"
        : "");
    string boosterParameters = string.Create(CultureInfo.InvariantCulture,
        $"objective=binary boost_from_average=true num_leaves=64 max_depth=6 learning_rate=0.1 lambda_l2=1 min_sum_hessian_in_leaf=1 min_data_in_leaf=1 max_bin=255 {inv}")
        + (categorical ? " max_cat_to_onehot=4 max_cat_threshold=32 cat_smooth=10 cat_l2=10 min_data_per_group=10" : "");
    var (booster, wall, cpu) = Timed(() => LightGbmNative.Train(train.Features, train.Labels, train.Rows, train.Columns, datasetParameters, boosterParameters, trees));
    try
    {
        float[] scores = LightGbmNative.Predict(booster, valid.Features, valid.Rows, valid.Columns, inv);
        return Result("lightgbm (C API)", wall, cpu, trees, valid, scores);
    }
    finally
    {
        LightGbmNative.Free(booster);
    }
}

// ML.NET's trainers take Frappe's codes as numbers. FastTree skips every training row with a missing value
// (dotnet/machinelearning#732), about 40% of the synthetic set, which has 5% NaN in 10 features.
static PeerResult RunMlNet(Matrix train, Matrix valid, string peer, bool categorical, int trees, int threads)
{
    var ml = new MLContext(seed: 1);
    var trainView = ml.Data.LoadFromEnumerable(train.AsRows(), SchemaOf(train.Columns));
    var validView = ml.Data.LoadFromEnumerable(valid.AsRows(), SchemaOf(valid.Columns));
    IEstimator<ITransformer> trainer = peer == "mlnet-fasttree"
        ? ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            NumberOfTrees = trees,
            NumberOfLeaves = 64,
            LearningRate = 0.1,
            MinimumExampleCountPerLeaf = 1,
            MaximumBinCountPerFeature = 255,
            NumberOfThreads = threads,
        })
        : ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
        {
            NumberOfIterations = trees,
            NumberOfLeaves = 64,
            LearningRate = 0.1,
            MinimumExampleCountPerLeaf = 1,
            MaximumBinCountPerFeature = 255,
            NumberOfThreads = threads,
            Verbose = false,
            Silent = true,
            Sigmoid = 1, // ML.NET's default 0.5 scales the logistic loss, unlike LightGBM's own default

            Booster = new GradientBooster.Options { L2Regularization = 1, MinimumChildWeight = 1, MaximumTreeDepth = 6 },
        });
    var (model, wall, cpu) = Timed(() => trainer.Fit(trainView));
    float[] scores = [.. model.Transform(validView).GetColumn<float>("Probability")];
    string name = (peer == "mlnet-fasttree" ? "ml.net FastTree" : "ml.net LightGbm") + (categorical ? " (codes as numbers)" : "");
    return Result(name, wall, cpu, trees, valid, scores);
}

static SchemaDefinition SchemaOf(int columns)
{
    var schema = SchemaDefinition.Create(typeof(Row));
    schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, columns);
    return schema;
}

static (T Value, double Wall, double Cpu) Timed<T>(Func<T> run)
{
    var process = Process.GetCurrentProcess();
    var cpu0 = process.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var value = run();
    double wall = sw.Elapsed.TotalSeconds;
    process.Refresh();
    return (value, wall, (process.TotalProcessorTime - cpu0).TotalSeconds);
}

static PeerResult Result(string name, double wall, double cpu, int trees, Matrix valid, float[] scores)
{
    bool[] labels = [.. valid.Labels.Select(l => l > 0.5f)];
    return new PeerResult(name, "", Math.Round(wall, 3), Math.Round(cpu, 3), trees,
        Math.Round(ScoreMetrics.Auc(labels, scores), 5), Math.Round(ScoreMetrics.LogLoss(labels, scores), 5));
}

static Dictionary<string, string> ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (int i = 0; i + 1 < args.Length; i += 2)
    {
        result[args[i].TrimStart('-')] = args[i + 1];
    }
    return result;
}

static string Get(Dictionary<string, string> a, string key, string fallback) => a.TryGetValue(key, out string? v) ? v : fallback;

/// <summary>One peer's figures, named as gbdt.sh's other rows.</summary>
internal sealed record PeerResult(
    [property: System.Text.Json.Serialization.JsonPropertyName("implementation")] string Implementation,
    [property: System.Text.Json.Serialization.JsonPropertyName("dataset")] string Dataset,
    [property: System.Text.Json.Serialization.JsonPropertyName("train_seconds")] double TrainSeconds,
    [property: System.Text.Json.Serialization.JsonPropertyName("train_cpu_seconds")] double TrainCpuSeconds,
    [property: System.Text.Json.Serialization.JsonPropertyName("trees")] int Trees,
    [property: System.Text.Json.Serialization.JsonPropertyName("valid_auc")] double ValidAuc,
    [property: System.Text.Json.Serialization.JsonPropertyName("valid_logloss")] double ValidLogLoss);

/// <summary>One row as ML.NET reads it.</summary>
internal sealed class Row
{
    public bool Label { get; set; }

    public float[] Features { get; set; } = [];
}

/// <summary>A float32 file of rows (label, then the columns), as Cascade.Trees.Bench writes it.</summary>
internal sealed class Matrix(float[] features, float[] labels, int rows, int columns)
{
    public float[] Features { get; } = features;

    public float[] Labels { get; } = labels;

    public int Rows { get; } = rows;

    public int Columns { get; } = columns;

    public static Matrix Read(string path, int columns)
    {
        var all = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path));
        int width = columns + 1, rows = all.Length / width;
        var features = new float[(long)rows * columns];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = all[r * width];
            all.Slice((r * width) + 1, columns).CopyTo(features.AsSpan(r * columns, columns));
        }
        return new Matrix(features, labels, rows, columns);
    }

    /// <summary>The rows as ML.NET objects (built lazily, as ML.NET enumerates them during training).</summary>
    public IEnumerable<Row> AsRows()
    {
        for (int r = 0; r < Rows; r++)
        {
            yield return new Row { Label = Labels[r] > 0.5f, Features = Features.AsSpan(r * Columns, Columns).ToArray() };
        }
    }
}
