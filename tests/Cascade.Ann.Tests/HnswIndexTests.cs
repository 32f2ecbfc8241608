namespace Cascade.Ann.Tests;

public class HnswIndexTests(ClusteredFixture fixture) : IClassFixture<ClusteredFixture>
{
    private const int K = 10;

    [Fact]
    public void Recall_at_10_against_the_exact_index_is_at_least_0_95_on_clustered_data()
    {
        var results = new Neighbor[K];
        double recall = TestData.Recall(fixture.Exact, q =>
        {
            int n = fixture.Hnsw.Search(q, results, ef: 64);
            return results[..n];
        }, fixture.Queries, K);

        Assert.True(recall >= 0.95, $"recall@10 = {recall:F4}");
    }

    [Theory]
    [InlineData(DistanceMetric.InnerProduct)]
    [InlineData(DistanceMetric.Cosine)]
    public void Recall_is_at_least_0_95_for_inner_product_and_cosine(DistanceMetric metric)
    {
        const int dim = 24;
        float[] data = TestData.Clustered(5000, dim, 40, seed: 21);
        float[] queries = TestData.Clustered(100, dim, 40, seed: 21, sampleSeed: 22);
        var exact = new FlatIndex(dim, metric);
        exact.AddRange(data);
        using var hnsw = new HnswIndex(dim, metric, new HnswOptions { M = 16, EfConstruction = 100 });
        hnsw.AddRange(data);

        double recall = TestData.Recall(exact, q => hnsw.Search(q, K), queries, K);

        Assert.True(recall >= 0.95, $"{metric} recall@10 = {recall:F4}");
    }

    [Fact]
    public void Results_are_sorted_closest_first_and_distances_match_the_exact_index()
    {
        float[] query = fixture.Queries.AsSpan(0, ClusteredFixture.Dimension).ToArray();

        Neighbor[] approx = fixture.Hnsw.Search(query, K);
        Neighbor[] exact = fixture.Exact.Search(query, K);

        for (int i = 1; i < approx.Length; i++)
        {
            Assert.True(approx[i - 1].Distance <= approx[i].Distance);
        }
        Assert.Equal(exact[0].Id, approx[0].Id);
        Assert.Equal(exact[0].Distance, approx[0].Distance, 1e-4f);
    }

    [Fact]
    public void Every_neighbour_list_respects_its_layer_degree_bound_and_links_to_real_nodes()
    {
        HnswIndex index = fixture.Hnsw;
        for (int id = 0; id < index.Count; id++)
        {
            int[] layer0 = index.GetNeighbors(id, 0);
            Assert.InRange(layer0.Length, 1, 32);
            Assert.All(layer0, n => Assert.InRange(n, 0, index.Count - 1));
            Assert.DoesNotContain(id, layer0);
            Assert.True(index.GetNeighbors(id, 1).Length <= 16);
        }
        Assert.True(index.MaxLevel >= 1);
    }

    [Fact]
    public void A_single_threaded_build_with_the_same_seed_gives_the_same_graph()
    {
        const int dim = 16;
        float[] data = TestData.Clustered(3000, dim, 20, seed: 31);
        var options = new HnswOptions { M = 8, EfConstruction = 64, Seed = 9, MaxDegreeOfParallelism = 1 };
        using var a = new HnswIndex(dim, DistanceMetric.L2, options);
        using var b = new HnswIndex(dim, DistanceMetric.L2, options);
        a.AddRange(data);
        b.AddRange(data);

        for (int id = 0; id < 3000; id += 7)
        {
            Assert.Equal(a.GetNeighbors(id, 0), b.GetNeighbors(id, 0));
        }
        Assert.Equal(a.MaxLevel, b.MaxLevel);
    }

    [Fact]
    public void Vectors_added_one_at_a_time_after_a_build_are_found()
    {
        const int dim = 16;
        float[] data = TestData.Clustered(6000, dim, 30, seed: 41);
        float[] queries = TestData.Clustered(100, dim, 30, seed: 41, sampleSeed: 42);
        using var hnsw = new HnswIndex(dim, DistanceMetric.L2, new HnswOptions { M = 12, EfConstruction = 80 });
        hnsw.AddRange(data.AsSpan(0, 4000 * dim));
        for (int i = 4000; i < 6000; i++)
        {
            Assert.Equal(i, hnsw.Add(data.AsSpan(i * dim, dim)));
        }
        var exact = new FlatIndex(dim, DistanceMetric.L2);
        exact.AddRange(data);

        double recall = TestData.Recall(exact, q => hnsw.Search(q, K), queries, K);
        Neighbor[] self = hnsw.Search(data.AsSpan(5500 * dim, dim), 1);

        Assert.True(recall >= 0.95, $"recall@10 = {recall:F4}");
        Assert.Equal(5500, self[0].Id);
        Assert.Equal(6000, hnsw.Count);
    }

    [Fact]
    public void Batch_search_matches_single_searches()
    {
        const int q = 40;
        float[] queries = fixture.Queries.AsSpan(0, q * ClusteredFixture.Dimension).ToArray();
        var batch = new Neighbor[q * K];

        fixture.Hnsw.SearchBatch(queries, batch, ef: 50);

        var single = new Neighbor[K];
        for (int i = 0; i < q; i++)
        {
            fixture.Hnsw.Search(queries.AsSpan(i * ClusteredFixture.Dimension, ClusteredFixture.Dimension), single, ef: 50);
            Assert.Equal(single, batch.AsSpan(i * K, K).ToArray());
        }
    }

    [Fact]
    public void An_empty_index_returns_no_results_and_k_above_the_count_returns_all()
    {
        using var index = new HnswIndex(4, DistanceMetric.L2);
        Assert.Empty(index.Search([1, 2, 3, 4], 5));
        index.Add([1, 0, 0, 0]);
        index.Add([0, 1, 0, 0]);
        index.Add([0, 0, 1, 0]);

        Neighbor[] all = index.Search([1, 0, 0, 0], 10);

        Assert.Equal(3, all.Length);
        Assert.Equal(0, all[0].Id);
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_parameter_named()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex(8, DistanceMetric.L2, new HnswOptions { M = 1 }));
        Assert.Equal("M", error.ParamName);
        Assert.Throws<ArgumentException>(() => new HnswIndex(8, DistanceMetric.L2).Add([1, 2]));
    }
}
