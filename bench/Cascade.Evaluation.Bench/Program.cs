using System.Diagnostics;
using System.Globalization;
using Cascade.Evaluation.Data;
using Cascade.Evaluation.Reporting;
using Cascade.Evaluation.Running;
using Cascade.Evaluation.Splitting;
using Cascade.Models;
using Cascade.Pipeline;

// Usage (paths default from CASCADE_DATA, else ../shared/data relative to the working directory):
//   evaluate --train F --test F | --data F --split S   --models m1 m2 … [--k 10] [--seed 42] [--output F.json] [--report F.md]
//   seeds    --data F --split S --models m1 … --seeds 1,2,3,4,5 [--k 10]
//   cv       --data F --models mf … [--folds 5] [--seed 42]
//   tune     --train F --test F | --data F --split S   --models m [--budget-seconds 300] [--validation S] [--trials 200]
//   inverse  --train F --test F [--lambda 500]   (EASE's inverse: SymmetricInverse against MathNet)
//   machine | speed | twotower | memory            (retrieval models; see RetrievalBench.cs and docs/benchmarks.md)
//   movielens-items --dir D --output F.jsonl       MovieLens movies as JSON Lines in the API's item shape (genres as
//                                                   categories, release date as createdAt), for `pipeline:…,items=F.jsonl`
//   embeddings --dir D [--events 10000000 --users 200000 --items 150000 --clusters 200 --queries 10000 --model als:…]
//                                                   ANN data set (b): trained item vectors + user queries as .fvecs
var catalog = new ModelCatalog([PipelineConfiguration.ModelFactory]); // `--models pipeline:config=F.json`
var arguments = Parse(args);
string command = args.Length > 0 ? args[0] : "help";
int k = arguments.TryGetValue("k", out var kv) ? int.Parse(kv[0], CultureInfo.InvariantCulture) : 10;
int seed = arguments.TryGetValue("seed", out var sv) ? int.Parse(sv[0], CultureInfo.InvariantCulture) : 42;
string[] models = arguments.TryGetValue("models", out var mv) ? mv : ["mostpop", "sar"];
var options = new EvaluationOptions { K = k };
string commandLine = "dotnet run -c Release --project bench/Cascade.Evaluation.Bench -- " + string.Join(' ', args);

