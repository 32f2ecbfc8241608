using System.Diagnostics;
using System.Globalization;
using Cascade.Ranking;
using Cascade.Ranking.Data;
using Cascade.Ranking.Metrics;
using Cascade.Ranking.Neural;

// Benchmarks of the DCN-v2 ranker (docs/parts/dcn.md):
//   frappe     --train F --valid F [--seeds 1,2,3] [--mincount 1] [--save model.bin] [--<dcnv2 parameter> value ...]
//   throughput [--train F] [--rows 100000] [--threads 1,2] [--epochs 1] [--<dcnv2 parameter> value ...]
//   latency    [--model F | --train F] [--candidates 500] [--iterations 2000] [--<dcnv2 parameter> value ...]
//   onnx       [--model F | --train F] [--candidates 500] [--iterations 1000] [--rounds 3] [--<dcnv2 parameter> value ...]
//              the same model scored natively and by the onnx ranker (its ONNX export), alternating, on one thread
// Any other --key value pair is passed to DcnV2Options.FromParameters (dim, cross, hidden, dropout, lr, batch, l2emb, …).
var culture = CultureInfo.InvariantCulture;
if (args.Length == 0 || args[0] is not ("frappe" or "throughput" or "latency" or "onnx"))
{
    Console.Error.WriteLine("usage: Cascade.Ranking.Bench frappe|throughput|latency|onnx [--train F] [--valid F] [--seeds 1,2,3] [--threads 1,2] [--model F] [--<dcnv2 parameter> value ...]");
    return 2;
}
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 1; i < args.Length; i += 2)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"expected '--key value' at '{args[i]}'");
        return 2;
    }
    options[args[i][2..]] = args[i + 1];
}
string? Take(string key) => options.Remove(key, out string? value) ? value : null;
int[] Ints(string? text, int[] fallback) => text is null ? fallback : [.. text.Split(',').Select(s => int.Parse(s, culture))];

Console.WriteLine($"# {string.Join(' ', args)}");
Console.WriteLine($"# {Environment.ProcessorCount} cores, Vector512 {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}, load average {LoadAverage()}");
switch (args[0])
{
    case "frappe":
        return Frappe();
    case "throughput":
        return Throughput();
    case "onnx":
        return Onnx();
    default:
        return Latency();
}

int Frappe()
{
    string train = Take("train") ?? throw new ArgumentException("frappe needs --train");
    string valid = Take("valid") ?? throw new ArgumentException("frappe needs --valid");
    int[] seeds = Ints(Take("seeds"), [1, 2, 3]);
    int minCount = int.Parse(Take("mincount") ?? "1", culture);
    string? save = Take("save");
    var clock = Stopwatch.StartNew();
    var vocabulary = CtrVocabulary.Build(train, minCount: minCount);
    var trainSet = vocabulary.Read(train);
    var validSet = vocabulary.Read(valid);
    Console.WriteLine($"# read {trainSet.Rows} train and {validSet.Rows} valid rows, {trainSet.Schema.FieldCount} fields, vocabulary {trainSet.Schema.TotalCardinality}, in {clock.Elapsed.TotalSeconds:F1} s");
    var aucs = new List<double>();
    var loglosses = new List<double>();
    foreach (int seed in seeds)
    {
        var model = new DeepCrossNetworkV2(DcnV2Options.FromParameters(options, seed));
        Console.WriteLine($"# seed {seed}: {Describe(model.Options)}");
        var epochClock = Stopwatch.StartNew();
        clock.Restart();
        model.Fit(trainSet, validSet, new ProgressReport(r =>
        {
            Console.WriteLine($"  epoch {r.Step,3}  train loss {r.TrainLoss:F5}  valid {r.ValidMetricName} {r.ValidMetric:F5}  {epochClock.Elapsed.TotalSeconds,6:F1} s  load {LoadAverage()}");
            epochClock.Restart();
        }));
        double seconds = clock.Elapsed.TotalSeconds;
        var scores = new float[validSet.Rows];
        model.Predict(validSet, scores);
        var labels = validSet.BinaryLabels();
        double auc = ScoreMetrics.Auc(labels, scores), logloss = ScoreMetrics.LogLoss(labels, scores);
        aucs.Add(auc);
        loglosses.Add(logloss);
        Console.WriteLine($"seed {seed}: valid AUC {auc:F4}  logloss {logloss:F4}  best epoch {model.BestEpoch} of {model.EpochsRun}  fit {seconds:F1} s  ({model.ParameterCount} parameters)  load {LoadAverage()}");
        if (save is not null && seed == seeds[0])
        {
            using var file = File.Create(save);
            model.Save(file);
        }
    }
    Console.WriteLine($"mean over {seeds.Length} seeds: AUC {aucs.Average():F4} ± {Sd(aucs):F4}  logloss {loglosses.Average():F4} ± {Sd(loglosses):F4}");
    return 0;
}

