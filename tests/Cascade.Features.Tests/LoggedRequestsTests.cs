using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Features.Tests;

public class LoggedRequestsTests
{
    private const long T = 1_700_000_000_000;

    private static FeedbackEvent Ev(string user, string item, string type, long at, string? request = null, int? position = null, string app = "shop") =>
        new(app, null, user, item, type, null, at, request, position);

    private static async Task<IReadOnlyList<LoggedRequest>> Read(TempDirectory dir, IEnumerable<FeedbackEvent> events, int maxRequests = 100)
    {
        using var log = EventLog.Open(dir.Path);
        await log.AppendAsync([.. events.Select(RecordCodec.ToEntry)]);
        return LoggedRequests.Read(log, "shop", EventTypeRegistry.Default, log.LastSequence, maxRequests, attributionWindowMs: 60_000);
    }

    [Fact]
    public async Task A_served_list_comes_back_in_position_order_with_the_clicks_that_followed_it()
    {
        using var dir = new TempDirectory();
        var lists = await Read(dir,
        [
            Ev("u1", "b", "impression", T, "r1", 1),
            Ev("u1", "a", "impression", T, "r1", 0),
            Ev("u1", "c", "impression", T, "r1", 2),
            Ev("u2", "a", "impression", T, "r2", 0),
            Ev("u1", "b", "click", T + 5_000, "r1"),       // clicked from r1
            Ev("u1", "c", "click", T + 120_000, "r1"),     // after the window
            Ev("u2", "a", "click", T + 1_000, "r-other"),  // from another request
            Ev("u1", "a", "click", T + 1_000, app: "other"), // another app
        ]);
        Assert.Equal(2, lists.Count);
        var r1 = lists.Single(l => l.RequestId == "r1");
        Assert.Equal("u1", r1.UserId);
        Assert.Equal(T, r1.TimeMs);
        Assert.Equal(["a", "b", "c"], r1.Items.Select(i => i.ItemId));
        Assert.Equal([0, 1, 2], r1.Items.Select(i => i.Position ?? -1));
        Assert.Equal([false, true, false], r1.Items.Select(i => i.Clicked));
        Assert.False(lists.Single(l => l.RequestId == "r2").Items[0].Clicked);
    }

    [Fact]
    public async Task Only_the_newest_lists_are_kept()
    {
        using var dir = new TempDirectory();
        var lists = await Read(dir, Enumerable.Range(0, 10).Select(i => Ev("u1", "i" + i, "impression", T + i, "r" + i, 0)), maxRequests: 3);
        Assert.Equal(["r7", "r8", "r9"], lists.Select(l => l.RequestId));
    }
}
