using System.Buffers.Binary;
using Cascade.Storage.Log;
using static Cascade.Storage.Tests.LogTesting;

namespace Cascade.Storage.Tests;

/// <summary>Torn tails are truncated; every other kind of damage is refused with the file and offset named.</summary>
public class EventLogRecoveryTests
{
    private static readonly EventLogOptions SmallSegments = new() { SegmentBytes = 1 << 16 };

    /// <summary>Writes records 1 … count (payload "payload-{i-1}") in batches of <paramref name="batch"/> and closes the log.</summary>
    private static void WriteLog(string dir, int count, int batch = 5, EventLogOptions? options = null, string? keyPrefix = null)
    {
        using var log = EventLog.Open(dir, options);
        for (int i = 0; i < count; i += batch)
        {
            var entries = Enumerable.Range(i, Math.Min(batch, count - i)).Select(j => Entry(j, keyPrefix is null ? null : keyPrefix + j)).ToList();
            log.AppendAsync(entries).GetAwaiter().GetResult();
        }
    }

    private static LogCorruptException AssertRefused(string dir, string file, long offset, EventLogOptions? options = null)
    {
        byte[][] before = [.. Segments(dir).Select(File.ReadAllBytes)];

        var ex = Assert.Throws<LogCorruptException>(() => EventLog.Open(dir, options));

        Assert.Equal(Path.GetFullPath(file), ex.Path);
        Assert.Equal(offset, ex.Offset);
        Assert.Contains(Path.GetFullPath(file), ex.Message, StringComparison.Ordinal);
        Assert.Contains($"offset {offset}", ex.Message, StringComparison.Ordinal);
        // A refused log is left exactly as it was found.
        Assert.Equal(before, Segments(dir).Select(File.ReadAllBytes));
        return ex;
    }

    private static void AssertRecovered(string dir, int expectedRecords, long truncatedBytes, string? truncatedSegment, bool segmentRemoved = false)
    {
        using (var log = EventLog.Open(dir))
        {
            Assert.Equal(expectedRecords, log.LastSequence);
            Assert.Equal(new RecoveryReport(expectedRecords, truncatedBytes, truncatedSegment is null ? null : Path.GetFullPath(truncatedSegment), segmentRemoved), log.Recovery);
            Assert.Equal(Enumerable.Range(0, expectedRecords).Select(i => $"payload-{i:D6}"), ReadAll(log).Select(r => r.Payload));
            // The log accepts writes again, continuing the sequence.
            Assert.Equal(new AppendResult(expectedRecords + 1, false), log.AppendAsync(Entry(expectedRecords)).GetAwaiter().GetResult());
        }
        using var clean = EventLog.Open(dir);
        Assert.Equal(new RecoveryReport(expectedRecords + 1, 0, null), clean.Recovery);
    }