int Throughput()
{
    string? train = Take("train");
    int rows = int.Parse(Take("rows") ?? "100000", culture);
    int[] threads = Ints(Take("threads"), [1, 2]);
    int epochs = int.Parse(Take("epochs") ?? "1", culture);
    var data = train is null ? SyntheticFrappe(rows, 1) : CtrVocabulary.Build(train).Read(train);
    Console.WriteLine($"# {(train is null ? "synthetic Frappe-shaped" : train)}: {data.Rows} rows, {data.Schema.FieldCount} fields, {epochs} epoch(s), no validation");
    var warmUp = data.Select([.. Enumerable.Range(0, Math.Min(data.Rows, 8192))]);
    foreach (int t in threads)
    {
        var parameters = new Dictionary<string, string>(options) { ["threads"] = t.ToString(culture), ["epochs"] = "1" };
        new DeepCrossNetworkV2(DcnV2Options.FromParameters(parameters, 1)).Fit(warmUp);
        parameters["epochs"] = epochs.ToString(culture);
        var model = new DeepCrossNetworkV2(DcnV2Options.FromParameters(parameters, 1));
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        model.Fit(data);
        double seconds = clock.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        Console.WriteLine($"threads {t}: {(double)data.Rows * epochs / seconds,10:F0} training examples/s wall, {(double)data.Rows * epochs / cpuSeconds,10:F0} per CPU-second  ({seconds:F1} s wall, {cpuSeconds:F1} s CPU for {epochs} epoch(s) of {data.Rows} rows, batch {model.Options.BatchSize})  load {LoadAverage()}");
    }
    return 0;
}

int Latency()
{
    int candidates = int.Parse(Take("candidates") ?? "500", culture);
    int iterations = int.Parse(Take("iterations") ?? "2000", culture);
    var (model, request) = RequestModel(candidates);
    var scores = new float[candidates];
    for (int i = 0; i < 200; i++)
    {
        model.Predict(request, scores);
    }
    var micros = new double[iterations];
    long allocated = GC.GetAllocatedBytesForCurrentThread();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    for (int i = 0; i < iterations; i++)
    {
        long start = Stopwatch.GetTimestamp();
        model.Predict(request, scores);
        micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
    allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
    double cpuMicros = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / iterations;
    Array.Sort(micros);
    Console.WriteLine($"score {candidates} candidates, calling thread only, {iterations} requests after 200 warm-up: p50 {micros[iterations / 2]:F0} µs  p99 {micros[(int)(iterations * 0.99)]:F0} µs  mean {micros.Average():F0} µs  CPU {cpuMicros:F0} µs/request  allocated {allocated / (double)iterations:F0} B/request  load {LoadAverage()}");
    Console.WriteLine($"# model: {model.ParameterCount} parameters, hidden [{string.Join(",", model.Options.HiddenUnits)}], {model.Options.CrossLayers} cross layers, dim {model.Options.EmbeddingDimension}");
    return 0;
}

// The native DCN-v2 and the onnx ranker over its export score the same request, in alternating rounds (so both see
// the same load), each round `iterations` requests on the calling thread; the best round of each is reported.
int Onnx()
{
    int candidates = int.Parse(Take("candidates") ?? "500", culture);
    int iterations = int.Parse(Take("iterations") ?? "1000", culture);
    int rounds = int.Parse(Take("rounds") ?? "3", culture);
    var (model, request) = RequestModel(candidates);
    string path = Path.Combine(Path.GetTempPath(), $"cascade-bench-{Environment.ProcessId}.onnx");
    using (var file = File.Create(path))
    {
        model.ExportOnnx(file);
    }
    using var onnx = new Cascade.Ranking.Onnx.OnnxRanker(Cascade.Ranking.Onnx.OnnxRankerOptions.FromParameters(new Dictionary<string, string> { ["model"] = path, ["threads"] = "1" }));
    onnx.Fit(request);
    File.Delete(path);
    var native = new float[candidates];
    var exported = new float[candidates];
    model.Predict(request, native);
    onnx.Predict(request, exported);
    float maxDifference = 0;
    for (int i = 0; i < candidates; i++)
    {
        maxDifference = Math.Max(maxDifference, Math.Abs(native[i] - exported[i]));
    }
    IRanker[] rankers = [model, onnx];
    var best = new (double Wall, double Cpu)[] { (double.MaxValue, double.MaxValue), (double.MaxValue, double.MaxValue) };
    for (int k = 0; k < 2; k++)
    {
        for (int i = 0; i < 200; i++)
        {
            rankers[k].Predict(request, native);
        }
    }
    for (int round = 0; round < rounds; round++)
    {
        for (int k = 0; k < 2; k++)
        {
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++)
            {
                rankers[k].Predict(request, native);
            }
            double wall = clock.Elapsed.TotalSeconds;
            process.Refresh();
            double cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
            best[k] = (Math.Min(best[k].Wall, wall), Math.Min(best[k].Cpu, cpuSeconds));
            Console.WriteLine($"# round {round + 1} {rankers[k].Name}: {(double)candidates * iterations / wall:F0} rows/s wall, {(double)candidates * iterations / cpuSeconds:F0} rows/s per CPU-second  load {LoadAverage()}");
        }
    }
    double rows = (double)candidates * iterations;
    Console.WriteLine($"score {candidates} candidates, one thread, best of {rounds} rounds of {iterations} requests: native dcnv2 {rows / best[0].Wall:F0} rows/s wall ({rows / best[0].Cpu:F0} per CPU-second, {best[0].Cpu / iterations * 1e6:F0} µs CPU/request); " +
        $"onnx ranker {rows / best[1].Wall:F0} rows/s wall ({rows / best[1].Cpu:F0} per CPU-second, {best[1].Cpu / iterations * 1e6:F0} µs CPU/request); onnx/native CPU time {best[1].Cpu / best[0].Cpu:F2}; max |native − onnx| {maxDifference:E2}; load {LoadAverage()}");
    Console.WriteLine($"# model: {model.ParameterCount} parameters, hidden [{string.Join(",", model.Options.HiddenUnits)}], {model.Options.CrossLayers} cross layers, dim {model.Options.EmbeddingDimension}");
    return 0;
}

