using Cascade.Core.Domain;
using Cascade.Storage.Engine;

namespace Cascade.Serving.Tests;

public sealed class BundleSwapTests
{
    private static Task<CascadeEngine> Seeded(TempDir dir) => SeededEngine.OpenAsync(dir, 50, 40, 8, 9);

    [Fact]
    public async Task A_saved_bundle_loads_into_another_service_and_serves_the_same_items()
    {
        using var dir = new TempDir();
        using var engine = await Seeded(dir);
        var trainer = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false });
        string bundleDir = Path.Combine(dir.Path, "bundle");
        var manifest = trainer.Bundles.SaveBundle(Apps.Default, bundleDir);
        Assert.NotEmpty(manifest.Models);
        var server = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false });
        var loaded = server.Bundles.LoadBundle(Apps.Default, bundleDir);
        Assert.Contains("bundle", loaded.BundleVersion, StringComparison.Ordinal);
        foreach (string user in new[] { "u1", "u7", "nobody" })
        {
            Assert.Equal(
                trainer.Recommend(Apps.Default, new RecommendQuery(user, 10)).Items.Select(i => i.ItemId),
                server.Recommend(Apps.Default, new RecommendQuery(user, 10)).Items.Select(i => i.ItemId));
        }
    }

    [Fact]
    public async Task Only_an_interaction_upsert_or_hide_after_the_bundle_makes_new_training_inputs_impressions_do_not()
    {
        using var dir = new TempDir();
        using var engine = await Seeded(dir);
        var service = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false });
        Assert.True(service.Bundles.HasNewInputs(Apps.Default)); // no bundle yet
        service.Bundles.Train(Apps.Default);
        Assert.False(service.Bundles.HasNewInputs(Apps.Default));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        async Task Applied() => await engine.WaitForAsync(engine.Interactions, engine.Log.LastSequence, TimeSpan.FromSeconds(30));

        await engine.AppendEventsAsync([new FeedbackEvent(Apps.Default, null, "u1", "i1", "impression", null, now, "r1", 0)]);
        await Applied();
        Assert.False(service.Bundles.HasNewInputs(Apps.Default)); // impressions alone: the same training inputs

        await engine.AppendEventsAsync([new FeedbackEvent(Apps.Default, null, "u1", "i1", "click", null, now, "r1", 0)]);
        await Applied();
        Assert.True(service.Bundles.HasNewInputs(Apps.Default));
        service.Bundles.Train(Apps.Default);
        Assert.False(service.Bundles.HasNewInputs(Apps.Default));

        await engine.HideItemAsync(Apps.Default, "i2");
        await Applied();
        Assert.True(service.Bundles.HasNewInputs(Apps.Default));
        Assert.True(service.Bundles.HasNewInputs("other")); // an app without a bundle
    }

    [Fact]
    public async Task Recent_changes_are_trimmed_as_bundles_that_include_them_are_swapped_in_and_nothing_seen_or_hidden_returns()
    {
        using var dir = new TempDir();
        using var engine = await Seeded(dir);
        var service = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false, HistoryLength = 200 });
        service.TrackChanges();
        service.Bundles.Train(Apps.Default);
        string seen = service.Recommend(Apps.Default, new RecommendQuery("u1", 10)).Items[0].ItemId;
        string hidden = service.Popular(Apps.Default, 1, null)[0].ItemId;
        Assert.NotEqual(seen, hidden);
        await engine.AppendEventsAsync([new FeedbackEvent(Apps.Default, null, "u1", seen, "click", null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, null)]);
        await engine.HideItemAsync(Apps.Default, hidden);
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));

        void NeitherReturns()
        {
            Assert.DoesNotContain(seen, service.Recommend(Apps.Default, new RecommendQuery("u1", 20)).Items.Select(i => i.ItemId));
            Assert.DoesNotContain(hidden, service.Recommend(Apps.Default, new RecommendQuery("u2", 20)).Items.Select(i => i.ItemId));
            Assert.DoesNotContain(hidden, service.Popular(Apps.Default, 20, null).Select(i => i.ItemId));
        }

        NeitherReturns(); // from the recent changes: the bundle predates both
        Assert.Equal(1, service.Changes!.Users);
        Assert.Equal(1, service.Changes.ChangedItems);
        service.Bundles.Train(Apps.Default); // the outgoing bundle predates the changes: they stay
        Assert.Equal(1, service.Changes.Users);
        NeitherReturns();
        service.Bundles.Train(Apps.Default); // both bundles include them now: dropped
        Assert.Equal(0, service.Changes.Users);
        Assert.Equal(0, service.Changes.ChangedItems);
        NeitherReturns(); // from the bundle itself
    }

    [Fact]
    public async Task A_damaged_bundle_is_refused_and_the_old_one_keeps_serving()
    {
        using var dir = new TempDir();
        using var engine = await Seeded(dir);
        var service = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false });
        service.Bundles.Train(Apps.Default);
        string before = service.Bundles.BundleVersion(Apps.Default)!;
        string bundleDir = Path.Combine(dir.Path, "bundle");
        var manifest = service.Bundles.SaveBundle(Apps.Default, bundleDir);
        string victim = Path.Combine(bundleDir, manifest.Models[0].File);
        var bytes = File.ReadAllBytes(victim);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(victim, bytes);
        var e = Assert.Throws<InvalidDataException>(() => service.Bundles.LoadBundle(Apps.Default, bundleDir));
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
        Assert.Contains(manifest.Models[0].File, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, service.Bundles.BundleVersion(Apps.Default));
        Assert.NotEmpty(service.Recommend(Apps.Default, new RecommendQuery("u1", 5)).Items);
        File.Delete(Path.Combine(bundleDir, "manifest.json"));
        Assert.Throws<InvalidDataException>(() => service.Bundles.LoadBundle(Apps.Default, bundleDir));
    }

    [Fact]
    public async Task Requests_running_while_bundles_are_swapped_never_fail()
    {
        using var dir = new TempDir();
        using var engine = await Seeded(dir);
        var service = new RecommendationService(engine, new RecommendationOptions { LogImpressions = false });
        service.Bundles.Train(Apps.Default);
        string bundleDir = Path.Combine(dir.Path, "bundle");
        service.Bundles.SaveBundle(Apps.Default, bundleDir);
        using var stop = new CancellationTokenSource();
        long served = 0;
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                var result = service.Recommend(Apps.Default, new RecommendQuery($"u{(i++ * 7 + r) % 40}", 10));
                // Under the test machine's load a stage may degrade (that is what budgets are for), but never fail.
                Assert.Equal(10, result.Items.Count);
                Interlocked.Increment(ref served);
            }
        })).ToArray();
        var versions = new HashSet<string>();
        for (int swap = 0; swap < 3; swap++)
        {
            versions.Add(swap % 2 == 0 ? service.Bundles.LoadBundle(Apps.Default, bundleDir).BundleVersion : service.Bundles.Train(Apps.Default).BundleVersion);
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.True(served > 0);
        Assert.True(versions.Count >= 2);
    }
}
