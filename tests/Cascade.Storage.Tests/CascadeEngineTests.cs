using Cascade.Core.Domain;
using Cascade.Storage.Catalog;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;
using Cascade.Storage.Records;
using static Cascade.Storage.Tests.LogTesting;

namespace Cascade.Storage.Tests;

public class CascadeEngineTests
{
    private static CascadeEngine OpenEngine(string dir) => CascadeEngine.Open(new EngineOptions { DataDirectory = dir });

    private static Item MakeItem(string id, string app = Apps.Default) =>
        new(app, id, "Title " + id, ["cat"], ["tag"], "{}", DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), false, null);

    /// <summary>Everything a catalog exposes for one app, in a comparable form.</summary>
    private static string Describe(ICatalogStore catalog, string app, IEnumerable<string> users)
    {
        var lines = new List<string>
        {
            $"applied {catalog.AppliedSequence}",
            $"counts {catalog.Count(app)}",
            "users " + string.Join(",", catalog.LoadIds(app, IdKind.User)),
            "items " + string.Join(",", catalog.LoadIds(app, IdKind.Item)),
        };
        foreach (var item in catalog.ListItems(app))
        {
            lines.Add($"item {item.Id} {item.Title} {string.Join("/", item.Categories)} {item.Hidden}");
        }
        foreach (string user in users)
        {
            lines.Add($"user {user} {catalog.GetUser(app, user)?.AttributesJson}");
            lines.AddRange(catalog.GetUserEvents(app, user, 1000).Select(e => $"  {e}"));
        }
        return string.Join("\n", lines);
    }

    private static async Task WriteMixedHistory(CascadeEngine engine)
    {
        await engine.UpsertItemsAsync([MakeItem("i3"), MakeItem("i1"), MakeItem("x", "other")]);
        await engine.UpsertUsersAsync([new User(Apps.Default, "u2", """{"a":1}""")]);
        var random = new Random(5);
        for (int b = 0; b < 10; b++)
        {
            var events = Enumerable.Range(0, 30).Select(i => Event($"u{random.Next(8)}", $"i{random.Next(12)}", ts: 1000 + b * 30 + i,
                eventId: i % 3 == 0 ? $"e{b}-{i}" : null, app: i % 7 == 0 ? "other" : Apps.Default)).ToList();
            await engine.AppendEventsAsync(events);
        }
        await engine.HideItemAsync(Apps.Default, "i3");
        await engine.UpsertItemsAsync([MakeItem("i1") with { Title = "Renamed" }]);
    }

    [Fact]
    public async Task Writes_are_in_the_log_first_and_visible_in_the_catalog_once_upserts_complete()
    {
        using var dir = new TempDirectory();
        using var engine = OpenEngine(dir.Path);

        var items = await engine.UpsertItemsAsync([MakeItem("i1"), MakeItem("i2")]);
        Assert.Equal("Title i1", engine.Catalog.GetItem(Apps.Default, "i1")?.Title);
        await engine.UpsertUsersAsync([new User(Apps.Default, "u1", "{}")]);
        Assert.NotNull(engine.Catalog.GetUser(Apps.Default, "u1"));
        await engine.HideItemAsync(Apps.Default, "i2");
        Assert.True(engine.Catalog.GetItem(Apps.Default, "i2")!.Hidden);

        Assert.Equal([1L, 2L], items.Select(r => r.Sequence));
        Assert.Equal(4, engine.Log.LastSequence);
        Assert.Equal([RecordKind.ItemUpsert, RecordKind.ItemUpsert, RecordKind.UserUpsert, RecordKind.ItemHide], engine.Log.ReadFrom().Select(r => r.Kind));
    }

    /// <summary>A projection that is busy (as the feature store while it writes its checkpoint) while held.</summary>
    private sealed class HeldProjection : ILogProjection
    {
        private long _applied;

        public volatile bool Held;

        public int Offers;

        public string Name => "held";

        public long AppliedSequence => Interlocked.Read(ref _applied);

        public bool Busy => Held;

        public void Apply(LogBatch batch)
        {
            Interlocked.Increment(ref Offers);
            if (Held)
            {
                return; // turned busy between the applier's look and this call: applies nothing
            }
            Interlocked.Exchange(ref _applied, batch.LastSequence);
        }
    }

    [Fact]
    public async Task A_busy_projection_is_passed_by_so_writes_waiting_for_the_catalog_go_on_and_it_catches_up_when_free()
    {
        using var dir = new TempDirectory();
        using var engine = OpenEngine(dir.Path);
        var held = new HeldProjection { Held = true };
        engine.Attach(held);
        await engine.AppendEventsAsync([Event("u1", "i1"), Event("u1", "i2")]);
        var waiting = engine.WaitForAsync(held, engine.Log.LastSequence);
        await engine.AppendEventsAsync([Event("u2", "i1")]);
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        Assert.Equal(2, engine.Catalog.GetUserEvents(Apps.Default, "u1", 10).Count);
        Assert.Equal(0, held.AppliedSequence);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, held.Offers); // passed by, not offered batches it would refuse

        held.Held = false;
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        await engine.WaitForAsync(held, engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        Assert.Equal(engine.Log.LastSequence, held.AppliedSequence);
    }

    [Fact]
    public async Task Appended_events_reach_the_catalog_and_a_repeated_event_id_is_stored_once()
    {
        using var dir = new TempDirectory();
        using var engine = OpenEngine(dir.Path);

        var first = await engine.AppendEventsAsync([Event("u1", "i1", eventId: "e1"), Event("u1", "i2")]);
        var again = await engine.AppendEventsAsync([Event("u1", "i1", eventId: "e1"), Event("u1", "i3", eventId: "e1")]);
        var otherApp = await engine.AppendEventsAsync([Event("u1", "i1", eventId: "e1", app: "other")]);
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));

        Assert.Equal([new AppendResult(1, false), new AppendResult(2, false)], first);
        Assert.Equal([new AppendResult(1, true), new AppendResult(1, true)], again);
        Assert.Equal(new AppendResult(3, false), otherApp[0]);
        Assert.Equal(["i1", "i2"], engine.Catalog.GetUserEvents(Apps.Default, "u1", 10).Select(e => e.ItemId).Order(StringComparer.Ordinal));
        Assert.Equal(1, engine.Catalog.Count("other").Events);
    }

    [Fact]
    public async Task Impressions_stay_in_the_log_and_make_no_catalog_rows_even_across_a_restart()
    {
        using var dir = new TempDirectory();
        using (var engine = OpenEngine(dir.Path))
        {
            await engine.AppendEventsAsync([Event("u1", "i1"), Event("u1", "i2", type: "impression")]);
            // A batch of impressions only: applied (the position moves on) without a catalog write.
            await engine.AppendEventsAsync([Event("u2", "i3", type: "impression"), Event("u1", "i4", type: "impression")]);
            await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));
            Assert.Equal(4, engine.Catalog.AppliedSequence);
            Assert.Equal(["i1"], engine.Catalog.GetUserEvents(Apps.Default, "u1", 10).Select(e => e.ItemId));
            Assert.Null(engine.Catalog.GetUser(Apps.Default, "u2"));
            Assert.Equal(1, engine.Catalog.Count(Apps.Default).Events);
            Assert.Equal(4, engine.Log.ReadFrom(1).Count());
        }
        using (var reopened = OpenEngine(dir.Path))
        {
            await reopened.AppendEventsAsync([Event("u1", "i5")]);
            await reopened.WaitForCatalogAsync(reopened.Log.LastSequence, TimeSpan.FromSeconds(30));
            Assert.Equal(5, reopened.Catalog.AppliedSequence);
            Assert.Equal(["i5", "i1"], reopened.Catalog.GetUserEvents(Apps.Default, "u1", 10).Select(e => e.ItemId));
            Assert.Equal(2, reopened.Catalog.Count(Apps.Default).Events);
        }
    }

    [Fact]
    public async Task The_catalog_catches_up_on_open_with_records_it_has_not_applied()
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        using (var engine = CascadeEngine.Open(options))
        {
            await engine.AppendEventsAsync([Event("u1", "i1")]);
        }
        // Records written to the log while the catalog was not running (as after a crash before the applier ran).
        using (var log = EventLog.Open(options.LogDirectory))
        {
            await log.AppendAsync([.. Enumerable.Range(0, 50).Select(i => RecordCodec.ToEntry(Event($"u{i % 5}", $"i{i}", ts: i)))]);
            await log.AppendAsync(RecordCodec.ToEntry(MakeItem("i7")));
        }

        using var reopened = CascadeEngine.Open(options);
        await reopened.WaitForCatalogAsync(reopened.Log.LastSequence, TimeSpan.FromSeconds(30)); // the catalog catches up in the background

        Assert.Equal(52, reopened.Log.LastSequence);
        Assert.Equal(52, reopened.Catalog.AppliedSequence);
        Assert.Equal(51, reopened.Catalog.Count(Apps.Default).Events);
        Assert.Equal(["u1", "u0", "u2", "u3", "u4"], reopened.Catalog.LoadIds(Apps.Default, IdKind.User));
        Assert.NotNull(reopened.Catalog.GetItem(Apps.Default, "i7"));
    }

    [Fact]
    public async Task A_torn_tail_holding_records_the_catalog_applied_is_refused_and_recover_derives_the_catalog_again()
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        using (var engine = CascadeEngine.Open(options))
        {
            await engine.AppendEventsAsync([.. Enumerable.Range(0, 10).Select(i => Event("u1", $"i{i}", ts: i, eventId: $"e{i}"))]);
            await engine.WaitForCatalogAsync(10, TimeSpan.FromSeconds(30));
        }
        // A torn tail: the newest record is lost, but the catalog had applied it.
        string segment = Segments(options.LogDirectory).Single();
        Truncate(segment, new FileInfo(segment).Length - 3);

        // The torn tail held a record the catalog had applied (an acknowledged one): refused, naming the positions.
        var refused = Assert.Throws<LogMismatchException>(() => CascadeEngine.Open(options));
        Assert.Contains("applied the log up to sequence 10, but the log ends at sequence 9", refused.Message, StringComparison.Ordinal);
        Assert.Contains("cascade recover", refused.Message, StringComparison.Ordinal);

        using var reopened = CascadeEngine.Open(options with { AcceptLogAsIs = true });
        var repair = Assert.Single(reopened.Repairs);
        Assert.Equal(("derived-stores-rebuilt", 1, 1), (repair.Kind, repair.RecordsLost, repair.EventsLost));
        await reopened.WaitForCatalogAsync(reopened.Log.LastSequence, TimeSpan.FromSeconds(30)); // the catalog catches up in the background

        Assert.Equal(9, reopened.Log.LastSequence);
        Assert.Equal(9, reopened.Catalog.AppliedSequence);
        Assert.Equal(9, reopened.Catalog.Count(Apps.Default).Events);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"i{i}"), reopened.Catalog.LoadIds(Apps.Default, IdKind.Item));
        // The lost event can be sent again and is stored this time.
        var retry = await reopened.AppendEventsAsync([Event("u1", "i9", ts: 9, eventId: "e9")]);
        Assert.Equal(new AppendResult(10, false), retry[0]);
    }

    [Fact]
    public async Task Rebuilding_the_catalog_gives_identical_contents_and_dense_ids()
    {
        using var dir = new TempDirectory();
        using var engine = OpenEngine(dir.Path);
        await WriteMixedHistory(engine);
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        var users = Enumerable.Range(0, 8).Select(i => $"u{i}").ToArray();
        string before = Describe(engine.Catalog, Apps.Default, users);
        string beforeOther = Describe(engine.Catalog, "other", users);

        long applied = engine.RebuildCatalog();

        Assert.Equal(engine.Log.LastSequence, applied);
        Assert.Equal(before, Describe(engine.Catalog, Apps.Default, users));
        Assert.Equal(beforeOther, Describe(engine.Catalog, "other", users));
    }

    [Fact]
    public async Task Experiment_versions_are_stored_once_each_listed_newest_first_and_rebuilt_from_the_log()
    {
        using var dir = new TempDirectory();
        using var engine = OpenEngine(dir.Path);
        var first = await engine.PutExperimentAsync(new ExperimentRecord(Apps.Default, "x1", 1, """{"id":"x1","status":"draft"}""", 10));
        var again = await engine.PutExperimentAsync(new ExperimentRecord(Apps.Default, "x1", 1, """{"id":"x1","status":"changed"}""", 11));
        await engine.PutExperimentAsync(new ExperimentRecord(Apps.Default, "x1", 2, """{"id":"x1","status":"running"}""", 12));
        await engine.PutExperimentAsync(new ExperimentRecord(Apps.Default, "a0", 1, """{"id":"a0"}""", 13));
        await engine.PutExperimentAsync(new ExperimentRecord("other", "x1", 1, """{"id":"x1","app":"other"}""", 14));
        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate); // a version is written once: a retried write is acknowledged, not stored
        string Listed() => string.Join(" ", engine.Catalog.ListExperiments(Apps.Default).Select(x => $"{x.Id}@{x.Version}:{x.DefinitionJson}:{x.TimestampMs}"));
        string before = Listed();
        Assert.Equal("""a0@1:{"id":"a0"}:13 x1@2:{"id":"x1","status":"running"}:12""", before);
        Assert.Equal([1, 2], engine.Catalog.ExperimentVersions(Apps.Default, "x1").Select(x => x.Version));
        Assert.Empty(engine.Catalog.ExperimentVersions(Apps.Default, "nope"));
        Assert.Single(engine.Catalog.ListExperiments("other"));
        engine.RebuildCatalog();
        Assert.Equal(before, Listed());
    }

    [Fact]
    public async Task A_catalog_deleted_from_disk_is_derived_again_with_the_same_dense_ids()
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        var users = Enumerable.Range(0, 8).Select(i => $"u{i}").ToArray();
        string before;
        using (var engine = CascadeEngine.Open(options))
        {
            await WriteMixedHistory(engine);
            await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));
            before = Describe(engine.Catalog, Apps.Default, users);
        }
        foreach (string file in Directory.GetFiles(dir.Path, "catalog.db*"))
        {
            File.Delete(file);
        }

        using var reopened = CascadeEngine.Open(options);
        await reopened.WaitForCatalogAsync(reopened.Log.LastSequence, TimeSpan.FromSeconds(30)); // the catalog catches up in the background

        Assert.Equal(before, Describe(reopened.Catalog, Apps.Default, users));
    }

    [Fact]
    public async Task Rebuild_reports_progress_up_to_the_number_of_records()
    {
        using var dir = new TempDirectory();
        using var engine = OpenEngine(dir.Path);
        await engine.AppendEventsAsync([.. Enumerable.Range(0, 5000).Select(i => Event($"u{i % 10}", $"i{i % 100}", ts: i))]);
        var reports = new List<long>();

        long applied = engine.RebuildCatalog(new SynchronousProgress(reports));

        Assert.Equal(5000, applied);
        Assert.Equal(5000, reports[^1]);
        Assert.Equal(reports.Order(), reports);
    }

    [Fact]
    public void Options_without_a_data_directory_are_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => CascadeEngine.Open(new EngineOptions { DataDirectory = " " }));

        Assert.Equal("DataDirectory", ex.ParamName);
    }

    [Fact]
    public async Task A_corrupt_log_keeps_the_engine_closed_and_names_the_segment()
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        using (var engine = CascadeEngine.Open(options))
        {
            await engine.AppendEventsAsync([.. Enumerable.Range(0, 20).Select(i => Event("u1", $"i{i}"))]);
        }
        string segment = Segments(options.LogDirectory).Single();
        FlipBit(segment, RecordOffsets(segment)[3] + 30);

        var ex = Assert.Throws<LogCorruptException>(() => CascadeEngine.Open(options));

        Assert.Contains(segment, ex.Message, StringComparison.Ordinal);
    }

    private sealed class SynchronousProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }
}