// A saved-and-reloaded DCN-v2 (loaded from --model, or fitted one epoch on --train or on synthetic Frappe-shaped rows)
// and one request of `candidates` rows from its data.
(DeepCrossNetworkV2 Model, RankingDataset Request) RequestModel(int candidates)
{
    string? modelPath = Take("model");
    string? train = Take("train");
    DeepCrossNetworkV2 model;
    RankingDataset source;
    if (modelPath is not null)
    {
        using var file = File.OpenRead(modelPath);
        model = DeepCrossNetworkV2.Load(file);
        source = train is null ? SyntheticFor(model.Schema!, candidates * 4, 2) : CtrVocabulary.Build(train).Read(train);
    }
    else
    {
        source = train is null ? SyntheticFrappe(50_000, 2) : CtrVocabulary.Build(train).Read(train);
        var parameters = new Dictionary<string, string>(options) { ["epochs"] = "1" };
        model = new DeepCrossNetworkV2(DcnV2Options.FromParameters(parameters, 1));
        model.Fit(source);
    }
    // A request of up to 512 rows is scored on the calling thread (DcnV2InferenceBuffers.BlockRows = 256, two blocks).
    using (var buffer = new MemoryStream())
    {
        model.Save(buffer);
        buffer.Position = 0;
        model = DeepCrossNetworkV2.Load(buffer);
    }
    return (model, source.Select([.. Enumerable.Range(0, candidates).Select(i => (i * 7919) % source.Rows)]));
}

static RankingDataset SyntheticFrappe(int rows, int seed)
{
    // Frappe's ten fields and their cardinalities (plus code 0), labels from a random cross of user and item.
    int[] cardinalities = [958, 4083, 8, 8, 3, 4, 3, 10, 81, 234];
    var schema = new FeatureSchema([.. cardinalities.Select((c, f) => new CategoricalField($"f{f}", c))], []);
    return SyntheticFor(schema, rows, seed);
}

static RankingDataset SyntheticFor(FeatureSchema schema, int rows, int seed)
{
    var random = new Random(seed);
    int fields = schema.FieldCount;
    var codes = new int[rows * fields];
    var numeric = new float[rows * schema.NumericCount];
    var labels = new float[rows];
    for (int r = 0; r < rows; r++)
    {
        for (int f = 0; f < fields; f++)
        {
            codes[(r * fields) + f] = random.Next(schema.Categorical[f].Cardinality);
        }
        labels[r] = (codes[r * fields] + codes[Math.Min(1, fields - 1) + (r * fields)]) % 3 == 0 ? 1 : 0;
    }
    return new RankingDataset(schema, rows, codes, numeric, labels);
}

static string Describe(DcnV2Options o) =>
    $"dim {o.EmbeddingDimension}, cross {o.CrossLayers}, hidden [{string.Join("-", o.HiddenUnits)}], {o.Structure}, bn {o.BatchNorm}, dropout {o.Dropout}, lr {o.LearningRate}, batch {o.BatchSize}, l2emb {o.EmbeddingL2}, l2table {o.EmbeddingTableL2}, wd {o.WeightDecay}, initstd {o.EmbeddingInitStd}, patience {o.Patience}, lrdecay {o.LearningRateDecay}, metric {o.StoppingMetric}, threads {o.Threads}";

static double Sd(List<double> values)
{
    double mean = values.Average();
    return values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
}

static string LoadAverage()
{
    try
    {
        return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
    }
    catch (IOException)
    {
        return "n/a";
    }
}

/// <summary>Reports progress on the fitting thread.</summary>
internal sealed class ProgressReport(Action<RankerProgress> action) : IProgress<RankerProgress>
{
    public void Report(RankerProgress value) => action(value);
}
