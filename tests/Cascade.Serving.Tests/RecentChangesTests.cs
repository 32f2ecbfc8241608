using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Serving.Tests;

public sealed class RecentChangesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    private static LogRecord At(long sequence, LogEntry entry) => new(sequence, entry.Kind, entry.Payload);

    private static LogRecord Event(long sequence, string user, string item, string type, long ts) =>
        At(sequence, RecordCodec.ToEntry(new FeedbackEvent(Apps.Default, null, user, item, type, null, ts, null, null)));

    private static LogRecord Upsert(long sequence, string id, bool hidden = false, DateTimeOffset? expires = null) =>
        At(sequence, RecordCodec.ToEntry(new Item(Apps.Default, id, "", [], [], "{}", Now, hidden, expires)));

    [Fact]
    public void History_keeps_the_newest_positive_and_negative_items_after_the_floor()
    {
        var changes = new RecentChanges(floor: 2, EventTypeRegistry.Default, historyLength: 3);
        changes.Observe(Event(1, "u1", "old", "like", 100));        // at or below the floor: in the bundle already
        changes.Observe(Event(2, "u1", "old2", "like", 100));
        changes.Observe(Event(3, "u1", "a", "click", 300));
        changes.Observe(Event(4, "u1", "b", "impression", 900));    // not history
        changes.Observe(Event(5, "u1", "c", "dislike", 500));
        changes.Observe(Event(6, "u1", "d", "like", 200));          // older than c: sorted by event time
        changes.Observe(Event(7, "u1", "e", "purchase", 50));       // oldest, beyond the 3 kept
        changes.Observe(Event(8, "u2", "z", "like", 10));

        Assert.Equal(["c", "a", "d"], changes.HistoryOf(Apps.Default, "u1"));
        Assert.Equal(["z"], changes.HistoryOf(Apps.Default, "u2"));
        Assert.Empty(changes.HistoryOf(Apps.Default, "nobody"));
        Assert.Empty(changes.HistoryOf("other-app", "u1"));
    }

    [Fact]
    public void Items_hidden_or_expired_after_the_floor_are_not_servable_and_an_upsert_restores_one()
    {
        var changes = new RecentChanges(floor: 0, EventTypeRegistry.Default, historyLength: 10);
        changes.Observe(At(1, RecordCodec.HideEntry(Apps.Default, "hidden")));
        changes.Observe(Upsert(2, "expired", expires: Now.AddMinutes(-1)));
        changes.Observe(Upsert(3, "later", expires: Now.AddMinutes(1)));
        changes.Observe(Upsert(4, "back"));
        changes.Observe(At(5, RecordCodec.HideEntry(Apps.Default, "back")));
        changes.Observe(Upsert(6, "back"));                         // an upsert replaces every field, hidden included

        Assert.False(changes.IsServable(Apps.Default, "hidden", Now));
        Assert.False(changes.IsServable(Apps.Default, "expired", Now));
        Assert.True(changes.IsServable(Apps.Default, "later", Now));
        Assert.False(changes.IsServable(Apps.Default, "later", Now.AddMinutes(2)));
        Assert.True(changes.IsServable(Apps.Default, "back", Now));
        Assert.True(changes.IsServable(Apps.Default, "unchanged", Now));
        Assert.True(changes.IsServable("other-app", "hidden", Now));
        Assert.Equal(4, changes.ChangedItems);
    }

    [Fact]
    public void Trimming_drops_an_apps_changes_up_to_a_sequence_and_raises_its_floor()
    {
        var changes = new RecentChanges(floor: 0, EventTypeRegistry.Default, historyLength: 10);
        changes.Observe(Event(1, "u1", "a", "like", 100));
        changes.Observe(Event(2, "u2", "b", "like", 200));
        changes.Observe(Upsert(3, "gone", hidden: true));
        changes.Observe(Event(4, "u1", "c", "like", 300));
        changes.Observe(Upsert(5, "later", hidden: true));
        changes.Observe(At(6, RecordCodec.ToEntry(new FeedbackEvent("other", null, "u1", "x", "like", null, 50, null, null))));
        changes.Observe(At(7, RecordCodec.HideEntry("other", "gone")));
        Assert.Equal(3, changes.Users);
        Assert.Equal(3, changes.ChangedItems);

        Assert.Equal(3, changes.Trim(Apps.Default, 3)); // a, b and the upsert of "gone"
        Assert.Equal(3, changes.FloorOf(Apps.Default));
        Assert.Equal(0, changes.FloorOf("other"));
        Assert.Equal(["c"], changes.HistoryOf(Apps.Default, "u1"));
        Assert.Empty(changes.HistoryOf(Apps.Default, "u2"));
        Assert.Equal(2, changes.Users); // u2 had nothing left
        Assert.True(changes.IsServable(Apps.Default, "gone", Now)); // the bundles know it now
        Assert.False(changes.IsServable(Apps.Default, "later", Now));
        Assert.Equal(["x"], changes.HistoryOf("other", "u1"));
        Assert.False(changes.IsServable("other", "gone", Now));

        Assert.Equal(0, changes.Trim(Apps.Default, 2)); // a floor never goes down
        Assert.Equal(3, changes.FloorOf(Apps.Default));
        changes.Observe(Event(8, "u2", "d", "like", 400)); // a user trimmed away comes back with new history
        Assert.Equal(["d"], changes.HistoryOf(Apps.Default, "u2"));
    }
}
