using Cascade.Storage.Log;

namespace Cascade.Storage.Tests;

public class EventLogNewSegmentRecoveryTests
{
    [Fact]
    public async Task A_newest_segment_of_only_zeros_is_dropped_and_the_log_continues_after_the_previous_one()
    {
        using var dir = new TempDirectory();
        var options = new EventLogOptions { Durability = DurabilityMode.EveryBatch };
        using (var log = EventLog.Open(dir.Path, options))
        {
            await LogTesting.AppendRange(log, 0, 10, batch: 5);
        }
        // A crash right after the next segment's file was created and sized, before its header reached the disk.
        string next = Path.Combine(dir.Path, "00000000000000000011.log");
        File.WriteAllBytes(next, new byte[64]);

        using var reopened = EventLog.Open(dir.Path, options);

        Assert.False(File.Exists(next));
        Assert.Equal(10, reopened.LastSequence);
        await LogTesting.AppendRange(reopened, 10, 3);
        Assert.Equal(13, LogTesting.ReadAll(reopened).Count);
    }
}
