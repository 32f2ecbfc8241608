using Cascade.Storage.Log;
using static Cascade.Storage.Tests.LogTesting;

namespace Cascade.Storage.Tests;

public class EventLogTests
{
    [Fact]
    public async Task Appended_records_read_back_in_order_with_sequences_1_2_3_and_no_gaps()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);

        var first = await log.AppendAsync([Entry(0), Entry(1, kind: RecordKind.ItemUpsert)]);
        var second = await log.AppendAsync(Entry(2, kind: RecordKind.ItemHide));
        var third = await log.AppendAsync([Entry(3, kind: RecordKind.UserUpsert), Entry(4), Entry(5)]);

        Assert.Equal([new AppendResult(1, false), new AppendResult(2, false)], first);
        Assert.Equal(new AppendResult(3, false), second);
        Assert.Equal([4L, 5L, 6L], third.Select(r => r.Sequence));
        Assert.Equal(6, log.LastSequence);
        var all = ReadAll(log);
        Assert.Equal([1L, 2, 3, 4, 5, 6], all.Select(r => r.Sequence));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"payload-{i:D6}"), all.Select(r => r.Payload));
        Assert.Equal([RecordKind.Event, RecordKind.ItemUpsert, RecordKind.ItemHide, RecordKind.UserUpsert, RecordKind.Event, RecordKind.Event], all.Select(r => r.Kind));
    }

    [Fact]
    public async Task A_new_log_is_empty_and_reports_a_clean_recovery()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);

        Assert.Equal(0, log.LastSequence);
        Assert.Empty(log.ReadFrom(1));
        Assert.Equal(new RecoveryReport(0, 0, null), log.Recovery);
        Assert.Equal(dir.Path, log.Directory);
        Assert.Empty(await log.AppendAsync([]));
        Assert.Equal(0, log.LastSequence);
    }

    [Fact]
    public async Task Empty_and_binary_payloads_are_stored_exactly()
    {
        using var dir = new TempDirectory();
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        using (var log = EventLog.Open(dir.Path))
        {
            await log.AppendAsync([new LogEntry(RecordKind.Event, Array.Empty<byte>()), new LogEntry(RecordKind.Event, binary, "k")]);
        }

        using var reopened = EventLog.Open(dir.Path);
        var records = reopened.ReadFrom().ToList();
        Assert.Equal(2, records.Count);
        Assert.True(records[0].Payload.IsEmpty);
        Assert.Equal(binary, records[1].Payload.ToArray());
    }

    [Fact]
    public async Task ReadFrom_returns_only_records_at_or_after_the_sequence()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);
        await AppendRange(log, 0, 10, batch: 3);

        Assert.Equal([7L, 8, 9, 10], log.ReadFrom(7).Select(r => r.Sequence));
        Assert.Equal(10, log.ReadFrom(0).Count());
        Assert.Single(log.ReadFrom(10));
        Assert.Empty(log.ReadFrom(11));
    }

    [Fact]
    public async Task A_reopened_log_keeps_every_record_and_continues_the_sequence()
    {
        using var dir = new TempDirectory();
        using (var log = EventLog.Open(dir.Path))
        {
            await AppendRange(log, 0, 25, batch: 4);
        }

        using (var log = EventLog.Open(dir.Path))
        {
            Assert.Equal(25, log.LastSequence);
            Assert.Equal(new RecoveryReport(25, 0, null), log.Recovery);
            Assert.Equal(new AppendResult(26, false), await log.AppendAsync(Entry(25)));
        }

        using var again = EventLog.Open(dir.Path);
        var all = ReadAll(again);
        Assert.Equal(Enumerable.Range(1, 26).Select(i => (long)i), all.Select(r => r.Sequence));
        Assert.Equal(Enumerable.Range(0, 26).Select(i => $"payload-{i:D6}"), all.Select(r => r.Payload));
    }

    [Fact]
    public async Task A_small_SegmentBytes_rolls_the_log_into_segments_named_by_their_first_sequence()
    {
        using var dir = new TempDirectory();
        var options = new EventLogOptions { SegmentBytes = 1 << 16 };
        var big = new byte[10_000];
        new Random(3).NextBytes(big);
        using (var log = EventLog.Open(dir.Path, options))
        {
            for (int i = 0; i < 30; i++)
            {
                await log.AppendAsync(new LogEntry(RecordKind.Event, big, $"key-{i}"));
            }
        }

        var segments = Segments(dir.Path);
        Assert.True(segments.Length >= 4, $"expected the log to roll into several segments, found {segments.Length}");
        Assert.Equal("00000000000000000001.log", Path.GetFileName(segments[0]));
        long expectedFirst = 1;
        foreach (var segment in segments)
        {
            Assert.Equal($"{expectedFirst:D20}.log", Path.GetFileName(segment));
            Assert.True(new FileInfo(segment).Length <= options.SegmentBytes, $"{segment} is larger than SegmentBytes");
            expectedFirst += RecordOffsets(segment).Count;
        }
        Assert.Equal(31, expectedFirst);

        using var reopened = EventLog.Open(dir.Path, options);
        Assert.Equal(30, reopened.LastSequence);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), reopened.ReadFrom().Select(r => r.Sequence));
        Assert.Equal(Enumerable.Range(13, 18).Select(i => (long)i), reopened.ReadFrom(13).Select(r => r.Sequence));
        Assert.All(reopened.ReadFrom(), r => Assert.Equal(big, r.Payload.ToArray()));
        Assert.True((await reopened.AppendAsync(new LogEntry(RecordKind.Event, big, "key-3"))).Duplicate);
        Assert.Equal(new AppendResult(31, false), await reopened.AppendAsync(new LogEntry(RecordKind.Event, big, "key-30")));
    }

    [Fact]
    public async Task A_batch_larger_than_a_segment_is_written_whole_into_one_segment()
    {
        using var dir = new TempDirectory();
        var options = new EventLogOptions { SegmentBytes = 1 << 16 };
        var entries = Enumerable.Range(0, 20).Select(_ => new LogEntry(RecordKind.Event, new byte[5000])).ToList();
        using (var log = EventLog.Open(dir.Path, options))
        {
            await log.AppendAsync(Entry(0));
            await log.AppendAsync(entries);
            await log.AppendAsync(Entry(1));
        }

        using var reopened = EventLog.Open(dir.Path, options);
        Assert.Equal(22, reopened.LastSequence);
        Assert.Equal(22, reopened.ReadFrom().Count());
    }

    [Fact]
    public async Task A_repeated_idempotency_key_is_acknowledged_with_the_first_sequence_and_stored_once()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);

        var a = await log.AppendAsync(Entry(0, "client-1"));
        var b = await log.AppendAsync(Entry(1));
        var again = await log.AppendAsync(Entry(2, "client-1"));
        var c = await log.AppendAsync(Entry(3, "client-2"));

        Assert.Equal(new AppendResult(1, false), a);
        Assert.Equal(new AppendResult(2, false), b);
        Assert.Equal(new AppendResult(1, true), again);
        Assert.Equal(new AppendResult(3, false), c);
        Assert.Equal(["payload-000000", "payload-000001", "payload-000003"], ReadAll(log).Select(r => r.Payload));
    }

    [Fact]
    public async Task A_key_repeated_within_one_batch_is_stored_once()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);

        var results = await log.AppendAsync([Entry(0, "k"), Entry(1, "other"), Entry(2, "k"), Entry(3), Entry(4, "k")]);

        Assert.Equal([new AppendResult(1, false), new AppendResult(2, false), new AppendResult(1, true), new AppendResult(3, false), new AppendResult(1, true)], results);
        Assert.Equal(3, log.LastSequence);
        Assert.Equal(["payload-000000", "payload-000001", "payload-000003"], ReadAll(log).Select(r => r.Payload));
    }

    [Fact]
    public async Task Idempotency_keys_survive_a_reopen()
    {
        using var dir = new TempDirectory();
        using (var log = EventLog.Open(dir.Path))
        {
            await log.AppendAsync([Entry(0, "k0"), Entry(1), Entry(2, "k2")]);
        }

        using var reopened = EventLog.Open(dir.Path);
        var results = await reopened.AppendAsync([Entry(10, "k2"), Entry(11, "k0"), Entry(12, "k3")]);

        Assert.Equal([new AppendResult(3, true), new AppendResult(1, true), new AppendResult(4, false)], results);
        Assert.Equal(4, reopened.ReadFrom().Count());
    }

    [Fact]
    public async Task Keys_are_compared_exactly_and_unkeyed_entries_are_never_deduplicated()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);

        var results = await log.AppendAsync([Entry(0, "Key"), Entry(1, "key"), Entry(2, "key "), Entry(3, "ключ"), Entry(4), Entry(4)]);
        var repeat = await log.AppendAsync([Entry(6, "ключ"), Entry(7, "KEY")]);

        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal([new AppendResult(4, true), new AppendResult(7, false)], repeat);
    }

    [Fact]
    public async Task An_empty_idempotency_key_means_no_key_before_and_after_a_reopen()
    {
        using var dir = new TempDirectory();
        using (var log = EventLog.Open(dir.Path))
        {
            var results = await log.AppendAsync([Entry(0, ""), Entry(1, "")]);
            Assert.Equal([new AppendResult(1, false), new AppendResult(2, false)], results);
        }

        using var reopened = EventLog.Open(dir.Path);
        Assert.Equal(new AppendResult(3, false), await reopened.AppendAsync(Entry(2, "")));
    }

    [Fact]
    public async Task Concurrent_appenders_racing_on_the_same_keys_store_each_key_once()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);
        const int Writers = 8, Keys = 300;

        var all = await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var results = new List<(string Key, AppendResult Result)>();
            var random = new Random(w);
            var order = Enumerable.Range(0, Keys).OrderBy(_ => random.Next()).ToArray();
            for (int i = 0; i < Keys; i += 10)
            {
                var keys = order[i..(i + 10)].Select(k => $"key-{k}").ToArray();
                var r = await log.AppendAsync([.. keys.Select((k, j) => Entry(j, k))]);
                results.AddRange(keys.Zip(r));
            }
            return results;
        })));

        Assert.Equal(Keys, log.LastSequence);
        foreach (var group in all.SelectMany(r => r).GroupBy(r => r.Key))
        {
            Assert.Single(group, r => !r.Result.Duplicate);
            Assert.Single(group.Select(r => r.Result.Sequence).Distinct());
        }
    }

    [Fact]
    public async Task Many_concurrent_appends_get_distinct_consecutive_sequences()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => log.AppendAsync([Entry(i), Entry(i)])));

        var sequences = results.SelectMany(r => r).Select(r => r.Sequence).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), sequences);
        Assert.All(results, r => Assert.Equal(r[0].Sequence + 1, r[1].Sequence));
    }

    [Fact]
    public async Task Readers_running_during_appends_and_segment_rolls_always_see_an_unbroken_prefix()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path, new EventLogOptions { SegmentBytes = 1 << 16 });
        var writer = AppendRange(log, 0, 20_000, batch: 50);
        int passes = 0;
        while (!writer.IsCompleted || passes == 0)
        {
            long expected = 1;
            foreach (var r in log.ReadFrom(1))
            {
                Assert.Equal(expected, r.Sequence);
                Assert.Equal($"payload-{expected - 1:D6}", PayloadText(r));
                expected++;
            }
            passes++;
        }
        await writer;

        Assert.True(Segments(dir.Path).Length > 3);
        Assert.Equal(20_000, log.ReadFrom(1).Count());
    }

    [Theory]
    [InlineData(DurabilityMode.EveryBatch)]
    [InlineData(DurabilityMode.Interval)]
    [InlineData(DurabilityMode.Off)]
    public async Task Each_durability_mode_acknowledges_appends_and_keeps_them_across_a_reopen(DurabilityMode mode)
    {
        using var dir = new TempDirectory();
        var options = new EventLogOptions { Durability = mode, FsyncIntervalMs = 5, SegmentBytes = 1 << 16 };
        using (var log = EventLog.Open(dir.Path, options))
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(w => AppendRange(log, w * 1000, 500, batch: 7)));
            Assert.Equal(2000, log.LastSequence);
            await Task.Delay(20); // lets an Interval fsync run while idle
            await AppendRange(log, 9000, 10);
        }

        using var reopened = EventLog.Open(dir.Path, options);
        Assert.Equal(2010, reopened.LastSequence);
        Assert.Equal(0, reopened.Recovery.TruncatedBytes);
        var payloads = ReadAll(reopened).Select(r => r.Payload).ToHashSet();
        Assert.Equal(2010, payloads.Count);
        Assert.Contains("payload-003499", payloads);
        Assert.Contains("payload-009009", payloads);
    }

    [Fact]
    public void Invalid_options_are_refused_naming_the_option()
    {
        using var dir = new TempDirectory();

        Assert.Equal("FsyncIntervalMs", Assert.Throws<ArgumentOutOfRangeException>(() => EventLog.Open(dir.Path, new EventLogOptions { FsyncIntervalMs = 0 })).ParamName);
        Assert.Equal("SegmentBytes", Assert.Throws<ArgumentOutOfRangeException>(() => EventLog.Open(dir.Path, new EventLogOptions { SegmentBytes = 1000 })).ParamName);
        Assert.Equal("MaxBatchBytes", Assert.Throws<ArgumentOutOfRangeException>(() => EventLog.Open(dir.Path, new EventLogOptions { MaxBatchBytes = 100 })).ParamName);
        Assert.Equal("Durability", Assert.Throws<ArgumentOutOfRangeException>(() => EventLog.Open(dir.Path, new EventLogOptions { Durability = (DurabilityMode)7 })).ParamName);
        Assert.Empty(Segments(dir.Path));
    }

    [Fact]
    public async Task An_idempotency_key_over_the_limit_is_refused_and_nothing_of_the_call_is_stored()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);

        var ex = Assert.Throws<ArgumentException>(() => { _ = log.AppendAsync([Entry(0), Entry(1, new string('k', 1025))]); });

        Assert.Contains("Entry 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(new AppendResult(1, false), await log.AppendAsync(Entry(2, new string('k', 1024))));
        Assert.Single(log.ReadFrom());
    }

    [Fact]
    public void A_payload_over_the_record_limit_is_refused()
    {
        using var dir = new TempDirectory();
        using var log = EventLog.Open(dir.Path);

        Assert.Throws<ArgumentException>(() => { _ = log.AppendAsync([new LogEntry(RecordKind.Event, new byte[16 << 20])]); });
        Assert.Equal(0, log.LastSequence);
    }

    [Fact]
    public async Task A_closed_log_refuses_appends_and_can_be_disposed_twice()
    {
        using var dir = new TempDirectory();
        var log = EventLog.Open(dir.Path);
        await log.AppendAsync(Entry(0));
        log.Dispose();

        Assert.Throws<ObjectDisposedException>(() => { _ = log.AppendAsync([Entry(1)]); });
        log.Dispose();
        using var reopened = EventLog.Open(dir.Path);
        Assert.Equal(1, reopened.LastSequence);
    }

    [Fact]
    public async Task Appends_in_flight_when_the_log_is_disposed_are_completed_and_kept()
    {
        using var dir = new TempDirectory();
        var log = EventLog.Open(dir.Path, new EventLogOptions { Durability = DurabilityMode.Off });
        var tasks = Enumerable.Range(0, 100).Select(i => log.AppendAsync([Entry(i)])).ToArray();
        log.Dispose();

        var results = await Task.WhenAll(tasks);

        using var reopened = EventLog.Open(dir.Path);
        Assert.Equal(100, reopened.LastSequence);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), results.Select(r => r[0].Sequence).Order());
    }
}
