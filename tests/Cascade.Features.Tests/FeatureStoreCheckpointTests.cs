using Cascade.Storage.Engine;
using Cascade.Storage.Records;

namespace Cascade.Features.Tests;

public class FeatureStoreCheckpointTests
{
    private static async Task<(string Checkpoint, long Checkpointed)> Written(TempDirectory dir, SyntheticLog log, FeatureSet set, int before)
    {
        var options = new EngineOptions { DataDirectory = dir.Path };
        using var engine = CascadeEngine.Open(options);
        await engine.Log.AppendAsync([.. log.Items.Select(RecordCodec.ToEntry), .. log.Users.Select(RecordCodec.ToEntry), .. log.Events.Take(before).Select(RecordCodec.ToEntry)]);
        string path = options.CheckpointPathOf("features");
        using var store = OnlineFeatureStore.Open(path, set, engine.EventTypes, engine.Log.LastSequence);
        engine.Attach(store);
        await engine.WaitForAsync(store, engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        long checkpointed = engine.CheckpointProjections();
        // Appended after the checkpoint: the reopened store must get these from the log.
        await engine.Log.AppendAsync([.. log.Events.Skip(before).Select(RecordCodec.ToEntry)]);
        engine.Detach(store);
        return (path, checkpointed);
    }

    private static void SameRows(OnlineFeatureStore expected, OnlineFeatureStore actual)
    {
        string[] candidates = [.. Enumerable.Range(0, 70).Select(i => "i" + i)];
        long now = SyntheticLog.Start + 400 * SyntheticLog.Step;
        foreach (string user in new[] { "u0", "u3", "u17", "nobody" })
        {
            var a = expected.Hydrate(SyntheticLog.App, user, candidates, null, now);
            var b = actual.Hydrate(SyntheticLog.App, user, candidates, null, now);
            Assert.Equal(a.Categorical, b.Categorical);
            Assert.Equal(a.Numeric, b.Numeric);
        }
        Assert.Equal(expected.Count(SyntheticLog.App), actual.Count(SyntheticLog.App));
    }

    [Fact]
    public async Task A_store_reopened_from_its_checkpoint_and_fed_the_rest_of_the_log_equals_one_that_replayed_it_all()
    {
        using var dir = new TempDirectory();
        var log = SyntheticLog.Create(seed: 31, requests: 200, extraEvents: 300);
        var set = new FeatureSet(TrainingSetBuilderTests.Options);
        var (path, checkpointed) = await Written(dir, log, set, before: log.Events.Count / 2);

        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        using var resumed = OnlineFeatureStore.Open(path, set, engine.EventTypes, engine.Log.LastSequence);
        Assert.Equal(path, resumed.RestoredFrom);
        Assert.Equal(checkpointed, resumed.AppliedSequence);
        engine.Attach(resumed);
        await engine.WaitForAsync(resumed, engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        Assert.Equal(engine.Log.LastSequence - checkpointed, engine.StatusOf(resumed).RecordsApplied);

        using var replayed = new OnlineFeatureStore(set, engine.EventTypes);
        replayed.CatchUp(engine.Log);
        SameRows(replayed, resumed);
    }

    [Fact]
    public async Task A_checkpoint_of_other_feature_definitions_or_a_damaged_one_is_ignored()
    {
        using var dir = new TempDirectory();
        var log = SyntheticLog.Create(seed: 32, requests: 100, extraEvents: 100);
        var set = new FeatureSet(TrainingSetBuilderTests.Options);
        var (path, _) = await Written(dir, log, set, before: log.Events.Count);
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });

        using (var other = OnlineFeatureStore.Open(path, new FeatureSet(TrainingSetBuilderTests.Options with { ItemIdBuckets = 17 }), engine.EventTypes, engine.Log.LastSequence))
        {
            Assert.Null(other.RestoredFrom);
            Assert.Equal(0, other.AppliedSequence);
        }
        using (var shorterLog = OnlineFeatureStore.Open(path, set, engine.EventTypes, logLastSequence: 5))
        {
            Assert.Null(shorterLog.RestoredFrom);
        }
        byte[] bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x08;
        await File.WriteAllBytesAsync(path, bytes);
        using var damaged = OnlineFeatureStore.Open(path, set, engine.EventTypes, engine.Log.LastSequence);
        Assert.Null(damaged.RestoredFrom);
        Assert.Equal(0, damaged.AppliedSequence);
    }
}
