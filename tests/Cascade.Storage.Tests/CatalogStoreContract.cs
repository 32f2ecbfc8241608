using Cascade.Core.Domain;
using Cascade.Storage.Catalog;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Storage.Tests;

/// <summary>
/// The behaviour every <see cref="ICatalogStore"/> owes the engine, written once and run against each
/// implementation: derive this class, implement <see cref="OpenStore"/>, and every test below runs against it.
/// xUnit creates one instance per test, so each test starts from an empty store of its own.
/// </summary>
public abstract class CatalogStoreContract : IDisposable
{
    private readonly List<ICatalogStore> _open = [];
    private long _sequence;

    /// <summary>
    /// Opens the store under test. The first call of a test gets an empty store; a later call, after the earlier
    /// instance was disposed, must open the same data again (a restart).
    /// </summary>
    protected abstract ICatalogStore OpenStore();

    private ICatalogStore Open()
    {
        var store = OpenStore();
        _open.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var store in _open)
        {
            store.Dispose();
        }
        DisposeResources();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the derived class holds (a temp folder, a schema) after every store is closed.</summary>
    protected virtual void DisposeResources()
    {
    }

    // Log records with consecutive sequences, as the engine would read them from the log.
    private LogRecord Next(LogEntry entry) => new(++_sequence, entry.Kind, entry.Payload);

    private LogRecord Ev(string user, string item, string type = "click", long ts = 1000, string app = Apps.Default, double? value = null, string? eventId = null, string? requestId = null, int? position = null) =>
        Next(RecordCodec.ToEntry(new FeedbackEvent(app, eventId, user, item, type, value, ts, requestId, position)));

    private LogRecord ItemRec(Item item) => Next(RecordCodec.ToEntry(item));

    private LogRecord UserRec(string id, string attributes = "{}", string app = Apps.Default) => Next(RecordCodec.ToEntry(new User(app, id, attributes)));

    private LogRecord Hide(string id, string app = Apps.Default) => Next(RecordCodec.HideEntry(app, id));

