using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cascade.Ranking;
using Cascade.Ranking.Data;
using Cascade.Ranking.Metrics;
using Cascade.Ranking.Trees;
using Cascade.Trees.Bench;

// Benchmarks of the gradient-boosted trees ranker; bench/peers/gbdt.sh runs them beside XGBoost.
//   synthetic --out DIR [--rows 1000000] [--valid-rows 200000] [--features 50] [--seed 1] [--csv true]
//   train --data synthetic --dir DIR | --data frappe --dir FRAPPE_DIR [--export DIR] | --data csv --train A --valid B
//         [--trees 100] [--lr 0.1] [--max-depth 6] [--max-leaves 64] [--min-child-weight 1] [--min-data-in-leaf 1]
//         [--lambda 1] [--threads 2] [--early-stopping 0] [--metric logloss|auc] [--max-bin 255]
//   infer [--trees 100] [--max-depth 6] [--max-leaves 2^depth, 31 when depth is 0] [--features 50] [--train-rows 200000] [--rows 1000000] [--repeat 3]
//         [--categories 0]  (> 0: feature 0 becomes one categorical field of that many codes, so trees split on it)
try
{
    var arguments = ParseArguments([.. args.Skip(1)]);
    return args.FirstOrDefault() switch
    {
        "synthetic" => Synthetic(arguments),
        "train" => Train(arguments),
        "infer" => Infer(arguments),
        _ => Usage(),
    };
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Cascade.Trees.Bench synthetic|train|infer [--key value ...] (see the top of Program.cs and docs/rankers-gbdt.md)");
    return 2;
}

static int Synthetic(Dictionary<string, string> a)
{
    string dir = Get(a, "out", "");
    if (dir.Length == 0)
    {
        throw new ArgumentException("synthetic needs --out DIR.");
    }
    Directory.CreateDirectory(dir);
    int rows = Int(a, "rows", 1_000_000), validRows = Int(a, "valid-rows", 200_000), features = Int(a, "features", 50);
    ulong seed = (ulong)Int(a, "seed", 1);
    var sw = Stopwatch.StartNew();
    var train = SyntheticData.Generate(rows, features, seed);
    var valid = SyntheticData.Generate(validRows, features, seed + 1000);
    foreach (var (name, data) in new[] { ("train", train), ("valid", valid) })
    {
        SyntheticData.WriteF32(Path.Combine(dir, $"synth_{name}.f32"), data.Rows, features + 1, (r, c) => c == 0 ? data.Labels![r] : data.Numeric[(r * features) + c - 1]);
        if (Get(a, "csv", "true") == "true")
        {
            SyntheticData.WriteCsv(data, Path.Combine(dir, $"synth_{name}.csv"));
        }
    }
    File.WriteAllText(Path.Combine(dir, "synth_meta.json"), JsonSerializer.Serialize(new { features, train_rows = rows, valid_rows = validRows, seed }));
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        command = "synthetic",
        dir,
        train_rows = rows,
        valid_rows = validRows,
        features,
        positive_rate = train.Labels!.Average(),
        seconds = Math.Round(sw.Elapsed.TotalSeconds, 2),
    }));
    return 0;
}

