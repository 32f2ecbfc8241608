using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Pipeline.Sources;
using Cascade.Serving.Ingestion;
using Cascade.Storage.Engine;
using Cascade.Tooling;

namespace Cascade.Serving.Tests;

public sealed class IngestAndRecommendTests
{
    [Fact]
    public async Task Bulk_ingest_stores_valid_records_reports_invalid_ones_and_is_idempotent_on_event_ids()
    {
        using var dir = new TempDir();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        var ingest = new IngestService(engine);
        var events = Enumerable.Range(0, 12_000).Select(i => new EventInput { EventId = $"e{i}", UserId = $"u{i % 50}", ItemId = $"i{i % 70}", Type = i == 7 ? "nope" : "click" }).ToList();
        var first = await BulkIngest.EventsAsync(ingest, Apps.Default, events);
        Assert.Equal((11_999L, 0L, 1L), (first.Stored, first.Duplicates, first.Invalid));
        Assert.Contains("record 8", first.FirstErrors[0], StringComparison.Ordinal);
        var again = await BulkIngest.EventsAsync(ingest, Apps.Default, events);
        Assert.Equal((0L, 11_999L, 1L), (again.Stored, again.Duplicates, again.Invalid));
        Assert.Equal(11_999, engine.Log.LastSequence);
    }

    [Fact]
    public async Task Impressions_carry_the_request_id_positions_and_the_variant_named_by_the_request_or_the_options()
    {
        using var dir = new TempDir();
        using var engine = await SeededEngine.OpenAsync(dir, 30, 20, 5, 4);
        var service = new RecommendationService(engine, new RecommendationOptions { Variant = "control" });
        service.Bundles.Train(Apps.Default);
        long before = engine.Log.LastSequence;
        var named = service.Recommend(Apps.Default, new RecommendQuery("u1", 3) { Variant = "arm-b" });
        var unnamed = service.Recommend(Apps.Default, new RecommendQuery("u2", 2));
        Assert.Equal(("arm-b", "control"), (named.Variant, unnamed.Variant));
        await service.WaitForImpressionsAsync(); // impressions are written after the response, without delaying it
        var impressions = engine.Log.ReadFrom(before + 1).Select(r => Cascade.Storage.Records.RecordCodec.DecodeEvent(r.Payload.Span)).ToList();
        Assert.Equal(5, impressions.Count);
        Assert.All(impressions, e => Assert.Equal("impression", e.Type));
        var byRequest = impressions.ToLookup(e => e.RequestId);
        Assert.Equal(named.Items.Select(i => i.ItemId), byRequest[named.RequestId].OrderBy(e => e.Position).Select(e => e.ItemId));
        Assert.All(byRequest[named.RequestId], e => Assert.Equal(("u1", "arm-b"), (e.UserId, e.Variant)));
        Assert.All(byRequest[unnamed.RequestId], e => Assert.Equal(("u2", "control"), (e.UserId, e.Variant)));
        Assert.Throws<ArgumentException>(() => service.Recommend(Apps.Default, new RecommendQuery("u1", 3) { Variant = "not a variant" }));
    }

