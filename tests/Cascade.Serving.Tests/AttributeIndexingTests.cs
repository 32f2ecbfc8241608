using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Storage.Engine;

namespace Cascade.Serving.Tests;

public sealed class AttributeIndexingTests
{
    [Fact]
    public async Task A_dedup_reranker_on_a_configured_attribute_works_online_as_it_does_offline()
    {
        using var dir = new TempDir();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        // Twelve items in three genres; every user clicks many of them, so popularity proposes all genres.
        await engine.UpsertItemsAsync([.. Enumerable.Range(0, 12).Select(i =>
            new Item(Apps.Default, $"i{i}", $"Item {i}", ["c"], [], $$"""{"genre":"g{{i % 3}}"}""", DateTimeOffset.UnixEpoch, false, null))]);
        var events = new List<FeedbackEvent>();
        for (int u = 0; u < 10; u++)
        {
            for (int i = 0; i < 12; i += 1 + (u % 2))
            {
                events.Add(new FeedbackEvent(Apps.Default, null, $"u{u}", $"i{i}", "click", null, 1_700_000_000_000 + i, null, null));
            }
        }
        await engine.AppendEventsAsync(events);
        var pipeline = new PipelineOptions
        {
            Sources = [new SourceOptions { Name = "trending", Kind = "popular", Quota = 12 }],
            Rerankers = [new RerankerOptions { Kind = "dedup", Settings = new() { ["attribute"] = "genre" } }],
        };
        Assert.Contains("genre", pipeline.IndexedAttributes());
        var service = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false, Pipeline = pipeline });
        service.Bundles.Train(Apps.Default);
        var items = service.Recommend(Apps.Default, new RecommendQuery("newcomer", 10)).Items.Select(i => int.Parse(i.ItemId[1..], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        // One item per genre: the de-duplication sees the attribute the configuration names.
        Assert.Equal(3, items.Length);
        Assert.Equal(3, items.Select(i => i % 3).Distinct().Count());
    }
}