switch (command)
{
    case "evaluate":
        {
            var request = Request();
            var report = EvaluationJob.Run(request, catalog: catalog);
            Console.WriteLine(ReportWriter.FormatTable(report));
            if (arguments.TryGetValue("output", out var output))
            {
                using var stream = File.Create(output[0]);
                ReportWriter.WriteJson(stream, report.Results);
            }
            if (arguments.TryGetValue("report", out var md))
            {
                File.WriteAllText(md[0], ReportWriter.FormatMarkdown(report, commandLine));
            }
            break;
        }
    case "seeds":
        {
            int[] seeds = arguments["seeds"][0].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            var perModel = new Dictionary<string, List<ModelResult>>();
            foreach (int s in seeds)
            {
                var report = EvaluationJob.Run(Request() with { Seed = s }, catalog: catalog);
                Console.WriteLine($"seed {s}");
                Console.WriteLine(ReportWriter.FormatTable(report));
                foreach (var r in report.Results)
                {
                    (perModel.TryGetValue(r.Model, out var list) ? list : perModel[r.Model] = []).Add(r);
                }
            }
            string[] metrics = ["map", $"ndcg@{k}", $"precision@{k}", $"recall@{k}"];
            Console.WriteLine($"| model | {string.Join(" | ", metrics)} |");
            Console.WriteLine($"|---|{string.Concat(metrics.Select(_ => "---|"))}");
            foreach (var (model, results) in perModel)
            {
                var cells = metrics.Select(m =>
                {
                    double[] v = results.Select(r => r[m]).ToArray();
                    double mean = v.Average();
                    double sd = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, v.Length - 1));
                    return $"{mean:0.0000} ± {sd:0.0000}";
                });
                Console.WriteLine($"| {model} | {string.Join(" | ", cells)} |");
            }
            break;
        }
    case "cv":
        {
            int folds = arguments.TryGetValue("folds", out var fv) ? int.Parse(fv[0], CultureInfo.InvariantCulture) : 5;
            var data = InteractionData.Load(arguments["data"][0]);
            int[] rows = data.AllRows();
            new Random(seed).Shuffle(rows);
            foreach (string m in models)
            {
                var rmse = new List<double>();
                var mae = new List<double>();
                var clock = Stopwatch.StartNew();
                for (int f = 0; f < folds; f++)
                {
                    var test = rows.Where((_, i) => i % folds == f).Order().ToArray();
                    var train = rows.Where((_, i) => i % folds != f).Order().ToArray();
                    var set = EvaluationSet.Create(data, new DataSplit(train, test));
                    var result = EvaluationRunner.Evaluate(catalog.Create(ModelSpec.Parse(m), seed + f), m, set, options with { BeyondAccuracy = false });
                    rmse.Add(result["rmse"]);
                    mae.Add(result["mae"]);
                    Console.WriteLine($"{m} fold {f + 1}: RMSE {result["rmse"]:0.0000} MAE {result["mae"]:0.0000} (test users with train data {set.Users.Length}, test rows of cold users {set.ColdTestRows})");
                }
                Console.WriteLine($"{m}: RMSE {rmse.Average():0.0000} ± {Sd(rmse):0.0000}, MAE {mae.Average():0.0000} ± {Sd(mae):0.0000} over {folds} folds, {clock.Elapsed.TotalSeconds:0.0} s");
            }
            break;
        }
    case "tune":
        {
            var request = Request();
            var (data, split) = EvaluationJob.Load(request);
            double budget = arguments.TryGetValue("budget-seconds", out var bv) ? double.Parse(bv[0], CultureInfo.InvariantCulture) : 300;
            var tuning = new TuningOptions
            {
                Budget = TimeSpan.FromSeconds(budget),
                Seed = seed,
                ValidationSplit = arguments.TryGetValue("validation", out var vv) ? vv[0] : "stratified-item:0.75",
                MaxTrials = arguments.TryGetValue("trials", out var tv) ? int.Parse(tv[0], CultureInfo.InvariantCulture) : 200,
                Evaluation = options with { BeyondAccuracy = false },
            };
            var bestSpecs = new List<string>();
            foreach (string m in models)
            {
                var result = HyperParameterSearch.Search(data, split.Train, ModelSpec.Parse(m), tuning,
                    t => Console.WriteLine($"  {t.Spec}: validation {t.Score:0.000000} ({t.Seconds:0.0} s)"), catalog);
                Console.WriteLine($"{m}: best on validation {result.Metric} = {result.BestScore:0.000000} with {result.Best} after {result.Trials.Count} trials");
                bestSpecs.Add(result.Best.ToString());
            }
            var report = EvaluationJob.Run(request with { Models = bestSpecs }, catalog: catalog);
            Console.WriteLine("Test-set results of the configurations chosen on validation:");
            Console.WriteLine(ReportWriter.FormatTable(report));
            break;
        }
    case "inverse":
        {
            // EASE's O(n³) step on the real Gram matrix: our SIMD Gauss–Jordan against MathNet's managed Cholesky solve.
            var (data, split) = EvaluationJob.Load(Request());
            var train = data.ToMatrix(split.Train);
            var lambda = arguments.TryGetValue("lambda", out var lv) ? double.Parse(lv[0], CultureInfo.InvariantCulture) : 500;
            int n = train.Columns;
            var gram = new double[n * n];
            var byItem = train.Transpose();
            for (int i = 0; i < n; i++)
            {
                foreach (int u in byItem.RowIndices(i))
                {
                    foreach (int j in train.RowIndices(u))
                    {
                        gram[(i * n) + j] += 1;
                    }
                }
                gram[(i * n) + i] += lambda;
            }
            var clock = Stopwatch.StartNew();
            var reference = new MathNet.Numerics.LinearAlgebra.Double.DenseMatrix(n, n, (double[])gram.Clone()).Cholesky()
                .Solve(MathNet.Numerics.LinearAlgebra.Double.DenseMatrix.CreateIdentity(n));
            double mathNetSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            Cascade.Models.Linear.SymmetricInverse.InvertInPlace(gram, n);
            double ownSeconds = clock.Elapsed.TotalSeconds;
            double maxDifference = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    maxDifference = Math.Max(maxDifference, Math.Abs(reference[i, j] - gram[(i * n) + j]));
                }
            }
            Console.WriteLine($"n = {n}, lambda = {lambda}: MathNet Cholesky solve {mathNetSeconds:0.00} s, SymmetricInverse {ownSeconds:0.00} s, max |difference| {maxDifference:E2}");
            break;
        }
    case "movielens-items":
        {
            // The same reader as `cascade import movielens`, so the offline pipeline sees the attributes the served one does.
            var movies = Cascade.Tooling.MovieLens.Open(arguments["dir"][0]).Items().ToList();
            var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
            File.WriteAllLines(arguments["output"][0], movies.Select(m => System.Text.Json.JsonSerializer.Serialize(m, json)));
            Console.WriteLine($"{movies.Count} items written to {arguments["output"][0]}");
            break;
        }
    case "machine" or "speed" or "twotower" or "memory" or "embeddings":
        RetrievalBench.Run(command, arguments);
        break;
    default:
        Console.WriteLine("commands: evaluate, seeds, cv, tune, inverse, movielens-items, machine, speed, twotower, memory, embeddings (see Program.cs)");
        break;
}

EvaluationRequest Request() => new()
{
    TrainPath = arguments.TryGetValue("train", out var t) ? t[0] : null,
    TestPath = arguments.TryGetValue("test", out var te) ? te[0] : null,
    DataPath = arguments.TryGetValue("data", out var d) ? d[0] : null,
    Split = arguments.TryGetValue("split", out var sp) ? sp[0] : "stratified-item:0.75",
    Models = models,
    Seed = seed,
    Options = options,
};

static double Sd(List<double> v)
{
    double mean = v.Average();
    return Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, v.Count - 1));
}

static Dictionary<string, string[]> Parse(string[] args)
{
    var result = new Dictionary<string, string[]>();
    string dataRoot = Environment.GetEnvironmentVariable("CASCADE_DATA") ?? Path.Combine("..", "shared", "data");
    for (int i = 1; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal))
        {
            continue;
        }
        var values = new List<string>();
        while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            values.Add(args[++i].Replace("$CASCADE_DATA", dataRoot, StringComparison.Ordinal));
        }
        result[args[i - values.Count][2..]] = [.. values];
    }
    return result;
}
