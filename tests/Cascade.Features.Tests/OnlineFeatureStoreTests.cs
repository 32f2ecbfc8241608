using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;
using Cascade.Storage.Records;

namespace Cascade.Features.Tests;

public class OnlineFeatureStoreTests
{
    [Fact]
    public void Hydrated_rows_equal_training_rows_for_the_same_events()
    {
        // Training/serving skew: at several times T, a store fed (in log order, not time order) every event before
        // T hydrates exactly the rows the builder wrote for the impressions at T.
        var log = SyntheticLog.Create(seed: 21);
        var set = new FeatureSet(TrainingSetBuilderTests.Options);
        var training = new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { AttributionWindowMs = TrainingSetBuilderTests.Window })
            .Build(log.Events, log.Items, log.Users, TrainingSetBuilderTests.ContextOf);
        var impressions = log.Events.Where(e => e.Type == "impression").ToDictionary(e => (e.UserId, e.ItemId, e.TimestampMs));
        var times = training.TimestampsMs.Distinct().Order().ToArray();
        int compared = 0;
        foreach (long t in new[] { times[0], times[times.Length / 4], times[times.Length / 2], times[^5], times[^1] })
        {
            using var store = new OnlineFeatureStore(set, EventTypeRegistry.Default);
            log.Users.ForEach(u => store.Observe(u));
            log.Items.ForEach(i => store.Observe(i));
            foreach (var e in log.Events.Where(e => e.TimestampMs < t))
            {
                store.Observe(e);
            }
            for (int r = 0; r < training.Data.Rows; r++)
            {
                if (training.TimestampsMs[r] != t)
                {
                    continue;
                }
                var e = impressions[(training.UserIds[r], training.ItemIds[r], t)];
                var context = TrainingSetBuilderTests.ContextOf(e) with { Position = e.Position };
                var served = store.Hydrate(SyntheticLog.App, e.UserId, ["i-unknown", e.ItemId], context, t);
                FeatureAssert.SameRow(training.Data, r, served, 1, $"row {r} at {t}");
                compared++;
            }
        }
        Assert.True(compared >= 10, $"only {compared} rows compared");
    }

    [Fact]
    public async Task Catching_up_from_the_log_equals_observing_and_following_picks_up_new_records()
    {
        using var dir = new TempDirectory();
        var log = SyntheticLog.Create(seed: 23, requests: 100, extraEvents: 100);
        var set = new FeatureSet(TrainingSetBuilderTests.Options);
        using var eventLog = EventLog.Open(dir.Path);
        await eventLog.AppendAsync([.. log.Items.Select(RecordCodec.ToEntry), .. log.Users.Select(RecordCodec.ToEntry), .. log.Events.Select(RecordCodec.ToEntry)]);

        using var tailing = new OnlineFeatureStore(set, EventTypeRegistry.Default);
        Assert.Equal(log.Items.Count + log.Users.Count + log.Events.Count, tailing.CatchUp(eventLog));
        Assert.Equal(eventLog.LastSequence, tailing.AppliedSequence);
        Assert.Equal(0, tailing.CatchUp(eventLog));

        using var direct = new OnlineFeatureStore(set, EventTypeRegistry.Default);
        log.Items.ForEach(i => direct.Observe(i));
        log.Users.ForEach(u => direct.Observe(u));
        log.Events.ForEach(e => direct.Observe(e));
        string[] candidates = [.. Enumerable.Range(0, 60).Select(i => "i" + i)];
        long now = SyntheticLog.Start + 400 * SyntheticLog.Step;
        var a = tailing.Hydrate(SyntheticLog.App, "u3", candidates, null, now);
        var b = direct.Hydrate(SyntheticLog.App, "u3", candidates, null, now);
        Assert.Equal(a.Categorical, b.Categorical);
        Assert.Equal(a.Numeric, b.Numeric);

        float before = set.Value(tailing.Hydrate(SyntheticLog.App, "u3", ["i1"], null, now), 0, "user_item_positives");
        await eventLog.AppendAsync(RecordCodec.ToEntry(new FeedbackEvent(SyntheticLog.App, null, "u3", "i1", "like", null, now - 1, null, null)));
        // A batch overlapping what was applied (the engine shares reads among projections) applies only the new record.
        tailing.Apply(new LogBatch([.. eventLog.ReadFrom(eventLog.LastSequence - 5)]));
        Assert.Equal(eventLog.LastSequence, tailing.AppliedSequence);
        Assert.Equal(before + 1, set.Value(tailing.Hydrate(SyntheticLog.App, "u3", ["i1"], null, now), 0, "user_item_positives"));
    }

    [Fact]
    public async Task Attached_to_an_engine_it_follows_the_log_and_a_wait_returns_once_a_write_is_applied()
    {
        using var dir = new TempDirectory();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        var item = new Item(Apps.Default, "film", "Film", ["drama"], ["old"], "{}", DateTimeOffset.FromUnixTimeMilliseconds(SyntheticLog.Start), false, null);
        await engine.UpsertItemsAsync([item]);
        using var store = new OnlineFeatureStore(new FeatureSet(), engine.EventTypes);
        engine.Attach(store);
        var acks = await engine.AppendEventsAsync([new FeedbackEvent(Apps.Default, null, "ann", "film", "click", null, SyntheticLog.Start + 2, null, null)]);
        await engine.WaitForAsync(store, acks[0].Sequence, TimeSpan.FromSeconds(30));
        Assert.Equal(acks[0].Sequence, store.AppliedSequence);
        Assert.Equal((1, 1), (store.Count(Apps.Default).Users, store.Count(Apps.Default).Items));
        var status = engine.StatusOf(store);
        Assert.Equal(("features", 0L, 2L), (status.Name, status.Lag, status.RecordsApplied));
        Assert.Throws<ArgumentException>(() => engine.Attach(new OnlineFeatureStore(new FeatureSet(), engine.EventTypes)));
    }

    [Fact]
    public async Task Opening_on_an_engine_reads_its_whole_log()
    {
        using var dir = new TempDirectory();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        var item = new Item(Apps.Default, "film", "Film", ["drama"], ["old"], "{}", DateTimeOffset.FromUnixTimeMilliseconds(SyntheticLog.Start), false, null);
        await engine.UpsertItemsAsync([item]);
        await engine.AppendEventsAsync([
            new FeedbackEvent(Apps.Default, null, "ann", "film", "impression", null, SyntheticLog.Start + 1, "r", 0),
            new FeedbackEvent(Apps.Default, null, "ann", "film", "click", null, SyntheticLog.Start + 2, "r", 0),
        ]);
        var set = new FeatureSet();
        using var store = OnlineFeatureStore.Open(engine, set);
        Assert.Equal(engine.Log.LastSequence, store.AppliedSequence);
        var rows = store.Hydrate(Apps.Default, "ann", ["film"], null, SyntheticLog.Start + 3_600_002);
        Assert.Equal(1f, set.Value(rows, 0, "user_item_impressions"));
        Assert.Equal(0.5f, set.Value(rows, 0, "item_positives_1h"), 5);
        Assert.Equal(0.5f, set.Value(rows, 0, "user_category_positives_1h"), 5);
        Assert.Equal(1f, set.Value(rows, 0, "item_age_hours"), 4);
        Assert.Equal(FeatureHashing.Code("category", "drama", set.Options.CategoryBuckets), set.Value(rows, 0, "item_category"));
    }

    [Fact]
    public void A_users_item_history_is_bounded_and_drops_the_items_touched_longest_ago()
    {
        var set = new FeatureSet(new FeatureSetOptions { MaxItemsPerUser = 16 });
        using var store = new OnlineFeatureStore(set, EventTypeRegistry.Default);
        long t = SyntheticLog.Start;
        FeedbackEvent Event(string item, string type, long at) => new(Apps.Default, null, "u", item, type, null, at, "r", 0);
        for (int i = 0; i < 16; i++)
        {
            store.Observe(Event("i" + i, "impression", t + i));
        }
        store.Observe(Event("i0", "click", t + 100)); // the oldest impression, touched again: kept
        store.Observe(Event("i16", "impression", t + 101)); // the 17th item: the four touched longest ago go
        float Value(string item, string name) => set.Value(store.Hydrate(Apps.Default, "u", [item], null, t + 200), 0, name);
        Assert.Equal(1f, Value("i0", "user_item_positives"));
        Assert.Equal(1f, Value("i0", "user_item_impressions"));
        foreach (string gone in new[] { "i1", "i2", "i3", "i4" })
        {
            Assert.Equal(0f, Value(gone, "user_item_impressions"));
        }
        foreach (string kept in new[] { "i5", "i15", "i16" })
        {
            Assert.Equal(1f, Value(kept, "user_item_impressions"));
        }

        // A thousand more items shown: the user keeps between three quarters of the bound and the bound.
        for (int i = 17; i < 1017; i++)
        {
            store.Observe(Event("i" + i, "impression", t + 200 + i));
        }
        int remembered = Enumerable.Range(0, 1017).Count(i => Value("i" + i, "user_item_impressions") > 0);
        Assert.InRange(remembered, 12, 16);
        Assert.Equal(1f, Value("i1016", "user_item_impressions"));
        Assert.Equal(0f, Value("i0", "user_item_positives"));
    }

    [Fact]
    public void The_whole_store_keeps_at_most_MaxPairs_pairs_and_drops_those_touched_longest_ago()
    {
        var set = new FeatureSet(new FeatureSetOptions { MaxPairs = 1_000 });
        using var store = new OnlineFeatureStore(set, EventTypeRegistry.Default);
        long t = SyntheticLog.Start;
        FeedbackEvent Event(string user, string item, string type, long at) => new(Apps.Default, null, user, item, type, null, at, "r", 0);
        // 200 users × 25 items shown: 5,000 distinct pairs, five times the bound; no user reaches its own bound.
        for (int i = 0; i < 5_000; i++)
        {
            store.Observe(Event("u" + (i % 200), "i" + i, "impression", t + i));
            Assert.InRange(store.Count(Apps.Default).Pairs, 0, 1_000);
        }
        long pairs = store.Count(Apps.Default).Pairs;
        Assert.InRange(pairs, 750, 1_000);
        float Impressions(int i) => set.Value(store.Hydrate(Apps.Default, "u" + (i % 200), ["i" + i], null, t + 10_000), 0, "user_item_impressions");
        Assert.Equal(1f, Impressions(4_999)); // the newest pairs stay
        Assert.Equal(0f, Impressions(0)); // the oldest are gone
        Assert.Equal(pairs, Enumerable.Range(0, 5_000).Count(i => Impressions(i) > 0));
    }

    [Fact]
    public void Unknown_users_and_items_get_hashed_ids_zero_counts_and_missing_values()
    {
        var set = new FeatureSet(new FeatureSetOptions { Windows = ["1h"] });
        using var store = new OnlineFeatureStore(set, EventTypeRegistry.Default);
        var rows = store.Hydrate("nobody-here", "new-user", ["new-item"], RequestContext.None, SyntheticLog.Start);
        Assert.Equal(FeatureHashing.Code("user_id", "new-user", set.Options.UserIdBuckets), set.Value(rows, 0, "user_id"));
        Assert.Equal(FeatureHashing.Code("item_id", "new-item", set.Options.ItemIdBuckets), set.Value(rows, 0, "item_id"));
        Assert.Equal(0f, set.Value(rows, 0, "user_known"));
        Assert.Equal(0f, set.Value(rows, 0, "item_known"));
        Assert.Equal(0f, set.Value(rows, 0, "item_positives_1h"));
        Assert.Equal(0.05f, set.Value(rows, 0, "item_ctr_1h"), 6);
        Assert.True(float.IsNaN(set.Value(rows, 0, "item_age_hours")));
        Assert.True(float.IsNaN(set.Value(rows, 0, "user_seconds_since_last_event")));
        Assert.Equal(0f, set.Value(rows, 0, "item_category"));
        Assert.Equal(0f, set.Value(rows, 0, "device"));
        Assert.Equal(0f, set.Value(rows, 0, "position"));
        Assert.Throws<ArgumentException>(() => set.Value(rows, 0, "no_such_column"));
    }

    [Fact]
    public void Context_columns_come_from_the_request_time_and_context()
    {
        var set = new FeatureSet(new FeatureSetOptions { UtcOffsetMinutes = -300 });
        using var store = new OnlineFeatureStore(set, EventTypeRegistry.Default);
        long now = new DateTimeOffset(2024, 3, 10, 2, 30, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(); // Sat 21:30 at UTC−5
        var rows = store.Hydrate("a", "u", ["x", "y"], new RequestContext("mobile", "ios", 3), now);
        for (int r = 0; r < 2; r++)
        {
            Assert.Equal(1 + 21, set.Value(rows, r, "hour_of_day"));
            Assert.Equal(1 + (int)DayOfWeek.Saturday, set.Value(rows, r, "day_of_week"));
            Assert.Equal(4, set.Value(rows, r, "position"));
            Assert.Equal(FeatureHashing.Code("device", "mobile", 64), set.Value(rows, r, "device"));
            Assert.Equal(FeatureHashing.Code("platform", "ios", 64), set.Value(rows, r, "platform"));
        }
        var capped = store.Hydrate("a", "u", ["x"], new RequestContext(Position: 500), now);
        Assert.Equal(1 + set.Options.PositionCap, set.Value(capped, 0, "position"));
    }

    [Fact]
    public async Task Concurrent_observes_and_hydrates_never_see_half_an_update()
    {
        var set = new FeatureSet(new FeatureSetOptions { Windows = ["1h"] });
        using var store = new OnlineFeatureStore(set, EventTypeRegistry.Default);
        const int rounds = 20_000;
        int impressions = set.NumericIndex("user_item_impressions"), positives = set.NumericIndex("user_item_positives");
        int itemImpressions = set.NumericIndex("item_impressions_total");
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var done = 0;
        var writer = Task.Run(() =>
        {
            for (int n = 0; n < rounds; n++)
            {
                store.Observe(new FeedbackEvent("a", null, "u", "x", "impression", null, SyntheticLog.Start + n, null, 0));
                store.Observe(new FeedbackEvent("a", null, "u", "x", "click", null, SyntheticLog.Start + n, null, 0));
                if (n % 100 == 0)
                {
                    store.Observe(new Item("a", "y" + n, "t", ["c" + (n % 7)], [], "{}", DateTimeOffset.UnixEpoch.AddDays(1), false, null));
                }
            }
            Volatile.Write(ref done, 1);
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            float last = 0;
            string[] candidates = ["x", "y0", "y100", "z"];
            while (Volatile.Read(ref done) == 0)
            {
                var rows = store.Hydrate("a", "u", candidates, null, SyntheticLog.Start + rounds);
                var row = rows.NumericRow(0);
                if (row[positives] > row[impressions] || row[impressions] > row[positives] + 1 || row[itemImpressions] < last)
                {
                    failures.Enqueue($"impressions {row[impressions]} positives {row[positives]} after {last}");
                }
                last = row[itemImpressions];
            }
        })).ToArray();
        await Task.WhenAll([writer, .. readers]);
        Assert.Empty(failures);
        var final = store.Hydrate("a", "u", ["x"], null, SyntheticLog.Start + rounds);
        Assert.Equal(rounds, set.Value(final, 0, "user_item_positives"));
    }
}
