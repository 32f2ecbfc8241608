using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Snapshot;
using static Cascade.Storage.Tests.LogTesting;

namespace Cascade.Storage.Tests;

public class InteractionSnapshotTests
{
    [Fact]
    public async Task Entries_sum_the_weights_of_the_event_types_and_keep_the_latest_timestamp()
    {
        using var dir = new TempDirectory();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        await engine.AppendEventsAsync([
            Event("u1", "i1", "click", ts: 100),
            Event("u1", "i1", "like", ts: 300),
            Event("u1", "i1", "click", ts: 200),        // out of order: 300 stays the latest
            Event("u1", "i2", "purchase", ts: 10),
            Event("u2", "i2", "rating", ts: 20, value: 4),
            Event("u2", "i3", "rating", ts: 30, value: 2.5),
            Event("u2", "i1", "impression", ts: 40),     // no weight, no entry
            Event("u3", "i3", "impression", ts: 50),     // a user with impressions only: an empty row
        ]);

        var s = InteractionSnapshot.Build(engine);

        Assert.Equal(["u1", "u2", "u3"], s.UserIds);
        Assert.Equal(["i1", "i2", "i3"], s.ItemIds);
        Assert.Equal(8, s.Sequence);
        var m = s.Matrix;
        Assert.Equal(3, m.Rows);
        Assert.Equal(3, m.Columns);
        Assert.Equal(4, m.NonZeros);
        Assert.Equal(1f + 2f + 1f, m.Get(0, 0));
        Assert.Equal(300L, m.RowTimestamps(0)[0]);
        Assert.Equal(4f, m.Get(0, 1));
        Assert.Equal(4f, m.Get(1, 1));
        Assert.Equal(2.5f, m.Get(1, 2));
        Assert.Equal([1, 2], m.RowIndices(1).ToArray());
        Assert.Equal(0, m.RowLength(2));
    }

    [Fact]
    public async Task Negative_events_cancel_positive_ones_and_non_positive_entries_are_dropped_by_default()
    {
        using var dir = new TempDirectory();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        await engine.AppendEventsAsync([
            Event("u1", "i1", "like", ts: 1),
            Event("u1", "i1", "dislike", ts: 2),   // 2 − 2 = 0
            Event("u1", "i2", "dislike", ts: 3),   // −2
            Event("u1", "i3", "purchase", ts: 4),
            Event("u1", "i3", "dislike", ts: 5),   // 4 − 2 = 2
        ]);

        var kept = InteractionSnapshot.Build(engine);
        var all = InteractionSnapshot.Build(engine, dropNonPositive: false);

        Assert.Equal([2], kept.Matrix.RowIndices(0).ToArray());
        Assert.Equal(2f, kept.Matrix.Get(0, 2));
        Assert.Equal(5L, kept.Matrix.RowTimestamps(0)[0]);
        Assert.Equal(3, all.Matrix.NonZeros);
        Assert.Equal(0f, all.Matrix.Get(0, 0));
        Assert.Equal(-2f, all.Matrix.Get(0, 1));
    }

    [Fact]
    public async Task Only_the_requested_app_is_included_and_unknown_types_are_skipped()
    {
        using var dir = new TempDirectory();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        await engine.UpsertItemsAsync([new Item("shop", "i0", "t", [], [], "{}", DateTimeOffset.UnixEpoch, false, null)]);
        await engine.AppendEventsAsync([
            Event("u1", "i1", "click", app: "shop"),
            Event("u1", "i2", "click"),
            Event("u2", "i1", "share", app: "shop"),   // a type not (or no longer) configured
        ]);

        var shop = InteractionSnapshot.Build(engine, "shop");

        Assert.Equal(["u1", "u2"], shop.UserIds);
        Assert.Equal(["i0", "i1"], shop.ItemIds);
        Assert.Equal(1, shop.Matrix.NonZeros);
        Assert.Equal(1f, shop.Matrix.Get(0, 1));
        var none = InteractionSnapshot.Build(engine, "no-such-app");
        Assert.Equal(0, none.Matrix.Rows);
        Assert.Equal(0, none.Matrix.NonZeros);
    }

