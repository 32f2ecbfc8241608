using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Snapshot;

namespace Cascade.Storage.Tests;

public class InteractionProjectionTests
{
    private static readonly string[] Types = ["click", "like", "dislike", "purchase", "rating", "impression"];

    private static async Task Fill(CascadeEngine engine, int seed, int events)
    {
        var random = new Random(seed);
        await engine.UpsertItemsAsync([new Item("shop", "first-item", "", [], [], "{}", DateTimeOffset.UnixEpoch, false, null)]);
        await engine.UpsertUsersAsync([new User(Apps.Default, "early-user", "{}")]);
        var batch = new List<FeedbackEvent>();
        for (int e = 0; e < events; e++)
        {
            string type = Types[random.Next(Types.Length)];
            batch.Add(new FeedbackEvent(random.Next(4) == 0 ? "shop" : Apps.Default, null, "u" + random.Next(40), "i" + random.Next(60), type,
                type == "rating" ? random.Next(1, 6) : null, 1000 + random.Next(100_000), null, null));
            if (batch.Count == 97)
            {
                await engine.AppendEventsAsync(batch);
                batch.Clear();
            }
        }
        await engine.AppendEventsAsync(batch);
    }

    private static void SameSnapshot(InteractionSnapshot expected, InteractionSnapshot actual)
    {
        Assert.Equal(expected.Sequence, actual.Sequence);
        Assert.Equal(expected.UserIds, actual.UserIds);
        Assert.Equal(expected.ItemIds, actual.ItemIds);
        Assert.Equal(expected.Matrix.RowPointers, actual.Matrix.RowPointers);
        Assert.Equal(expected.Matrix.ColumnIndices, actual.Matrix.ColumnIndices);
        Assert.Equal(expected.Matrix.Values, actual.Matrix.Values);
        Assert.Equal(expected.Matrix.Timestamps, actual.Matrix.Timestamps);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_projection_equals_a_replay_of_the_log_for_every_app(int seed)
    {
        using var dir = new TempDirectory();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        await Fill(engine, seed, 3_000);
        await engine.WaitForAsync(engine.Interactions, engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        foreach (string app in new[] { Apps.Default, "shop", "no-such-app" })
        {
            foreach (bool drop in new[] { true, false })
            {
                SameSnapshot(InteractionSnapshot.Build(engine.Log, engine.EventTypes, app, engine.Log.LastSequence, drop), engine.Interactions.Snapshot(app, drop));
            }
        }
    }

    [Fact]
    public async Task A_reopened_engine_resumes_from_the_checkpoint_and_applies_only_the_records_after_it()
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        long checkpointed;
        using (var engine = CascadeEngine.Open(options))
        {
            await Fill(engine, 3, 2_000);
            await engine.WaitForAsync(engine.Interactions, engine.Log.LastSequence, TimeSpan.FromSeconds(30));
            checkpointed = engine.CheckpointProjections();
            await Fill(engine, 4, 500); // after the checkpoint: applied again at the next open
        }
        using var reopened = CascadeEngine.Open(options);
        Assert.Equal(options.InteractionsCheckpointPath, reopened.Interactions.RestoredFrom);
        Assert.True(reopened.Interactions.AppliedSequence >= checkpointed);
        await reopened.WaitForAsync(reopened.Interactions, reopened.Log.LastSequence, TimeSpan.FromSeconds(30));
        Assert.True(reopened.StatusOf(reopened.Interactions).RecordsApplied < reopened.Log.LastSequence);
        SameSnapshot(InteractionSnapshot.Build(reopened), reopened.Interactions.Snapshot(Apps.Default));
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("ahead")]
    public async Task A_damaged_or_stale_checkpoint_is_ignored_and_the_log_is_replayed(string damage)
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        using (var engine = CascadeEngine.Open(options))
        {
            await Fill(engine, 5, 1_000);
            await engine.WaitForAsync(engine.Interactions, engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        }
        string path = options.InteractionsCheckpointPath;
        if (damage == "ahead")
        {
            // A checkpoint of a longer log (here: another data folder's) must not be trusted.
            using var other = new TempDirectory();
            using (var longer = CascadeEngine.Open(new EngineOptions { DataDirectory = other.Path }))
            {
                await Fill(longer, 6, 2_000);
                await longer.WaitForAsync(longer.Interactions, longer.Log.LastSequence, TimeSpan.FromSeconds(30));
            }
            File.Copy(new EngineOptions { DataDirectory = other.Path }.InteractionsCheckpointPath, path, overwrite: true);
        }
        else
        {
            byte[] bytes = await File.ReadAllBytesAsync(path);
            if (damage == "flip")
            {
                bytes[bytes.Length / 2] ^= 0x40;
            }
            await File.WriteAllBytesAsync(path, damage == "truncate" ? bytes[..(bytes.Length / 3)] : bytes);
        }
        if (damage == "ahead")
        {
            // Intact, but of a longer (here: another) log: the folder is refused until the operator accepts the log.
            var refused = Assert.Throws<LogMismatchException>(() => CascadeEngine.Open(options));
            Assert.Contains("interactions.ckpt", refused.Message, StringComparison.Ordinal);
            options = options with { AcceptLogAsIs = true };
        }
        using var reopened = CascadeEngine.Open(options);
        Assert.Null(reopened.Interactions.RestoredFrom);
        await reopened.WaitForAsync(reopened.Interactions, reopened.Log.LastSequence, TimeSpan.FromSeconds(30));
        SameSnapshot(InteractionSnapshot.Build(reopened), reopened.Interactions.Snapshot(Apps.Default));
    }
}
