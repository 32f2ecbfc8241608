using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Cascade.Core;
using Cascade.Evaluation.Data;
using Cascade.Evaluation.Running;
using Cascade.Models;
using Cascade.Models.Factorisation;
using Cascade.Models.Neural;
using Cascade.Tooling;

/// <summary>
/// The figures of docs/benchmarks.md that the generic evaluate/seeds/tune commands do not produce: the machine's
/// peak FLOP/s and memory bandwidth, seconds per epoch of ALS and BPR on synthetic data against that lower bound, the
/// two-tower's throughput and quality with MovieLens genres and titles, and memory per model.
/// </summary>
internal static class RetrievalBench
{
    public static void Run(string command, Dictionary<string, string[]> arguments)
    {
        switch (command)
        {
            case "machine":
                Machine();
                break;
            case "speed":
                Speed(arguments);
                break;
            case "twotower":
                TwoTowerMovieLens(arguments);
                break;
            case "memory":
                Memory(arguments);
                break;
            case "embeddings":
                Embeddings(arguments);
                break;
        }
    }

    private static string Get(Dictionary<string, string[]> arguments, string key, string fallback) =>
        arguments.TryGetValue(key, out var v) && v.Length > 0 ? v[0] : fallback;

    // ---- peak compute and bandwidth -------------------------------------------------------------------------------

