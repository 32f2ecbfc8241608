namespace Cascade.Ann.Tests;

public class FlatIndexTests
{
    private static float Naive(DistanceMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0, l2 = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
            l2 += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return metric switch
        {
            DistanceMetric.L2 => (float)l2,
            DistanceMetric.InnerProduct => (float)(1 - dot),
            _ => (float)(1 - dot / Math.Sqrt(na * nb)),
        };
    }

    [Theory]
    [InlineData(DistanceMetric.L2, 37)]
    [InlineData(DistanceMetric.InnerProduct, 64)]
    [InlineData(DistanceMetric.Cosine, 100)]
    [InlineData(DistanceMetric.L2, 5)]
    public void Search_returns_the_same_top_k_as_a_naive_scan(DistanceMetric metric, int dimension)
    {
        float[] data = TestData.Clustered(2000, dimension, 10, seed: 1);
        float[] query = TestData.Clustered(1, dimension, 10, seed: 2);
        var index = new FlatIndex(dimension, metric);
        index.AddRange(data);

        Neighbor[] results = index.Search(query, 10);

        var expected = new List<(float D, int Id)>();
        for (int i = 0; i < 2000; i++)
        {
            expected.Add((Naive(metric, query, data.AsSpan(i * dimension, dimension)), i));
        }
        expected.Sort();
        Assert.Equal(10, results.Length);
        for (int j = 0; j < 10; j++)
        {
            Assert.Equal(expected[j].D, results[j].Distance, 1e-3f);
        }
        Assert.Equal(expected[0].Id, results[0].Id);
    }

    [Fact]
    public void Batch_search_on_all_cores_matches_one_query_at_a_time()
    {
        const int dim = 24;
        float[] data = TestData.Clustered(3000, dim, 10, seed: 3);
        float[] queries = TestData.Clustered(50, dim, 10, seed: 3, sampleSeed: 4);
        var index = new FlatIndex(dim, DistanceMetric.InnerProduct);
        index.AddRange(data);
        var batch = new Neighbor[50 * 7];

        index.SearchBatch(queries, batch);

        for (int i = 0; i < 50; i++)
        {
            Neighbor[] single = index.Search(queries.AsSpan(i * dim, dim), 7);
            Assert.Equal(single, batch.AsSpan(i * 7, 7).ToArray());
        }
    }

    [Fact]
    public void Fewer_items_than_k_fill_only_the_available_slots()
    {
        var index = new FlatIndex(3, DistanceMetric.L2);
        index.Add([1, 0, 0]);
        index.Add([0, 1, 0]);

        Neighbor[] results = index.Search([1, 0, 0], 5);

        Assert.Equal(2, results.Length);
        Assert.Equal(0, results[0].Id);
        Assert.Equal(0f, results[0].Distance);
        Assert.Equal(2f, results[1].Distance);
    }

    [Fact]
    public void A_filter_restricts_results_to_allowed_items()
    {
        const int dim = 16;
        float[] data = TestData.Clustered(1000, dim, 5, seed: 5);
        var index = new FlatIndex(dim, DistanceMetric.L2);
        index.AddRange(data);
        var allow = new AllowList(1000);
        for (int i = 3; i < 1000; i += 10)
        {
            allow.Add(i);
        }

        Neighbor[] viaBitmap = index.Search(data.AsSpan(0, dim), 10, allow);
        Neighbor[] viaPredicate = index.Search(data.AsSpan(0, dim), 10, new PredicateFilter(id => id % 10 == 3));

        Assert.All(viaBitmap, n => Assert.Equal(3, n.Id % 10));
        Assert.Equal(viaBitmap, viaPredicate);
    }

    [Fact]
    public void A_vector_of_the_wrong_dimension_is_refused_with_both_sizes_named()
    {
        var index = new FlatIndex(4, DistanceMetric.L2);

        var error = Assert.Throws<ArgumentException>(() => index.Add([1, 2, 3]));

        Assert.Contains("3", error.Message);
        Assert.Contains("4", error.Message);
    }
}