static int Train(Dictionary<string, string> a)
{
    string kind = Get(a, "data", "synthetic");
    RankingDataset train, valid;
    switch (kind)
    {
        case "synthetic":
            {
                string dir = Get(a, "dir", "");
                var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "synth_meta.json"))).RootElement;
                int features = meta.GetProperty("features").GetInt32();
                train = SyntheticData.ReadF32(Path.Combine(dir, "synth_train.f32"), features);
                valid = SyntheticData.ReadF32(Path.Combine(dir, "synth_valid.f32"), features);
                break;
            }
        case "frappe":
            {
                string dir = Get(a, "dir", "");
                var vocabulary = CtrVocabulary.Build(Path.Combine(dir, "train_approx_seed2021.csv"));
                train = vocabulary.Read(Path.Combine(dir, "train_approx_seed2021.csv"));
                valid = vocabulary.Read(Path.Combine(dir, "valid.csv"));
                if (a.TryGetValue("export", out string? export))
                {
                    ExportCodes(export, train, valid);
                }
                break;
            }
        case "csv":
            {
                string trainPath = Get(a, "train", "");
                var header = File.ReadLines(trainPath).First().Split(',').Select(c => c.Trim()).ToArray();
                var vocabulary = CtrVocabulary.Build(trainPath, "label", [.. header.Where(c => c != "label")]);
                train = vocabulary.Read(trainPath);
                valid = vocabulary.Read(Get(a, "valid", ""));
                break;
            }
        default:
            throw new ArgumentException($"--data {kind} is not synthetic, frappe or csv.");
    }
    var options = new GbdtOptions
    {
        Trees = Int(a, "trees", 100),
        LearningRate = Real(a, "lr", 0.1),
        MaxDepth = Int(a, "max-depth", 6),
        MaxLeaves = Int(a, "max-leaves", 64),
        MinChildWeight = Real(a, "min-child-weight", 1),
        MinDataInLeaf = Int(a, "min-data-in-leaf", 1),
        L2 = Real(a, "lambda", 1),
        MaxBins = Int(a, "max-bin", 255),
        Threads = Int(a, "threads", 2),
        EarlyStoppingRounds = Int(a, "early-stopping", 0),
        Metric = Get(a, "metric", "logloss") == "auc" ? GbdtMetric.Auc : GbdtMetric.LogLoss,
        Seed = Int(a, "seed", 42),
        MinDataPerCategory = Int(a, "min-data-per-group", 10),
        CategorySmooth = Real(a, "cat-smooth", 10),
        CategoryL2 = Real(a, "cat-l2", 10),
        MaxCategoryThreshold = Int(a, "max-cat-threshold", 32),
        BinSampleRows = Int(a, "bin-sample", 1_000_000),
    };
    var model = new GradientBoostedTrees(options);
    var process = Process.GetCurrentProcess();
    var cpu0 = process.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var progress = Get(a, "verbose", "false") == "true"
        ? new Progress(p => Console.Error.WriteLine($"[{p.Step}] train {p.TrainLoss:F5} valid {p.ValidMetricName} {p.ValidMetric:F5}"))
        : null;
    model.Fit(train, valid, progress);
    double seconds = sw.Elapsed.TotalSeconds;
    process.Refresh();
    double cpuSeconds = (process.TotalProcessorTime - cpu0).TotalSeconds;
    var scores = new float[valid.Rows];
    model.Predict(valid, scores);
    var labels = valid.BinaryLabels();
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        implementation = "cascade",
        dataset = kind,
        train_rows = train.Rows,
        valid_rows = valid.Rows,
        features = train.Schema.FieldCount + train.Schema.NumericCount,
        threads = options.Threads,
        train_seconds = Math.Round(seconds, 3),
        train_cpu_seconds = Math.Round(cpuSeconds, 3),
        trees = model.TreeCount,
        rounds = model.RoundsTrained,
        valid_auc = Math.Round(ScoreMetrics.Auc(labels, scores), 5),
        valid_logloss = Math.Round(ScoreMetrics.LogLoss(labels, scores), 5),
        top_features = model.FeatureImportance().Take(5).Select(f => $"{f.Feature}:{f.Splits}:{f.Gain:F0}"),
    }));
    if (a.TryGetValue("save", out string? path))
    {
        model.Save(path);
    }
    return 0;
}

