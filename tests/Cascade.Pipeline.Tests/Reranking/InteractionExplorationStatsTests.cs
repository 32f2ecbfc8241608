using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Pipeline.Reranking;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline.Tests.Reranking;

public sealed class InteractionExplorationStatsTests
{
    private static ItemTable Table(int items) => ItemTable.Build([.. Enumerable.Range(0, items).Select(i =>
        new Item(Apps.Default, $"i{i}", "", [$"c{i % 3}"], [], "{}", DateTimeOffset.FromUnixTimeMilliseconds(i * 1000L), false, null))]);

    [Fact]
    public void Clicks_are_the_users_who_took_an_item_and_impressions_the_users_active_since_it_first_appeared()
    {
        var b = new CsrMatrixBuilder();
        b.Add(0, 0, 1, 100); // user 0: last active at 300
        b.Add(0, 1, 1, 300);
        b.Add(1, 0, 1, 150); // user 1: last active at 150, before item 1 appeared
        b.Add(2, 1, -2, 400); // user 2: a dislike is activity, not a click
        b.Add(3, 0, 1, 50); // user 3: last active at 50, when item 0 first appeared
        var stats = InteractionExplorationStats.From(b.Build(5, 4)); // user 4 and items 2, 3: nothing
        var table = Table(4);
        long[] impressions = new long[4], clicks = new long[4];

        stats.Fill(table, [0, 1, 2, 3], impressions, clicks);

        Assert.Equal([4, 2, 0, 0], impressions);
        Assert.Equal([3, 1, 0, 0], clicks);
    }

    [Fact]
    public void Without_timestamps_every_active_user_has_met_every_item_with_interactions()
    {
        // User 0 took item 0, user 1 items 0 and 1, user 2 nothing.
        var stats = InteractionExplorationStats.From(new CsrMatrix(3, 3, [0, 1, 3, 3], [0, 0, 1], [1, 1, 1]));
        long[] impressions = new long[3], clicks = new long[3];

        stats.Fill(Table(3), [2, 1, 0], impressions, clicks);

        Assert.Equal([0, 2, 2], impressions);
        Assert.Equal([0, 1, 2], clicks);
    }

    [Fact]
    public void A_thompson_explore_reranker_from_configuration_is_built_with_counts_from_the_training_data()
    {
        var random = new Random(3);
        var b = new CsrMatrixBuilder();
        for (int u = 0; u < 40; u++)
        {
            foreach (int i in Enumerable.Range(0, 30).OrderBy(_ => random.Next()).Take(6))
            {
                b.Add(u, i, 1, 1_000_000 + random.Next(1000));
            }
        }
        var data = new PipelineData(b.Build(40, 30), Table(30));
        var options = new PipelineOptions
        {
            Sources = [new SourceOptions { Name = "trending", Kind = "popular", Quota = 30 }],
            Rerankers = [new RerankerOptions { Kind = "explore", Settings = new() { ["strategy"] = "thompson", ["fraction"] = "0.2" } }],
        };

        var pipeline = PipelineBuilder.Build(options, data);
        var result = pipeline.Run(new PipelineRequest(-1, [], 10, 2_000_000));

        Assert.Equal(10, result.Items.Count);
        Assert.Equal(2, result.Items.Count(c => c.Explored));
        Assert.Empty(result.Degraded);
    }
}