    /// <summary>Peak single-precision FLOP/s: 12 independent Vector512 (or Vector256) FMA chains per thread, kept in registers.</summary>
    private static double PeakFlops(int threads, bool wide)
    {
        const long Iterations = 200_000_000;
        double best = 0;
        for (int trial = 0; trial < 3; trial++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => Sink(wide ? Fma512(Iterations / threads) : Fma256(Iterations / threads)));
            double seconds = clock.Elapsed.TotalSeconds;
            double flops = (double)(Iterations / threads) * threads * 12 * (wide ? 16 : 8) * 2;
            best = Math.Max(best, flops / seconds);
        }
        return best;
    }

    // Per thread: the benchmark's threads keep their results alive without racing on one field.
    [ThreadStatic]
    private static float t_sink;

    private static void Sink(float value) => t_sink += value;

    private static float Fma512(long n)
    {
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(0.0001f);
        Vector512<float> x0 = a, x1 = a, x2 = a, x3 = a, x4 = a, x5 = a, x6 = a, x7 = a, x8 = a, x9 = a, x10 = a, x11 = a;
        for (long i = 0; i < n; i++)
        {
            x0 = Vector512.FusedMultiplyAdd(x0, a, b);
            x1 = Vector512.FusedMultiplyAdd(x1, a, b);
            x2 = Vector512.FusedMultiplyAdd(x2, a, b);
            x3 = Vector512.FusedMultiplyAdd(x3, a, b);
            x4 = Vector512.FusedMultiplyAdd(x4, a, b);
            x5 = Vector512.FusedMultiplyAdd(x5, a, b);
            x6 = Vector512.FusedMultiplyAdd(x6, a, b);
            x7 = Vector512.FusedMultiplyAdd(x7, a, b);
            x8 = Vector512.FusedMultiplyAdd(x8, a, b);
            x9 = Vector512.FusedMultiplyAdd(x9, a, b);
            x10 = Vector512.FusedMultiplyAdd(x10, a, b);
            x11 = Vector512.FusedMultiplyAdd(x11, a, b);
        }
        return Vector512.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);
    }

    private static float Fma256(long n)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(0.0001f);
        Vector256<float> x0 = a, x1 = a, x2 = a, x3 = a, x4 = a, x5 = a, x6 = a, x7 = a, x8 = a, x9 = a, x10 = a, x11 = a;
        for (long i = 0; i < n; i++)
        {
            x0 = Vector256.FusedMultiplyAdd(x0, a, b);
            x1 = Vector256.FusedMultiplyAdd(x1, a, b);
            x2 = Vector256.FusedMultiplyAdd(x2, a, b);
            x3 = Vector256.FusedMultiplyAdd(x3, a, b);
            x4 = Vector256.FusedMultiplyAdd(x4, a, b);
            x5 = Vector256.FusedMultiplyAdd(x5, a, b);
            x6 = Vector256.FusedMultiplyAdd(x6, a, b);
            x7 = Vector256.FusedMultiplyAdd(x7, a, b);
            x8 = Vector256.FusedMultiplyAdd(x8, a, b);
            x9 = Vector256.FusedMultiplyAdd(x9, a, b);
            x10 = Vector256.FusedMultiplyAdd(x10, a, b);
            x11 = Vector256.FusedMultiplyAdd(x11, a, b);
        }
        return Vector256.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);
    }

    /// <summary>Read bandwidth: Vector512 sums over a 512 MiB array (far beyond the 32 MiB L3), best of 5 passes, split across threads.</summary>
    private static double ReadBandwidth(int threads)
    {
        const int Floats = 128 * 1024 * 1024;
        float[] data = GC.AllocateUninitializedArray<float>(Floats);
        Array.Fill(data, 1f);
        double best = 0;
        for (int trial = 0; trial < 5; trial++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                int start = (int)((long)Floats * t / threads), end = (int)((long)Floats * (t + 1) / threads);
                Sink(System.Numerics.Tensors.TensorPrimitives.Sum(data.AsSpan(start, end - start)));
            });
            best = Math.Max(best, Floats * 4.0 / clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static void Machine()
    {
        Console.WriteLine($"Vector512 hardware-accelerated: {Vector512.IsHardwareAccelerated}; processors {Environment.ProcessorCount}");
        foreach (int threads in new[] { 1, 2 })
        {
            double f512 = PeakFlops(threads, wide: true), f256 = PeakFlops(threads, wide: false), bw = ReadBandwidth(threads);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"threads {threads}: peak fp32 FMA {f512 / 1e9:0.0} GFLOP/s (Vector512), {f256 / 1e9:0.0} GFLOP/s (Vector256); read bandwidth {bw / 1e9:0.0} GB/s"));
        }
    }

    // ---- training speed on synthetic interactions -----------------------------------------------------------------

    /// <summary>
    /// The user × item matrix of <c>cascade generate</c>'s event stream (Cascade.Tooling.SyntheticData, every event a
    /// unit interaction, repeated pairs merged).
    /// </summary>
    private static CsrMatrix Generate(long events, int users, int items, int seed, int clusters = 12)
    {
        var generator = new SyntheticData(new SyntheticOptions { Events = events, Users = users, Items = items, Seed = seed, Clusters = clusters });
        var builder = new CsrMatrixBuilder(checked((int)Math.Min(events, int.MaxValue / 2)));
        foreach (var e in generator.Events())
        {
            int u = int.Parse(e.UserId.AsSpan(1), CultureInfo.InvariantCulture);
            int i = int.Parse(e.ItemId.AsSpan(1), CultureInfo.InvariantCulture);
            builder.Add(u, i, 1f, e.Timestamp!.Value.ToUnixTimeMilliseconds());
        }
        return builder.Build(users, items);
    }

    private static void Speed(Dictionary<string, string[]> arguments)
    {
        long events = long.Parse(Get(arguments, "events", "1000000"), CultureInfo.InvariantCulture);
        int users = int.Parse(Get(arguments, "users", "20000"), CultureInfo.InvariantCulture);
        int items = int.Parse(Get(arguments, "items", "10000"), CultureInfo.InvariantCulture);
        int f = int.Parse(Get(arguments, "factors", "64"), CultureInfo.InvariantCulture);
        int[] threadCounts = Get(arguments, "threads", "1,2").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        string[] models = arguments.TryGetValue("models", out var m) ? m : ["als", "bpr"];
        var clock = Stopwatch.StartNew();
        CsrMatrix data = Generate(events, users, items, 42);
        long nnz = data.NonZeros;
        int activeUsers = Enumerable.Range(0, data.Rows).Count(u => data.RowLength(u) > 0);
        Console.WriteLine($"generated {events:N0} events → {nnz:N0} distinct (user, item) interactions, {activeUsers:N0} active users of {users:N0}, {items:N0} items in {clock.Elapsed.TotalSeconds:0.0} s");
        const int Steps = 3;
        double alsFlops = ((double)(data.Rows + data.Columns) * (Steps + 1) * 2 * f * f) + (2.0 * nnz * (Steps + 1) * 4 * f) + ((double)(data.Rows + data.Columns) * f * f);
        double alsBytes = 2 * ((nnz * 8.0) + ((data.Rows + data.Columns) * 4.0 * f * 3));
        double bprFlops = nnz * 12.0 * f;
        double bprBytes = nnz * 2 * 3 * 4.0 * (f + 1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"per epoch: ALS(CG {Steps} steps) {alsFlops / 1e9:0.00} GFLOP, ≥ {alsBytes / 1e6:0} MB moved; BPR {bprFlops / 1e9:0.00} GFLOP, ≤ {bprBytes / 1e6:0} MB moved (3 vectors read and written per triple)"));
        foreach (int threads in threadCounts)
        {
            if (models.Contains("als"))
            {
                double perEpoch = EpochSeconds(e => new ImplicitAls(new ImplicitAlsOptions { Factors = f, Iterations = e, Threads = threads, Regularisation = 1 }), data);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ALS f={f} threads {threads}: {perEpoch:0.000} s/epoch ({alsFlops / perEpoch / 1e9:0.0} GFLOP/s achieved)"));
            }
            if (models.Contains("bpr"))
            {
                double perEpoch = EpochSeconds(e => new Bpr(new BprOptions { Factors = f, Epochs = e, Threads = threads }), data);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"BPR f={f} threads {threads}: {perEpoch:0.000} s/epoch ({nnz / perEpoch / 1e6:0.00} M triples/s, {bprFlops / perEpoch / 1e9:0.0} GFLOP/s achieved)"));
            }
        }
    }

    /// <summary>(fit with 3 epochs − fit with 1 epoch) / 2: the per-epoch cost without set-up (copies, initialisation, transpose).</summary>
    private static double EpochSeconds(Func<int, IRecommender> create, CsrMatrix data)
    {
        double Fit(int epochs)
        {
            var model = create(epochs);
            var clock = Stopwatch.StartNew();
            model.Fit(data);
            return clock.Elapsed.TotalSeconds;
        }
        Fit(1); // warm-up (JIT)
        return (Fit(3) - Fit(1)) / 2;
    }

    // ---- two-tower on MovieLens with genres and titles ---------------------------------------------------------------

    private static void TwoTowerMovieLens(Dictionary<string, string[]> arguments)
    {
        string train = arguments["train"][0], test = arguments["test"][0], itemFile = arguments["items"][0];
        string spec = Get(arguments, "model", "twotower");
        var table = new InteractionData();
        int[] trainRows = table.Append(train);
        int[] testRows = table.Append(test);
        var set = EvaluationSet.Create(table, new Cascade.Evaluation.Splitting.DataSplit(trainRows, testRows));
        // u.item: id|title|release date|video date|url|19 genre flags. Features: 19 genres, then 512 hashed title-token buckets.
        const int Genres = 19, Buckets = 512;
        var lists = new IReadOnlyCollection<int>[table.Items.Count];
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i] = [];
        }
        foreach (string line in File.ReadLines(itemFile, System.Text.Encoding.Latin1))
        {
            string[] fields = line.Split('|');
            if (fields.Length < 5 + Genres || !table.Items.TryGet(fields[0], out int item))
            {
                continue;
            }
            var features = new List<int>();
            for (int g = 0; g < Genres; g++)
            {
                if (fields[5 + g] == "1")
                {
                    features.Add(g);
                }
            }
            features.AddRange(SideFeatures.HashTokens(System.Text.RegularExpressions.Regex.Replace(fields[1], @"\(\d{4}\)", ""), Genres, Buckets));
            lists[item] = features;
        }
        var itemFeatures = SideFeatures.FromLists(Genres + Buckets, lists);
        var baseModel = (TwoTower)ModelCatalog.Default.Create(ModelSpec.Parse(spec));
        foreach (var (label, model) in new[] { ($"{spec} (ids + history)", baseModel), ($"{spec} + genres + title tokens", new TwoTower(baseModel.Options, null, itemFeatures)) })
        {
            var result = EvaluationRunner.Evaluate(model, label, set, new EvaluationOptions { BeyondAccuracy = false });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: MAP {result["map"]:0.000000} nDCG@10 {result["ndcg@10"]:0.000000} P@10 {result["precision@10"]:0.000000} R@10 {result["recall@10"]:0.000000} fit {result["fit_seconds"]:0.0} s, {model.ExamplesPerSecond:0} examples/s, {model.ParameterCount:N0} parameters"));
        }
    }

    // ---- memory per model -------------------------------------------------------------------------------------------

    private static void Memory(Dictionary<string, string[]> arguments)
    {
        var request = new EvaluationRequest { TrainPath = arguments["train"][0], TestPath = arguments["test"][0] };
        var (data, split) = EvaluationJob.Load(request);
        CsrMatrix train = data.ToMatrix(split.Train);
        string[] specs = arguments.TryGetValue("models", out var m) ? m : ["als", "bpr", "twotower"];
        foreach (string spec in specs)
        {
            var model = ModelCatalog.Default.Create(ModelSpec.Parse(spec));
            model.Fit(train);
            using var stream = new MemoryStream();
            model.Save(stream);
            var embedding = (Cascade.Models.Embeddings.IEmbeddingModel)model;
            long history = (train.Rows + 1 + (2L * train.NonZeros) + train.Columns) * 4L;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{spec}: file {stream.Length:N0} bytes ({train.Rows} users, {train.Columns} items, {train.NonZeros:N0} entries; common history/popularity section {history:N0} bytes); item vectors {embedding.EmbeddingDimension * 4} bytes per item"));
        }
    }

    // ---- ANN data set (b): a trained model's item embeddings -----------------------------------------------------

    /// <summary>
    /// Trains ALS on <c>cascade generate</c>'s synthetic interactions and writes the item vectors of every item with an
    /// interaction as base.fvecs and the vectors of randomly drawn active users as query.fvecs, both through the
    /// inner-product-to-L2 reduction of <see cref="Cascade.Models.Embeddings.EmbeddingMath.ToEuclideanItems"/>, so the
    /// L2 nearest neighbours of a query are the items the model ranks highest for that user (bench/peers/ann.sh is L2).
    /// </summary>
    private static void Embeddings(Dictionary<string, string[]> arguments)
    {
        string dir = arguments["dir"][0];
        long events = long.Parse(Get(arguments, "events", "10000000"), CultureInfo.InvariantCulture);
        int users = int.Parse(Get(arguments, "users", "200000"), CultureInfo.InvariantCulture);
        int items = int.Parse(Get(arguments, "items", "150000"), CultureInfo.InvariantCulture);
        int clusters = int.Parse(Get(arguments, "clusters", "200"), CultureInfo.InvariantCulture);
        int queries = int.Parse(Get(arguments, "queries", "10000"), CultureInfo.InvariantCulture);
        string spec = Get(arguments, "model", "als:factors=64,iterations=15,reg=1,alpha=1");
        Directory.CreateDirectory(dir);
        var clock = Stopwatch.StartNew();
        CsrMatrix data = Generate(events, users, items, 42, clusters);
        Console.WriteLine($"generated {events:N0} events → {data.NonZeros:N0} distinct (user, item) interactions over {users:N0} users × {items:N0} items, {clusters} taste clusters, in {clock.Elapsed.TotalSeconds:0.0} s");
        clock.Restart();
        var model = ModelCatalog.Default.Create(ModelSpec.Parse(spec));
        model.Fit(data);
        Console.WriteLine($"fitted {spec} in {clock.Elapsed.TotalSeconds:0.0} s (load {File.ReadAllText("/proc/loadavg").Trim()})");
        var embedding = (Cascade.Models.Embeddings.IEmbeddingModel)model;
        int d = embedding.EmbeddingDimension;
        var itemCounts = new int[data.Columns];
        foreach (int i in data.ColumnIndices)
        {
            itemCounts[i]++;
        }
        float[] all = Cascade.Models.Embeddings.EmbeddingMath.ExportItems(embedding);
        var kept = new List<float>();
        int keptItems = 0;
        for (int i = 0; i < data.Columns; i++)
        {
            if (itemCounts[i] > 0)
            {
                kept.AddRange(all.AsSpan(i * d, d));
                keptItems++;
            }
        }
        float[] baseVectors = Cascade.Models.Embeddings.EmbeddingMath.ToEuclideanItems(kept.ToArray(), d, out float maxNorm);
        var active = Enumerable.Range(0, data.Rows).Where(u => data.RowLength(u) > 0).ToArray();
        new Random(7).Shuffle(active);
        int q = Math.Min(queries, active.Length);
        var queryVectors = new float[q * (d + 1)];
        var user = new float[d];
        for (int n = 0; n < q; n++)
        {
            embedding.TryGetUserEmbedding(active[n], user);
            Cascade.Models.Embeddings.EmbeddingMath.ToEuclideanQuery(user, maxNorm, queryVectors.AsSpan(n * (d + 1), d + 1));
        }
        WriteFvecs(Path.Combine(dir, "base.fvecs"), baseVectors, d + 1);
        WriteFvecs(Path.Combine(dir, "query.fvecs"), queryVectors, d + 1);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {keptItems:N0} item vectors (of {data.Columns:N0} items; the rest have no interaction) and {q:N0} user queries, dimension {d} + 1 (max item norm {maxNorm:0.000}), to {dir}"));
    }

    /// <summary>The .fvecs layout of the classic ANN data sets: per row an int32 dimension, then the float32 values.</summary>
    private static void WriteFvecs(string path, float[] data, int dimension)
    {
        using var writer = new BinaryWriter(File.Create(path));
        for (int r = 0; r < data.Length / dimension; r++)
        {
            writer.Write(dimension);
            foreach (float x in data.AsSpan(r * dimension, dimension))
            {
                writer.Write(x);
            }
        }
    }
}
