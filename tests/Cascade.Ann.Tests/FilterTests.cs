namespace Cascade.Ann.Tests;

public class FilterTests(ClusteredFixture fixture) : IClassFixture<ClusteredFixture>
{
    private const int K = 10;

    [Theory]
    [InlineData(FilterStrategy.Auto)]
    [InlineData(FilterStrategy.Graph)]
    [InlineData(FilterStrategy.Exact)]
    public void An_allow_list_passing_1_percent_of_items_keeps_recall_at_10_above_0_95(FilterStrategy strategy)
    {
        var allow = new AllowList(ClusteredFixture.Count);
        var rng = new Random(81);
        while (allow.Count < ClusteredFixture.Count / 100)
        {
            allow.Add(rng.Next(ClusteredFixture.Count));
        }
        var results = new Neighbor[K];

        double recall = TestData.Recall(fixture.Exact, q =>
        {
            int n = fixture.Hnsw.Search(q, results, ef: 64, allow, strategy);
            Assert.All(results[..n], r => Assert.True(allow.Allows(r.Id)));
            return results[..n];
        }, fixture.Queries, K, allow);

        Assert.True(recall >= 0.95, $"{strategy}: filtered recall@10 = {recall:F4}");
    }

    [Theory]
    [InlineData(FilterStrategy.Auto)]
    [InlineData(FilterStrategy.Graph)]
    public void A_category_predicate_passing_1_percent_keeps_recall_and_returns_only_that_category(FilterStrategy strategy)
    {
        int[] category = new int[ClusteredFixture.Count];
        var rng = new Random(91);
        for (int i = 0; i < category.Length; i++)
        {
            category[i] = rng.Next(100);
        }
        var filter = new PredicateFilter(id => category[id] == 42);
        var results = new Neighbor[K];

        double recall = TestData.Recall(fixture.Exact, q =>
        {
            int n = fixture.Hnsw.Search(q, results, ef: 64, filter, strategy);
            Assert.All(results[..n], r => Assert.Equal(42, category[r.Id]));
            return results[..n];
        }, fixture.Queries, K, filter);

        Assert.True(recall >= 0.95, $"{strategy}: category recall@10 = {recall:F4}");
    }

    [Fact]
    public void A_filter_at_30_percent_walks_the_graph_and_keeps_recall()
    {
        var filter = new PredicateFilter(id => id % 10 < 3);

        double recall = TestData.Recall(fixture.Exact, q => fixture.Hnsw.Search(q, K, filter), fixture.Queries, K, filter);

        Assert.True(recall >= 0.95, $"recall@10 = {recall:F4}");
    }

    [Fact]
    public void A_filter_allowing_nothing_returns_no_results()
    {
        Neighbor[] r = fixture.Hnsw.Search(fixture.Queries.AsSpan(0, ClusteredFixture.Dimension), K, new AllowList(ClusteredFixture.Count));

        Assert.Empty(r);
    }
}