    [Fact]
    public async Task Configured_event_types_set_the_weights()
    {
        using var dir = new TempDirectory();
        var types = new EventTypeRegistry([new EventType("view", EventRole.Positive, 0.5f), new EventType("rating", EventRole.Positive, 2f, 1, 10, ValueRequired: true, ScaleByValue: true)]);
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path, EventTypes = types });
        await engine.AppendEventsAsync([Event("u1", "i1", "view"), Event("u1", "i1", "view", value: 30), Event("u1", "i2", "rating", value: 3), Event("u1", "i3", "click")]);

        var s = InteractionSnapshot.Build(engine);

        Assert.Equal(1f, s.Matrix.Get(0, 0));       // a value does not scale a type that is not ScaleByValue
        Assert.Equal(6f, s.Matrix.Get(0, 1));
        Assert.Equal(0f, s.Matrix.Get(0, 2));
        Assert.Equal(2, s.Matrix.NonZeros);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public async Task The_snapshot_matches_a_naive_reference_on_random_events(int seed, bool dropNonPositive)
    {
        using var dir = new TempDirectory();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        var random = new Random(seed);
        string[] types = ["impression", "click", "like", "purchase", "rating", "dislike", "unknown"];
        var events = new List<FeedbackEvent>();
        for (int i = 0; i < 5000; i++)
        {
            string type = types[random.Next(types.Length)];
            string app = random.Next(10) == 0 ? "other" : Apps.Default;
            events.Add(Event($"user-{random.Next(60)}", $"item-{(int)(200 * Math.Pow(random.NextDouble(), 2))}", type,
                ts: random.NextInt64(1_600_000_000_000, 1_700_000_000_000), value: type == "rating" ? random.Next(1, 6) : null, app: app));
        }
        for (int i = 0; i < events.Count; i += 700)
        {
            await engine.AppendEventsAsync(events.GetRange(i, Math.Min(700, events.Count - i)));
        }

        var s = InteractionSnapshot.Build(engine, dropNonPositive: dropNonPositive);

        // Reference: ids in order of first appearance (any event type), weights summed in a dictionary.
        var mine = events.Where(e => e.App == Apps.Default).ToList();
        var userIds = mine.Select(e => e.UserId).Distinct().ToList();
        var itemIds = mine.Select(e => e.ItemId).Distinct().ToList();
        var reference = new Dictionary<(string User, string Item), (double Weight, long Latest)>();
        foreach (var e in mine)
        {
            if (!EventTypeRegistry.Default.TryGet(e.Type, out var type) || type.Role == EventRole.Impression)
            {
                continue;
            }
            float w = type.WeightOf(e.Value);
            reference[(e.UserId, e.ItemId)] = reference.TryGetValue((e.UserId, e.ItemId), out var acc) ? (acc.Weight + w, Math.Max(acc.Latest, e.TimestampMs)) : (w, e.TimestampMs);
        }
        var expected = reference.Where(kv => !dropNonPositive || kv.Value.Weight > 0).ToList();

        Assert.Equal(userIds, s.UserIds);
        Assert.Equal(itemIds, s.ItemIds);
        Assert.Equal(expected.Count, s.Matrix.NonZeros);
        foreach (var ((user, item), (weight, latest)) in expected)
        {
            int u = userIds.IndexOf(user), i = itemIds.IndexOf(item);
            int k = s.Matrix.RowIndices(u).BinarySearch(i);
            Assert.True(k >= 0, $"({user}, {item}) is missing");
            Assert.Equal(weight, s.Matrix.RowValues(u)[k]);
            Assert.Equal(latest, s.Matrix.RowTimestamps(u)[k]);
        }
    }
}