    [Fact]
    public async Task Impressions_carry_the_propensity_one_for_a_deterministic_list_and_the_exploration_probability_otherwise()
    {
        using var dir = new TempDir();
        using var engine = await SeededEngine.OpenAsync(dir, 40, 60, 8, 5);
        var deterministic = new RecommendationService(engine, new RecommendationOptions());
        deterministic.Bundles.Train(Apps.Default);
        long before = engine.Log.LastSequence;
        deterministic.Recommend(Apps.Default, new RecommendQuery("u1", 6));
        await deterministic.WaitForImpressionsAsync();
        var plain = engine.Log.ReadFrom(before + 1).Select(r => Cascade.Storage.Records.RecordCodec.DecodeEvent(r.Payload.Span)).ToList();
        Assert.Equal(6, plain.Count);
        Assert.All(plain, e => Assert.Equal(1.0, e.Propensity));

        var pipeline = new PipelineOptions
        {
            Sources = [new SourceOptions { Name = "popular", Kind = "popular", Quota = 40 }],
            Rerankers = [new RerankerOptions { Kind = "explore", Settings = new() { ["positions"] = "1,3", ["epsilon"] = "1", ["poolsize"] = "4" } }],
        };
        var exploring = new RecommendationService(engine, new RecommendationOptions { Pipeline = pipeline });
        exploring.Bundles.Train(Apps.Default);
        before = engine.Log.LastSequence;
        var served = exploring.Recommend(Apps.Default, new RecommendQuery("u2", 6));
        await exploring.WaitForImpressionsAsync();
        var logged = engine.Log.ReadFrom(before + 1).Select(r => Cascade.Storage.Records.RecordCodec.DecodeEvent(r.Payload.Span)).OrderBy(e => e.Position).ToList();
        Assert.Equal(served.Items.Select(i => i.ItemId), logged.Select(e => e.ItemId));
        // ε = 1 over a pool of 4: each slot's item had probability 1/4; the other positions are certain.
        Assert.Equal([1, 0.25, 1, 0.25, 1, 1], logged.Select(e => e.Propensity!.Value).ToArray());
        Assert.True(served.Items[1].Explored == true && served.Items[3].Explored == true);
    }

    [Fact]
    public void Trending_scores_decay_with_age_and_rank_deterministically()
    {
        long day = (long)TimeSpan.FromDays(1).TotalMilliseconds;
        var b = new CsrMatrixBuilder();
        b.Add(0, 0, 1, 10 * day); // item 0: one fresh interaction
        b.Add(1, 1, 1, -4 * day); // item 1: two interactions two half-lives old
        b.Add(2, 1, 1, -4 * day);
        b.Add(0, 2, 1, 10 * day); // item 2: ties with item 0
        b.Add(3, 3, -2, 10 * day); // item 3: only negative
        var m = b.Build();
        var items = ItemTable.Build([.. Enumerable.Range(0, 4).Select(i => new Item(Apps.Default, $"i{i}", "", [], [], "{}", DateTimeOffset.UnixEpoch, false, null))]);
        var data = new PipelineData(m, items);
        var decayed = new PopularitySource("trending", TimeSpan.FromDays(7));
        decayed.Fit(data);
        Assert.Equal([0, 2, 1], decayed.Ranked.ToArray());
        Assert.Equal(0.5, decayed.Scores[1], 3); // 2 × 2^(−14/7)
        var plain = new PopularitySource("popular");
        plain.Fit(data);
        Assert.Equal([1, 0, 2], plain.Ranked.ToArray());
    }

    [Fact]
    public async Task Recommendations_exclude_seen_hidden_and_expired_items()
    {
        using var dir = new TempDir();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        var ingest = new IngestService(engine);
        var now = DateTimeOffset.UtcNow;
        await BulkIngest.ItemsAsync(ingest, Apps.Default,
        [
            new ItemInput { Id = "a", Title = "A" }, new ItemInput { Id = "b", Title = "B" },
            new ItemInput { Id = "c", Title = "C", ExpiresAt = now.AddDays(-1), CreatedAt = now.AddDays(-2) }, new ItemInput { Id = "d", Title = "D" },
        ]);
        var clicks = new[] { ("u1", "a"), ("u2", "a"), ("u3", "a"), ("u1", "b"), ("u2", "b"), ("u1", "c"), ("u2", "c"), ("u3", "c"), ("u4", "c"), ("u3", "d") };
        await BulkIngest.EventsAsync(ingest, Apps.Default, clicks.Select(c => new EventInput { UserId = c.Item1, ItemId = c.Item2, Type = "click" }));
        await engine.HideItemAsync(Apps.Default, "d");
        var service = new RecommendationService(engine);
        service.Bundles.Train(Apps.Default);
        Assert.Equal(["a", "b"], service.Recommend(Apps.Default, new RecommendQuery("new-user", 10)).Items.Select(r => r.ItemId));
        Assert.Equal(["b"], service.Recommend(Apps.Default, new RecommendQuery("u3", 10)).Items.Select(r => r.ItemId));
        Assert.Empty(service.Recommend(Apps.Default, new RecommendQuery("u1", 10)).Items);
    }
}
