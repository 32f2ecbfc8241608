using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Storage.Engine;

namespace Cascade.Serving.Tests;

public sealed class LivenessFilterTests
{
    [Fact]
    public async Task An_item_hidden_after_training_is_filtered_before_the_rerankers_so_it_cannot_push_out_another()
    {
        using var dir = new TempDir();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        // a and b share a series; x does not. Popularity: a > b > x.
        await engine.UpsertItemsAsync([
            new Item(Apps.Default, "a", "A", ["c"], [], """{"series":"s1"}""", DateTimeOffset.UnixEpoch, false, null),
            new Item(Apps.Default, "b", "B", ["c"], [], """{"series":"s1"}""", DateTimeOffset.UnixEpoch, false, null),
            new Item(Apps.Default, "x", "X", ["c"], [], """{"series":"s2"}""", DateTimeOffset.UnixEpoch, false, null),
        ]);
        var clicks = new List<FeedbackEvent>();
        foreach (var (item, users) in new[] { ("a", 9), ("b", 6), ("x", 3) })
        {
            for (int u = 0; u < users; u++)
            {
                clicks.Add(new FeedbackEvent(Apps.Default, null, $"u{u}", item, "click", null, 1_700_000_000_000, null, null));
            }
        }
        await engine.AppendEventsAsync(clicks);
        var pipeline = new PipelineOptions
        {
            Sources = [new SourceOptions { Name = "trending", Kind = "popular", Quota = 10 }],
            Rerankers = [new RerankerOptions { Kind = "dedup", Settings = new() { ["attribute"] = "series" } }],
        };
        var service = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false, Pipeline = pipeline });
        service.TrackChanges();
        service.Bundles.Train(Apps.Default);
        Assert.Equal(["a", "x"], service.Recommend(Apps.Default, new RecommendQuery("newcomer", 10)).Items.Select(i => i.ItemId));

        await engine.HideItemAsync(Apps.Default, "a");

        // Had the hidden item reached de-duplication, it would have claimed series s1 and pushed b out.
        Assert.Equal(["b", "x"], service.Recommend(Apps.Default, new RecommendQuery("newcomer", 10)).Items.Select(i => i.ItemId));
    }
}