static int Infer(Dictionary<string, string> a)
{
    int features = Int(a, "features", 50);
    int trees = Int(a, "trees", 100);
    int depth = Int(a, "max-depth", 6);
    int categories = Int(a, "categories", 0);
    var train = WithCategory(SyntheticData.Generate(Int(a, "train-rows", 200_000), features, 7), categories);
    var model = new GradientBoostedTrees(new GbdtOptions
    {
        Trees = trees,
        MaxDepth = depth,
        MaxLeaves = Int(a, "max-leaves", depth > 0 ? 1 << depth : 31),
        MinDataInLeaf = 1,
        MinChildWeight = 0,
        LearningRate = 0.1,
        Threads = 2,
    });
    model.Fit(train);
    var data = WithCategory(SyntheticData.Generate(Int(a, "rows", 1_000_000), features, 8), categories);
    var scores = new float[data.Rows];
    model.Predict(data, scores); // warm-up (JIT tiers)
    double best = double.MaxValue, bestCpu = double.MaxValue;
    var process = Process.GetCurrentProcess();
    for (int i = 0; i < Int(a, "repeat", 3); i++)
    {
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        model.Predict(data, scores); // Predict runs on the calling thread only
        best = Math.Min(best, sw.Elapsed.TotalSeconds);
        process.Refresh();
        bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu0).TotalSeconds);
    }
    if (a.TryGetValue("export", out string? dir))
    {
        Directory.CreateDirectory(dir);
        SyntheticData.WriteF32(Path.Combine(dir, "infer_train.f32"), train.Rows, features + 1, (r, c) => c == 0 ? train.Labels![r] : train.Numeric[(r * features) + c - 1]);
        SyntheticData.WriteF32(Path.Combine(dir, "infer_rows.f32"), data.Rows, features + 1, (r, c) => c == 0 ? data.Labels![r] : data.Numeric[(r * features) + c - 1]);
    }
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        command = "infer",
        trees = model.TreeCount,
        max_depth = depth,
        features,
        categories,
        rows = data.Rows,
        threads = 1,
        seconds = Math.Round(best, 4),
        cpu_seconds = Math.Round(bestCpu, 4),
        rows_per_s_wall = Math.Round(data.Rows / best),
        rows_per_s_per_core = Math.Round(data.Rows / bestCpu),
    }));
    return 0;
}

// Moves feature 0 into one categorical field of buckets (its numeric value becomes missing), so the trees take categorical splits; 0 keeps the data.
static RankingDataset WithCategory(RankingDataset data, int categories)
{
    if (categories <= 0)
    {
        return data;
    }
    int width = data.Schema.NumericCount;
    var codes = new int[data.Rows];
    var numeric = (float[])data.Numeric.Clone();
    for (int r = 0; r < data.Rows; r++)
    {
        float x = numeric[r * width];
        numeric[r * width] = float.NaN;
        // A logistic squash of the feature onto codes 1 … categories, scrambled so the order of codes says nothing.
        int bucket = float.IsNaN(x) ? 0 : Math.Min(categories - 1, (int)(categories / (1 + Math.Exp(-x))));
        codes[r] = 1 + (int)((bucket * 2654435761L) % categories);
    }
    var schema = new FeatureSchema([new CategoricalField("bucket", categories + 1)], data.Schema.Numeric);
    return new RankingDataset(schema, data.Rows, codes, numeric, data.Labels);
}

static void ExportCodes(string dir, RankingDataset train, RankingDataset valid)
{
    Directory.CreateDirectory(dir);
    int fields = train.Schema.FieldCount;
    foreach (var (name, data) in new[] { ("train", train), ("valid", valid) })
    {
        SyntheticData.WriteF32(Path.Combine(dir, $"frappe_{name}.f32"), data.Rows, fields + 1, (r, c) => c == 0 ? data.Labels![r] : data.Categorical[(r * fields) + c - 1]);
    }
    File.WriteAllText(Path.Combine(dir, "frappe_meta.json"), JsonSerializer.Serialize(new
    {
        fields = train.Schema.Categorical.Select(f => f.Name),
        cardinality = train.Schema.Categorical.Select(f => f.Cardinality),
    }));
}

static Dictionary<string, string> ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (int i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
        {
            throw new ArgumentException($"expected --key value, got '{args[i]}'.");
        }
        result[args[i][2..]] = args[++i];
    }
    return result;
}

static string Get(Dictionary<string, string> a, string key, string fallback) => a.TryGetValue(key, out string? v) ? v : fallback;

static int Int(Dictionary<string, string> a, string key, int fallback) =>
    a.TryGetValue(key, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

static double Real(Dictionary<string, string> a, string key, double fallback) =>
    a.TryGetValue(key, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

/// <summary>Reports fitting progress synchronously (IProgress of the BCL posts to the thread pool).</summary>
internal sealed class Progress(Action<RankerProgress> report) : IProgress<RankerProgress>
{
    public void Report(RankerProgress value) => report(value);
}
