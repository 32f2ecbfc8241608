namespace Cascade.Ann.Tests;

/// <summary>Deterministic synthetic data: a Gaussian mixture, the shape real embeddings have.</summary>
internal static class TestData
{
    /// <summary>Points of a mixture whose centres come from <paramref name="seed"/>; <paramref name="sampleSeed"/> draws the points, so data and queries share one mixture.</summary>
    public static float[] Clustered(int count, int dimension, int clusters, int seed, int? sampleSeed = null, float spread = 0.35f)
    {
        var centerRng = new Random(seed);
        var centers = new float[clusters * dimension];
        for (int i = 0; i < centers.Length; i++)
        {
            centers[i] = Gaussian(centerRng);
        }
        var rng = sampleSeed is null ? centerRng : new Random(sampleSeed.Value);
        var data = new float[count * dimension];
        for (int i = 0; i < count; i++)
        {
            int c = rng.Next(clusters);
            for (int d = 0; d < dimension; d++)
            {
                data[i * dimension + d] = centers[c * dimension + d] + spread * Gaussian(rng);
            }
        }
        return data;
    }

    public static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>Mean fraction of the exact top-k ids found in the approximate top-k.</summary>
    public static double Recall(IVectorIndex exact, Func<float[], Neighbor[]> approximate, float[] queries, int k, IItemFilter? filter = null)
    {
        int dim = exact.Dimension;
        int q = queries.Length / dim;
        double hits = 0;
        int total = 0;
        var truth = new Neighbor[k];
        for (int i = 0; i < q; i++)
        {
            float[] query = queries.AsSpan(i * dim, dim).ToArray();
            int n = exact.Search(query, truth, filter);
            var expected = new HashSet<int>();
            for (int j = 0; j < n; j++)
            {
                expected.Add(truth[j].Id);
            }
            foreach (Neighbor r in approximate(query))
            {
                if (expected.Contains(r.Id))
                {
                    hits++;
                }
            }
            total += n;
        }
        return total == 0 ? 1.0 : hits / total;
    }
}

/// <summary>One clustered data set and an HNSW index over it, built once for the tests that only read.</summary>
public sealed class ClusteredFixture : IDisposable
{
    public const int Count = 10_000;
    public const int Dimension = 32;

    public ClusteredFixture()
    {
        Data = TestData.Clustered(Count, Dimension, clusters: 50, seed: 7);
        Queries = TestData.Clustered(200, Dimension, clusters: 50, seed: 7, sampleSeed: 11);
        Exact = new FlatIndex(Dimension, DistanceMetric.L2);
        Exact.AddRange(Data);
        Hnsw = new HnswIndex(Dimension, DistanceMetric.L2, new HnswOptions { M = 16, EfConstruction = 100, Seed = 3 });
        Hnsw.AddRange(Data);
    }

    public float[] Data { get; }

    public float[] Queries { get; }

    public FlatIndex Exact { get; }

    public HnswIndex Hnsw { get; }

    public void Dispose() => Hnsw.Dispose();
}