    [Fact]
    public void A_last_record_cut_short_at_any_byte_is_truncated()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 10);
        string segment = Segments(dir.Path).Single();
        byte[] original = File.ReadAllBytes(segment);
        long last = RecordOffsets(segment)[^1];

        for (long cut = last + 1; cut < original.Length; cut++)
        {
            File.WriteAllBytes(segment, original.AsSpan(0, (int)cut).ToArray());
            using var log = EventLog.Open(dir.Path);
            Assert.Equal(9, log.LastSequence);
            Assert.Equal(cut - last, log.Recovery.TruncatedBytes);
            Assert.Equal(last, new FileInfo(segment).Length);
        }
    }

    [Fact]
    public void A_group_commit_cut_in_its_middle_keeps_the_records_before_the_cut()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 20, batch: 10);
        string segment = Segments(dir.Path).Single();
        var offsets = RecordOffsets(segment);
        long cut = offsets[13] + 5;
        Truncate(segment, cut);

        AssertRecovered(dir.Path, 13, cut - offsets[13], segment);
    }

    [Fact]
    public void A_zero_filled_tail_after_the_last_record_is_truncated()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 10);
        string segment = Segments(dir.Path).Single();
        AppendBytes(segment, new byte[4096]);

        AssertRecovered(dir.Path, 10, 4096, segment);
    }

    [Fact]
    public void A_record_cut_short_and_followed_by_zeros_is_truncated_as_a_torn_tail()
    {
        // The shape a power loss leaves when the file was extended but only its first page reached the disk.
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 20, batch: 10);
        string segment = Segments(dir.Path).Single();
        var offsets = RecordOffsets(segment);
        long length = new FileInfo(segment).Length;
        long from = offsets[15] + 12;
        WriteAt(segment, from, new byte[length - from]);

        AssertRecovered(dir.Path, 15, length - offsets[15], segment);
    }

    [Fact]
    public void A_damaged_last_record_is_truncated()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 10);
        string segment = Segments(dir.Path).Single();
        long last = RecordOffsets(segment)[^1];
        long length = new FileInfo(segment).Length;
        FlipBit(segment, length - 3, bit: 4);

        AssertRecovered(dir.Path, 9, length - last, segment);
    }

    [Fact]
    public void A_log_whose_last_segment_is_shorter_than_a_header_drops_that_file()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 10);
        string stub = Path.Combine(dir.Path, "00000000000000000011.log");
        File.WriteAllBytes(stub, "CASC"u8.ToArray());

        AssertRecovered(dir.Path, 10, 4, stub, segmentRemoved: true);
        Assert.False(File.Exists(stub));
    }

    [Fact]
    public async Task A_torn_tail_in_the_newest_of_several_segments_is_truncated()
    {
        using var dir = new TempDirectory();
        var big = new byte[3000];
        using (var log = EventLog.Open(dir.Path, SmallSegments))
        {
            for (int i = 0; i < 60; i++)
            {
                await log.AppendAsync(new LogEntry(RecordKind.Event, big));
            }
        }
        var segments = Segments(dir.Path);
        Assert.True(segments.Length >= 3);
        Truncate(segments[^1], new FileInfo(segments[^1]).Length - 1);

        using var reopened = EventLog.Open(dir.Path, SmallSegments);
        Assert.Equal(59, reopened.LastSequence);
        Assert.Equal(Path.GetFullPath(segments[^1]), reopened.Recovery.TruncatedSegment);
        Assert.Equal(59, reopened.ReadFrom().Count());
    }

    [Fact]
    public void A_bit_flip_in_an_earlier_record_of_the_newest_segment_is_refused_naming_the_file_and_offset()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 20);
        string segment = Segments(dir.Path).Single();
        long damaged = RecordOffsets(segment)[7];
        FlipBit(segment, damaged + 25, bit: 2);

        var ex = AssertRefused(dir.Path, segment, damaged);
        Assert.Contains("CRC-32C", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bit_flip_in_the_checksum_of_an_earlier_record_is_refused()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 20);
        string segment = Segments(dir.Path).Single();
        long damaged = RecordOffsets(segment)[0];
        FlipBit(segment, damaged + 4, bit: 7);

        AssertRefused(dir.Path, segment, damaged);
    }

    [Theory]
    [InlineData(1u << 20)]   // runs past the end of the file: must not pass for a torn tail
    [InlineData(1u << 30)]   // beyond the record size limit
    [InlineData(3u)]         // shorter than the fixed body
    [InlineData(0u)]
    public void A_damaged_length_field_in_an_earlier_record_is_refused(uint corruptLength)
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 20);
        string segment = Segments(dir.Path).Single();
        long damaged = RecordOffsets(segment)[4];
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, corruptLength);
        WriteAt(segment, damaged, bytes);

        AssertRefused(dir.Path, segment, damaged);
    }

    [Fact]
    public void Zeros_over_an_earlier_record_followed_by_intact_records_are_refused()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 20);
        string segment = Segments(dir.Path).Single();
        var offsets = RecordOffsets(segment);
        WriteAt(segment, offsets[3], new byte[offsets[6] - offsets[3]]);

        AssertRefused(dir.Path, segment, offsets[3]);
    }

    [Fact]
    public void Damage_in_a_sealed_segment_is_refused_even_at_its_last_record()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 5000, batch: 100, options: SmallSegments);
        var segments = Segments(dir.Path);
        Assert.True(segments.Length >= 2);
        long last = RecordOffsets(segments[0])[^1];
        FlipBit(segments[0], new FileInfo(segments[0]).Length - 2);

        AssertRefused(dir.Path, segments[0], last, SmallSegments);
    }

    [Fact]
    public void A_sealed_segment_cut_short_is_refused()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 5000, batch: 100, options: SmallSegments);
        var segments = Segments(dir.Path);
        long last = RecordOffsets(segments[0])[^1];
        Truncate(segments[0], last + 10);

        AssertRefused(dir.Path, segments[0], last, SmallSegments);
    }

    [Fact]
    public void A_zero_filled_tail_on_a_sealed_segment_is_refused()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 5000, batch: 100, options: SmallSegments);
        var segments = Segments(dir.Path);
        long length = new FileInfo(segments[0]).Length;
        AppendBytes(segments[0], new byte[100]);

        AssertRefused(dir.Path, segments[0], length, SmallSegments);
    }

    [Fact]
    public void A_missing_segment_in_the_middle_is_refused_naming_the_segment_after_the_gap()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 6000, batch: 100, options: SmallSegments);
        var segments = Segments(dir.Path);
        Assert.True(segments.Length >= 3, $"expected at least 3 segments, found {segments.Length}");
        File.Delete(segments[1]);

        var ex = AssertRefused(dir.Path, segments[2], 16, SmallSegments);
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_first_segment_is_refused()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 5000, batch: 100, options: SmallSegments);
        var segments = Segments(dir.Path);
        File.Delete(segments[0]);

        AssertRefused(dir.Path, segments[1], 16, SmallSegments);
    }

    [Fact]
    public void A_record_whose_sequence_breaks_the_continuity_is_refused()
    {
        using var dir = new TempDirectory();
        string segment = Path.Combine(dir.Path, "00000000000000000001.log");
        var data = new byte[1024];
        SegmentFormat.WriteHeader(data, 1, 0);
        int offset = SegmentFormat.HeaderSize;
        var offsets = new List<int>();
        foreach (long seq in new long[] { 1, 2, 4, 5 })
        {
            offsets.Add(offset);
            offset += SegmentFormat.WriteRecord(data.AsSpan(offset), seq, RecordKind.Event, default, "x"u8);
        }
        File.WriteAllBytes(segment, data.AsSpan(0, offset).ToArray());

        var ex = AssertRefused(dir.Path, segment, offsets[2]);
        Assert.Contains("sequence 4 where 3 was expected", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_segment_whose_header_names_the_wrong_first_sequence_is_refused()
    {
        using var dir = new TempDirectory();
        string segment = Path.Combine(dir.Path, "00000000000000000001.log");
        var data = new byte[SegmentFormat.HeaderSize];
        SegmentFormat.WriteHeader(data, 5, 0);
        File.WriteAllBytes(segment, data);

        AssertRefused(dir.Path, segment, 16);
    }

    [Fact]
    public void A_segment_with_a_bad_magic_is_refused_at_offset_0()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 5);
        string segment = Segments(dir.Path).Single();
        WriteAt(segment, 0, "NOTALOG\0"u8);

        var ex = AssertRefused(dir.Path, segment, 0);
        Assert.Contains("magic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_segment_of_an_unknown_format_version_is_refused_at_offset_8()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 5);
        string segment = Segments(dir.Path).Single();
        var header = new byte[SegmentFormat.HeaderSize];
        SegmentFormat.WriteHeader(header, 1, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), 2);
        WriteAt(segment, 0, header);

        var ex = AssertRefused(dir.Path, segment, 8);
        Assert.Contains("version 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_segment_header_with_a_bad_checksum_is_refused_at_offset_28()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 5);
        string segment = Segments(dir.Path).Single();
        FlipBit(segment, 24); // the reserved field, covered by the header CRC

        AssertRefused(dir.Path, segment, 28);
    }

    [Fact]
    public void A_bad_header_on_a_sealed_segment_is_refused()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 5000, batch: 100, options: SmallSegments);
        var segments = Segments(dir.Path);
        WriteAt(segments[0], 0, "CASCLOG\u0001"u8);

        AssertRefused(dir.Path, segments[0], 0, SmallSegments);
    }

    [Fact]
    public void A_file_that_is_not_a_segment_is_refused_and_not_truncated()
    {
        using var dir = new TempDirectory();
        string stranger = Path.Combine(dir.Path, "notes.log");
        File.WriteAllText(stranger, "this is a text file that happens to end in .log and is longer than a header\n");

        AssertRefused(dir.Path, stranger, 0);
    }

    [Fact]
    public async Task Idempotency_keys_of_truncated_records_are_forgotten_so_a_retry_is_stored()
    {
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 10, keyPrefix: "k");
        string segment = Segments(dir.Path).Single();
        Truncate(segment, new FileInfo(segment).Length - 2);

        using var log = EventLog.Open(dir.Path);
        var retry = await log.AppendAsync([Entry(9, "k9"), Entry(8, "k8")]);

        Assert.Equal([new AppendResult(10, false), new AppendResult(9, true)], retry);
    }

    [Fact]
    public void Random_damage_is_either_refused_or_leaves_a_prefix_of_the_records()
    {
        // Fuzz: whatever a single damaged byte or cut does, the log either refuses to open or opens with an
        // unchanged prefix of the original records, never with altered or reordered ones.
        using var dir = new TempDirectory();
        WriteLog(dir.Path, 40, batch: 4, keyPrefix: "key-");
        string segment = Segments(dir.Path).Single();
        byte[] original = File.ReadAllBytes(segment);
        var random = new Random(42);
        int refused = 0, opened = 0;
        for (int trial = 0; trial < 150; trial++)
        {
            byte[] damaged = (byte[])original.Clone();
            if (trial % 3 == 0)
            {
                damaged = damaged[..random.Next(SegmentFormat.HeaderSize, damaged.Length)];
            }
            else
            {
                int at = random.Next(damaged.Length);
                damaged[at] ^= (byte)(1 << random.Next(8));
            }
            File.WriteAllBytes(segment, damaged);
            try
            {
                using var log = EventLog.Open(dir.Path);
                var payloads = ReadAll(log).Select(r => r.Payload).ToList();
                Assert.Equal(Enumerable.Range(0, payloads.Count).Select(i => $"payload-{i:D6}"), payloads);
                opened++;
            }
            catch (LogCorruptException ex)
            {
                Assert.Equal(Path.GetFullPath(segment), ex.Path);
                refused++;
            }
        }
        Assert.True(refused > 0 && opened > 0);
    }
}
