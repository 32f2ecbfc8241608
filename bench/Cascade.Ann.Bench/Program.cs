using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Cascade.Ann;
using Cascade.Ann.Bench;

// Commands (all figures printed as "RESULT key=value ..." lines that bench/peers/ann_table.py turns into a table):
//   gen   --dir D --n N --queries Q --dim d --clusters C --seed S   Gaussian-mixture base.fvecs and query.fvecs
//   truth --dir D --k K                                            exact top-K with FlatIndex on all cores -> truth.ivecs
//   run   --dir D --m M --efc E --efs 10,20,.. --threads T [--repeats R]  build our HNSW, measure recall@K / QPS (best of R) / memory
//   unit  --from D --dir D2 [--drop 1]                             rows of D's base/query .fvecs without their last --drop
//                                                                  components, scaled to unit length (cosine as L2), into D2
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var opts = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 1; i + 1 < args.Length; i += 2)
{
    opts[args[i].TrimStart('-')] = args[i + 1];
}
string Get(string key, string fallback) => opts.TryGetValue(key, out string? v) ? v : fallback;
int GetInt(string key, int fallback) => int.Parse(Get(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
string dir = Get("dir", ".");
string command = args.Length > 0 ? args[0] : "help";

switch (command)
{
    case "gen":
        Generate(dir, GetInt("n", 1_000_000), GetInt("queries", 10_000), GetInt("dim", 64), GetInt("clusters", 1000), GetInt("seed", 42));
        break;
    case "truth":
        Truth(dir, GetInt("k", 10));
        break;
    case "unit":
        Unit(Get("from", "."), dir, GetInt("drop", 0));
        break;
    case "run":
        Run(dir, GetInt("m", 16), GetInt("efc", 200), Get("efs", "10,20,40,80,160"), GetInt("threads", Environment.ProcessorCount), GetInt("k", 10), Get("metric", "l2"), GetInt("repeats", 3));
        break;
    default:
        Console.Error.WriteLine("usage: Cascade.Ann.Bench gen|truth|run --dir DIR [options]; see bench/peers/ann.sh");
        Environment.Exit(2);
        break;
}

static void Generate(string dir, int n, int queries, int dim, int clusters, int seed)
{
    Directory.CreateDirectory(dir);
    var rng = new Random(seed);
    var centers = new float[clusters * dim];
    for (int i = 0; i < centers.Length; i++)
    {
        centers[i] = Gaussian(rng);
    }
    // Per-cluster spread varies (0.2 … 0.6) so clusters differ in density, as real embedding clusters do.
    var spread = new float[clusters];
    for (int c = 0; c < clusters; c++)
    {
        spread[c] = 0.2f + 0.4f * (float)rng.NextDouble();
    }
    float[] Sample(int count)
    {
        var data = new float[(long)count * dim];
        for (int i = 0; i < count; i++)
        {
            int c = rng.Next(clusters);
            for (int d = 0; d < dim; d++)
            {
                data[(long)i * dim + d] = centers[c * dim + d] + spread[c] * Gaussian(rng);
            }
        }
        return data;
    }
    VectorFiles.WriteFvecs(Path.Combine(dir, "base.fvecs"), Sample(n), dim);
    VectorFiles.WriteFvecs(Path.Combine(dir, "query.fvecs"), Sample(queries), dim);
    Console.WriteLine($"generated n={n} queries={queries} dim={dim} clusters={clusters} seed={seed} in {dir}");
}

static float Gaussian(Random rng)
{
    double u1 = 1.0 - rng.NextDouble();
    double u2 = rng.NextDouble();
    return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
}

// Turns a model's exported maximum-inner-product vectors (Cascade.Evaluation.Bench embeddings) into the cosine
// workload of item-to-item similarity and normalised retrieval: on unit vectors the L2 order is the cosine order.
static void Unit(string from, string dir, int drop)
{
    Directory.CreateDirectory(dir);
    foreach (string name in new[] { "base.fvecs", "query.fvecs" })
    {
        float[] rows = VectorFiles.ReadFvecs(Path.Combine(from, name), out int dim);
        int kept = dim - drop;
        if (kept < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(drop), drop, $"--drop {drop} leaves no component of {dim}.");
        }
        int n = rows.Length / dim;
        var result = new float[(long)n * kept];
        for (int r = 0; r < n; r++)
        {
            Span<float> row = result.AsSpan(r * kept, kept);
            rows.AsSpan(r * dim, kept).CopyTo(row);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            if (norm > 0)
            {
                System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
            }
        }
        VectorFiles.WriteFvecs(Path.Combine(dir, name), result, kept);
        Console.WriteLine($"{name}: {n} rows of {dim} → {kept} components, unit length, in {dir}");
    }
}

static DistanceMetric ParseMetric(string metric) => metric switch
{
    "ip" => DistanceMetric.InnerProduct,
    "cosine" => DistanceMetric.Cosine,
    _ => DistanceMetric.L2,
};

static void Truth(string dir, int k)
{
    float[] data = VectorFiles.ReadFvecs(Path.Combine(dir, "base.fvecs"), out int dim);
    float[] queries = VectorFiles.ReadFvecs(Path.Combine(dir, "query.fvecs"), out _);
    var flat = new FlatIndex(dim, DistanceMetric.L2, data.Length / dim);
    flat.AddRange(data);
    int q = queries.Length / dim;
    var results = new Neighbor[q * k];
    var sw = Stopwatch.StartNew();
    flat.SearchBatch(queries, results);
    sw.Stop();
    var ids = new int[q * k];
    for (int i = 0; i < ids.Length; i++)
    {
        ids[i] = results[i].Id;
    }
    VectorFiles.WriteIvecs(Path.Combine(dir, "truth.ivecs"), ids, k);
    Console.WriteLine($"RESULT engine=flat kind=truth queries={q} seconds={sw.Elapsed.TotalSeconds:F2} qps={q / sw.Elapsed.TotalSeconds:F1}");
}

static void Run(string dir, int m, int efc, string efList, int threads, int k, string metric, int repeats)
{
    float[] data = VectorFiles.ReadFvecs(Path.Combine(dir, "base.fvecs"), out int dim);
    float[] queries = VectorFiles.ReadFvecs(Path.Combine(dir, "query.fvecs"), out _);
    int[] truth = VectorFiles.ReadIvecs(Path.Combine(dir, "truth.ivecs"), out int truthWidth);
    int n = data.Length / dim;
    int q = queries.Length / dim;
    Console.WriteLine($"# cascade: n={n} dim={dim} queries={q} M={m} efConstruction={efc} build threads={threads} Vector512={Vector512.IsHardwareAccelerated}");

    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    long rssBefore = VectorFiles.ResidentBytes();
    TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var index = new HnswIndex(dim, ParseMetric(metric), new HnswOptions { M = m, EfConstruction = efc, MaxDegreeOfParallelism = threads }, n);
    index.AddRange(data);
    sw.Stop();
    long rssAfter = VectorFiles.ResidentBytes();
    double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    Console.WriteLine($"RESULT engine=cascade kind=build seconds={sw.Elapsed.TotalSeconds:F2} cpu_seconds={cpuSeconds:F1} rss_delta_mb={(rssAfter - rssBefore) / 1048576.0:F1} own_arrays_mb={index.MemoryBytes / 1048576.0:F1}");

    string saved = Path.Combine(dir, "cascade.hnsw");
    sw.Restart();
    index.Save(saved);
    double saveSeconds = sw.Elapsed.TotalSeconds;
    sw.Restart();
    using (HnswIndex mapped = HnswIndex.Load(saved, HnswLoadMode.MemoryMapped))
    {
        Console.WriteLine($"RESULT engine=cascade kind=file save_seconds={saveSeconds:F2} mmap_load_seconds={sw.Elapsed.TotalSeconds:F2} file_mb={new FileInfo(saved).Length / 1048576.0:F1}");
    }
    File.Delete(saved);

    var results = new Neighbor[q * k];
    foreach (string efText in efList.Split(','))
    {
        int ef = int.Parse(efText, CultureInfo.InvariantCulture);
        // Warm-up pass (JIT tiering, caches), then the timed passes; the best of `repeats` counts, as for the peers,
        // because the machine may be shared and a slow pass measures the neighbours, not the index.
        for (int i = 0; i < Math.Min(q, 500); i++)
        {
            index.Search(queries.AsSpan(i * dim, dim), results.AsSpan(i * k, k), ef);
        }
        double single = double.MaxValue, multi = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            sw.Restart();
            for (int i = 0; i < q; i++)
            {
                index.Search(queries.AsSpan(i * dim, dim), results.AsSpan(i * k, k), ef);
            }
            single = Math.Min(single, sw.Elapsed.TotalSeconds);
        }
        double recall = Recall(results, truth, q, k, truthWidth);
        for (int r = 0; r < repeats; r++)
        {
            sw.Restart();
            index.SearchBatch(queries, results, ef, maxDegreeOfParallelism: threads);
            multi = Math.Min(multi, sw.Elapsed.TotalSeconds);
        }
        double recallMulti = Recall(results, truth, q, k, truthWidth);
        Console.WriteLine($"RESULT engine=cascade kind=search ef={ef} recall={recall:F4} qps1={q / single:F1} qps{threads}={q / multi:F1} recall_mt={recallMulti:F4}");
    }

    // Filtered search at 1 % selectivity (a fixed pseudo-random allow-list), graph walk versus the cost-based choice.
    var allow = new AllowList(n);
    var rng = new Random(7);
    while (allow.Count < n / 100)
    {
        allow.Add(rng.Next(n));
    }
    var exact = new Neighbor[k];
    int fq = Math.Min(q, 1000);
    foreach (FilterStrategy strategy in new[] { FilterStrategy.Auto, FilterStrategy.Graph })
    {
        double hits = 0;
        sw.Restart();
        double elapsed = 0;
        for (int i = 0; i < fq; i++)
        {
            ReadOnlySpan<float> query = queries.AsSpan(i * dim, dim);
            sw.Restart();
            index.Search(query, results.AsSpan(0, k), 64, allow, strategy);
            elapsed += sw.Elapsed.TotalSeconds;
            index.Search(query, exact, 64, allow, FilterStrategy.Exact);
            for (int a = 0; a < k; a++)
            {
                for (int b = 0; b < k; b++)
                {
                    if (results[a].Id == exact[b].Id)
                    {
                        hits++;
                        break;
                    }
                }
            }
        }
        Console.WriteLine($"RESULT engine=cascade kind=filtered strategy={strategy} selectivity=0.01 ef=64 recall={hits / (fq * k):F4} qps1={fq / elapsed:F1}");
    }
    index.Dispose();
}

static double Recall(Neighbor[] results, int[] truth, int q, int k, int truthWidth)
{
    long hits = 0;
    for (int i = 0; i < q; i++)
    {
        for (int a = 0; a < k; a++)
        {
            int id = results[i * k + a].Id;
            for (int b = 0; b < k; b++)
            {
                if (truth[i * truthWidth + b] == id)
                {
                    hits++;
                    break;
                }
            }
        }
    }
    return hits / (double)(q * k);
}