    private static Item MakeItem(string id, string title = "T", string app = Apps.Default, bool hidden = false, string[]? categories = null) =>
        new(app, id, title, categories ?? ["c1"], ["t1", "t2"], """{"k":1}""", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), hidden, null);

    [Fact]
    public void A_new_store_is_empty()
    {
        using var store = Open();

        Assert.Equal(0, store.AppliedSequence);
        Assert.Null(store.GetItem(Apps.Default, "i1"));
        Assert.Null(store.GetUser(Apps.Default, "u1"));
        Assert.Empty(store.GetUserEvents(Apps.Default, "u1", 10));
        Assert.Empty(store.GetUserItemIds(Apps.Default, "u1"));
        Assert.Empty(store.ListItems(Apps.Default));
        Assert.Empty(store.LoadIds(Apps.Default, IdKind.User));
        Assert.Empty(store.LoadIds(Apps.Default, IdKind.Item));
        Assert.Equal(new CatalogCounts(0, 0, 0), store.Count(Apps.Default));
    }

    [Fact]
    public void Applying_records_stores_them_and_advances_the_applied_sequence()
    {
        using var store = Open();
        var item = MakeItem("i1", "First item");

        store.Apply([ItemRec(item), UserRec("u1", """{"age":30}"""), Ev("u1", "i1", "like", ts: 5000, value: 1.5, eventId: "e1", requestId: "r1", position: 2)]);

        Assert.Equal(3, store.AppliedSequence);
        CatalogAssert.SameItem(item, store.GetItem(Apps.Default, "i1"));
        Assert.Equal(new User(Apps.Default, "u1", """{"age":30}"""), store.GetUser(Apps.Default, "u1"));
        var events = store.GetUserEvents(Apps.Default, "u1", 10);
        Assert.Equal([new FeedbackEvent(Apps.Default, "e1", "u1", "i1", "like", 1.5, 5000, "r1", 2)], events);
        Assert.Equal(new CatalogCounts(1, 1, 1), store.Count(Apps.Default));
    }

    [Fact]
    public void An_empty_apply_changes_nothing()
    {
        using var store = Open();
        store.Apply([Ev("u1", "i1")]);

        store.Apply([]);

        Assert.Equal(1, store.AppliedSequence);
        Assert.Equal(1, store.Count(Apps.Default).Events);
    }

    [Fact]
    public void Replaying_records_at_or_below_the_applied_sequence_changes_nothing()
    {
        using var store = Open();
        var batch = new[] { Ev("u1", "i1"), Ev("u1", "i2"), UserRec("u1"), ItemRec(MakeItem("i3")), Ev("u2", "i1") };
        store.Apply(batch);
        var more = new[] { Ev("u2", "i4"), Ev("u3", "i1") };

        store.Apply(batch);                  // a full replay
        store.Apply([.. batch[2..], .. more]); // an overlapping replay: only 6 and 7 are new
        store.Apply(more);

        Assert.Equal(7, store.AppliedSequence);
        Assert.Equal(new CatalogCounts(1, 1, 5), store.Count(Apps.Default));
        Assert.Equal(["u1", "u2", "u3"], store.LoadIds(Apps.Default, IdKind.User));
        Assert.Equal(["i1", "i2", "i3", "i4"], store.LoadIds(Apps.Default, IdKind.Item));
        Assert.Equal(2, store.GetUserEvents(Apps.Default, "u1", 100).Count);
    }

    [Fact]
    public void An_item_upsert_replaces_every_field_including_hidden()
    {
        using var store = Open();
        var first = MakeItem("i1", "Old title", categories: ["a", "b"]);
        var second = new Item(Apps.Default, "i1", "New title", ["z"], [], "{}", DateTimeOffset.FromUnixTimeMilliseconds(42), false,
            DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));

        store.Apply([ItemRec(first), Hide("i1")]);
        Assert.True(store.GetItem(Apps.Default, "i1")!.Hidden);
        store.Apply([ItemRec(second)]);

        CatalogAssert.SameItem(second, store.GetItem(Apps.Default, "i1"));
        Assert.Equal(1, store.Count(Apps.Default).Items);
        Assert.Single(store.ListItems(Apps.Default));
    }

    [Fact]
    public void Getting_several_items_returns_those_that_exist_with_their_current_fields()
    {
        using var store = Open();
        var first = MakeItem("i1", "One");
        var second = MakeItem("i2", "Two");
        store.Apply([ItemRec(first), ItemRec(second), ItemRec(MakeItem("i3")), Hide("i2"), ItemRec(MakeItem("other", app: "app2"))]);

        var found = store.GetItems(Apps.Default, ["i2", "i1", "missing", "i1", "other"]);

        Assert.Equal(["i1", "i2"], found.Keys.Order(StringComparer.Ordinal));
        CatalogAssert.SameItem(first, found["i1"]);
        CatalogAssert.SameItem(second with { Hidden = true }, found["i2"]);
        Assert.Empty(store.GetItems(Apps.Default, []));
        var many = Enumerable.Range(0, 1_200).Select(i => "x" + i).Append("i3").ToArray(); // more ids than one statement's parameters
        Assert.Equal(["i3"], store.GetItems(Apps.Default, many).Keys);
    }

    [Fact]
    public void User_events_of_given_types_skip_the_others_before_the_limit()
    {
        using var store = Open();
        store.Apply([Ev("u1", "i1", "like", ts: 1000), Ev("u1", "i2", "impression", ts: 2000), Ev("u1", "i3", "impression", ts: 3000),
            Ev("u1", "i4", "click", ts: 4000), Ev("u1", "i5", "impression", ts: 5000), Ev("u2", "i6", "like", ts: 6000)]);

        var history = store.GetUserEvents(Apps.Default, "u1", 2, ["like", "click"]);

        Assert.Equal(["i4", "i1"], history.Select(e => e.ItemId));
        Assert.Equal(["i5", "i4"], store.GetUserEvents(Apps.Default, "u1", 2).Select(e => e.ItemId));
        Assert.Empty(store.GetUserEvents(Apps.Default, "u1", 10, []));
        Assert.Empty(store.GetUserEvents(Apps.Default, "nobody", 10, ["like"]));
    }

    [Fact]
    public void A_user_upsert_replaces_the_attributes()
    {
        using var store = Open();

        store.Apply([UserRec("u1", """{"a":1}"""), UserRec("u1", """{"b":2}""")]);

        Assert.Equal("""{"b":2}""", store.GetUser(Apps.Default, "u1")!.AttributesJson);
        Assert.Equal(1, store.Count(Apps.Default).Users);
    }

    [Fact]
    public void Hiding_marks_the_item_hidden_and_keeps_its_other_fields()
    {
        using var store = Open();
        var item = MakeItem("i1", "Title");

        store.Apply([ItemRec(item), ItemRec(MakeItem("i2")), Hide("i1"), Hide("never-created")]);

        CatalogAssert.SameItem(item with { Hidden = true }, store.GetItem(Apps.Default, "i1"));
        Assert.False(store.GetItem(Apps.Default, "i2")!.Hidden);
        Assert.Null(store.GetItem(Apps.Default, "never-created"));
        Assert.Equal(4, store.AppliedSequence);
    }

    [Fact]
    public void ListItems_returns_every_item_of_the_app_and_only_those()
    {
        using var store = Open();

        store.Apply([ItemRec(MakeItem("b")), ItemRec(MakeItem("a")), ItemRec(MakeItem("c", app: "other")), ItemRec(MakeItem("b", "again"))]);

        var items = store.ListItems(Apps.Default);
        Assert.Equal(["a", "b"], items.Select(i => i.Id).Order(StringComparer.Ordinal));
        Assert.Equal("again", items.Single(i => i.Id == "b").Title);
        Assert.Equal(["c"], store.ListItems("other").Select(i => i.Id));
    }

    [Fact]
    public void User_events_come_newest_first_ties_by_later_sequence_and_limited()
    {
        using var store = Open();
        store.Apply([
            Ev("u1", "i1", ts: 100),
            Ev("u1", "i2", ts: 300),
            Ev("u2", "i9", ts: 999),
            Ev("u1", "i3", ts: 200),
            Ev("u1", "i4", ts: 300),     // same time as i2, later in the log
            Ev("u1", "i5", ts: 50, app: "other"),
        ]);

        Assert.Equal(["i4", "i2", "i3", "i1"], store.GetUserEvents(Apps.Default, "u1", 10).Select(e => e.ItemId));
        Assert.Equal(["i4", "i2"], store.GetUserEvents(Apps.Default, "u1", 2).Select(e => e.ItemId));
        Assert.Equal(["i5"], store.GetUserEvents("other", "u1", 10).Select(e => e.ItemId));
        Assert.Empty(store.GetUserEvents(Apps.Default, "nobody", 10));
    }

    [Fact]
    public void A_limit_below_one_is_refused()
    {
        using var store = Open();

        Assert.Throws<ArgumentOutOfRangeException>(() => store.GetUserEvents(Apps.Default, "u1", 0));
    }

    [Fact]
    public void User_item_ids_are_the_distinct_items_of_any_event_type()
    {
        using var store = Open();

        store.Apply([Ev("u1", "i1"), Ev("u1", "i1", "like"), Ev("u1", "i2", "impression"), Ev("u1", "i3", "dislike"), Ev("u2", "i4"), Ev("u1", "i5", app: "x")]);

        Assert.Equal(["i1", "i2", "i3"], store.GetUserItemIds(Apps.Default, "u1").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Dense_ids_follow_the_first_appearance_in_the_log_per_app_and_kind()
    {
        using var store = Open();

        store.Apply([
            Ev("u2", "i5"),
            Ev("u1", "i5"),
            ItemRec(MakeItem("i9")),
            UserRec("u3"),
            Ev("u1", "i1"),
            Ev("u9", "i9", app: "other"),
            Hide("i7"),                  // hiding an unknown item interns nothing
        ]);

        Assert.Equal(["u2", "u1", "u3"], store.LoadIds(Apps.Default, IdKind.User));
        Assert.Equal(["i5", "i9", "i1"], store.LoadIds(Apps.Default, IdKind.Item));
        Assert.Equal(["u9"], store.LoadIds("other", IdKind.User));
        Assert.Equal(["i9"], store.LoadIds("other", IdKind.Item));
    }

    [Fact]
    public void Stored_state_and_dense_ids_survive_a_reopen_and_new_ids_continue_after_them()
    {
        var item = MakeItem("i2", "Kept");
        using (var store = Open())
        {
            store.Apply([Ev("u1", "i1", ts: 10), ItemRec(item), UserRec("u2", """{"x":1}"""), Ev("u2", "i1", ts: 20)]);
        }

        using (var reopened = Open())
        {
            Assert.Equal(4, reopened.AppliedSequence);
            Assert.Equal(["u1", "u2"], reopened.LoadIds(Apps.Default, IdKind.User));
            Assert.Equal(["i1", "i2"], reopened.LoadIds(Apps.Default, IdKind.Item));
            CatalogAssert.SameItem(item, reopened.GetItem(Apps.Default, "i2"));
            Assert.Equal("""{"x":1}""", reopened.GetUser(Apps.Default, "u2")!.AttributesJson);
            Assert.Equal(new CatalogCounts(1, 1, 2), reopened.Count(Apps.Default));

            reopened.Apply([Ev("u3", "i3"), Ev("u1", "i2")]);
            Assert.Equal(["u1", "u2", "u3"], reopened.LoadIds(Apps.Default, IdKind.User));
            Assert.Equal(["i1", "i2", "i3"], reopened.LoadIds(Apps.Default, IdKind.Item));
        }

        using var again = Open();
        Assert.Equal(6, again.AppliedSequence);
        Assert.Equal(["u1", "u2", "u3"], again.LoadIds(Apps.Default, IdKind.User));
    }

    [Fact]
    public void Counts_are_per_app_items_and_users_upserted_and_events_stored()
    {
        using var store = Open();

        store.Apply([
            ItemRec(MakeItem("i1")), ItemRec(MakeItem("i2")), ItemRec(MakeItem("i1")), ItemRec(MakeItem("i1", app: "b")),
            UserRec("u1"), UserRec("u1", app: "b"), UserRec("u2", app: "b"),
            Ev("u1", "i1"), Ev("u1", "i1"), Ev("u7", "i8"), Ev("u1", "i1", app: "b"),
        ]);

        Assert.Equal(new CatalogCounts(2, 1, 3), store.Count(Apps.Default));
        Assert.Equal(new CatalogCounts(1, 2, 1), store.Count("b"));
        Assert.Equal(new CatalogCounts(0, 0, 0), store.Count("none"));
    }

    [Fact]
    public void Reset_deletes_everything_and_a_replay_gives_the_same_dense_ids()
    {
        using var store = Open();
        var records = new[] { Ev("u2", "i2"), ItemRec(MakeItem("i1")), Ev("u1", "i1"), UserRec("u3") };
        store.Apply(records);
        var users = store.LoadIds(Apps.Default, IdKind.User).ToArray();
        var items = store.LoadIds(Apps.Default, IdKind.Item).ToArray();

        store.Reset();

        Assert.Equal(0, store.AppliedSequence);
        Assert.Empty(store.LoadIds(Apps.Default, IdKind.User));
        Assert.Empty(store.LoadIds(Apps.Default, IdKind.Item));
        Assert.Null(store.GetItem(Apps.Default, "i1"));
        Assert.Null(store.GetUser(Apps.Default, "u3"));
        Assert.Empty(store.GetUserEvents(Apps.Default, "u1", 10));
        Assert.Equal(new CatalogCounts(0, 0, 0), store.Count(Apps.Default));

        store.Apply(records);
        Assert.Equal(users, store.LoadIds(Apps.Default, IdKind.User));
        Assert.Equal(items, store.LoadIds(Apps.Default, IdKind.Item));
        Assert.Equal(4, store.AppliedSequence);
    }

    [Fact]
    public void A_reset_is_persisted()
    {
        using (var store = Open())
        {
            store.Apply([Ev("u1", "i1")]);
            store.Reset();
        }

        using var reopened = Open();
        Assert.Equal(0, reopened.AppliedSequence);
        Assert.Empty(reopened.LoadIds(Apps.Default, IdKind.User));
    }

    [Fact]
    public void A_batch_with_an_undecodable_record_is_rolled_back_whole()
    {
        using var store = Open();
        store.Apply([Ev("u1", "i1")]);
        var good = Ev("u2", "i2");
        var bad = new LogRecord(++_sequence, RecordKind.Event, new byte[] { 1, 200 }); // a string longer than the payload
        var batch = new[] { good, bad };

        Assert.Throws<InvalidDataException>(() => store.Apply(batch));

        Assert.Equal(1, store.AppliedSequence);
        Assert.Equal(["u1"], store.LoadIds(Apps.Default, IdKind.User));
        Assert.Equal(["i1"], store.LoadIds(Apps.Default, IdKind.Item));
        Assert.Equal(1, store.Count(Apps.Default).Events);
        // The applier can continue with the records that follow.
        _sequence = 1;
        store.Apply([Ev("u3", "i3")]);
        Assert.Equal(["u1", "u3"], store.LoadIds(Apps.Default, IdKind.User));
        Assert.Equal(2, store.AppliedSequence);
    }

    [Fact]
    public void A_record_of_an_unknown_kind_is_refused()
    {
        using var store = Open();

        Assert.ThrowsAny<InvalidDataException>(() => store.Apply([new LogRecord(1, (RecordKind)99, new byte[] { 1 })]));
        Assert.Equal(0, store.AppliedSequence);
    }

    [Fact]
    public async Task Readers_running_while_records_are_applied_see_consistent_state()
    {
        using var store = Open();
        store.Apply([ItemRec(MakeItem("i0"))]);
        using var done = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            int reads = 0;
            while (!done.IsCancellationRequested || reads == 0)
            {
                var counts = store.Count(Apps.Default);
                var events = store.GetUserEvents(Apps.Default, "u1", 1000);
                Assert.True(counts.Items >= 1);
                Assert.True(events.Count <= 1000);
                Assert.NotNull(store.GetItem(Apps.Default, "i0"));
                reads++;
            }
            return reads;
        })).ToArray();

        for (int b = 0; b < 50; b++)
        {
            store.Apply([.. Enumerable.Range(0, 20).Select(i => Ev("u1", $"i{i}", ts: b * 100 + i))]);
        }
        done.Cancel();
        await Task.WhenAll(readers);

        Assert.Equal(1001, store.AppliedSequence);
        Assert.Equal(1000, store.Count(Apps.Default).Events);
        Assert.Equal(1000, store.GetUserEvents(Apps.Default, "u1", 5000).Count);
    }
}
