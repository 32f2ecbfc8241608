using Cascade.Core.Domain;
using Cascade.Storage.Engine;

namespace Cascade.Serving.Tests;

public sealed class BatchTests
{
    private static Task<CascadeEngine> Seeded(TempDir dir) => SeededEngine.OpenAsync(dir, 40, 25, 6, 5);

    [Fact]
    public async Task Batch_stores_every_users_list_resumes_and_is_served_with_read_time_filters()
    {
        using var dir = new TempDir();
        using var engine = await Seeded(dir);
        using var store = new BatchStore(Path.Combine(dir.Path, "batch.sqlite"));
        var service = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false });
        var first = service.RunBatch(Apps.Default, store, 15);
        Assert.Equal(25, first.Users);
        Assert.Equal(25, first.Computed);
        Assert.Equal(25, store.Count(Apps.Default));
        // Same log sequence: a second run finds every user done.
        var again = service.RunBatch(Apps.Default, store, 15);
        Assert.Equal((0, 25), (again.Computed, again.Resumed));

        var stored = store.Read(Apps.Default, "u3")!.Value.Items;
        var seen = engine.Catalog.GetUserItemIds(Apps.Default, "u3");
        Assert.All(stored, i => Assert.DoesNotContain(i.ItemId, seen));

        service.Batch = store;
        var served = service.Recommend(Apps.Default, new RecommendQuery("u3", 5));
        Assert.Equal("batch", served.BundleVersion);
        Assert.Equal(stored.Take(5).Select(i => i.ItemId), served.Items.Select(i => i.ItemId));

        // Filters apply at read time: a hidden item and a newly seen item leave the stored list.
        await engine.HideItemAsync(Apps.Default, stored[0].ItemId);
        var ack = await engine.AppendEventsAsync([new FeedbackEvent(Apps.Default, null, "u3", stored[1].ItemId, "click", null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, null)]);
        await engine.WaitForCatalogAsync(ack[0].Sequence, TimeSpan.FromSeconds(30));
        var filtered = service.Recommend(Apps.Default, new RecommendQuery("u3", 5));
        Assert.Equal(stored.Skip(2).Take(5).Select(i => i.ItemId), filtered.Items.Select(i => i.ItemId));

        // A user without a stored list is served online.
        Assert.NotEqual("batch", service.Recommend(Apps.Default, new RecommendQuery("stranger", 5)).BundleVersion);
    }
}
