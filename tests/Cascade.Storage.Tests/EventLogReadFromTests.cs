using Cascade.Storage.Log;

namespace Cascade.Storage.Tests;

public class EventLogReadFromTests
{
    // ~40,000 records of ~40 bytes span several read marks (one per 256 KiB) and, with 1 MiB segments, two segments.
    private const int Records = 40_000;

    [Fact]
    public async Task Reading_from_any_sequence_returns_exactly_the_records_from_there_on_while_open_and_after_reopening()
    {
        using var dir = new TempDirectory();
        var options = new EventLogOptions { SegmentBytes = 1 << 20, Durability = DurabilityMode.Off };
        using (var log = EventLog.Open(dir.Path, options))
        {
            await LogTesting.AppendRange(log, 0, Records, batch: 97);
            AssertReadsFromEverywhere(log);
        }
        Assert.True(LogTesting.Segments(dir.Path).Length >= 2, "the test should span more than one segment");
        using (var reopened = EventLog.Open(dir.Path, options))
        {
            AssertReadsFromEverywhere(reopened);
            await LogTesting.AppendRange(reopened, Records, 500, batch: 50);
            var tail = LogTesting.ReadAll(reopened, Records - 10);
            Assert.Equal(511, tail.Count);
            Assert.Equal(Records - 10, tail[0].Sequence);
            Assert.Equal($"payload-{Records + 499:D6}", tail[^1].Payload);
        }
    }

    [Fact]
    public async Task A_follower_reading_on_from_where_it_stopped_gets_each_record_once_across_marks_and_segments()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path, new EventLogOptions { SegmentBytes = 1 << 20, Durability = DurabilityMode.Off });
        long next = 1;
        int appended = 0;
        var rng = new Random(5);
        while (appended < Records)
        {
            int n = rng.Next(1, 400);
            await LogTesting.AppendRange(log, appended, n, batch: 37);
            appended += n;
            var read = LogTesting.ReadAll(log, next);
            Assert.Equal(appended - next + 1, read.Count);
            Assert.Equal(next, read[0].Sequence);
            Assert.Equal($"payload-{next - 1:D6}", read[0].Payload);
            next = read[^1].Sequence + 1;
            // Reading again from before where the last read ended still starts at the right record.
            long back = Math.Max(1, next - rng.Next(1, 3000));
            Assert.Equal(back, LogTesting.ReadAll(log, back)[0].Sequence);
        }
        Assert.True(LogTesting.Segments(dir.Path).Length >= 2, "the test should span more than one segment");
    }

    private static void AssertReadsFromEverywhere(EventLog log)
    {
        var rng = new Random(3);
        foreach (long from in new long[] { 1, 2, Records / 2, Records - 1, Records, Records + 1 }.Concat(Enumerable.Range(0, 20).Select(_ => (long)rng.Next(1, Records))))
        {
            var read = LogTesting.ReadAll(log, from);
            long expected = Math.Max(0, Records - from + 1);
            Assert.Equal(expected, read.Count);
            if (read.Count > 0)
            {
                Assert.Equal(from, read[0].Sequence);
                Assert.Equal($"payload-{from - 1:D6}", read[0].Payload);
                Assert.Equal(Records, read[^1].Sequence);
            }
        }
    }
}
