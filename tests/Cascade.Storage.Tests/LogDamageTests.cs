using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using static Cascade.Storage.Tests.LogTesting;

namespace Cascade.Storage.Tests;

/// <summary>
/// Damage to the event log while the engine is down (docs/guarantees.md, "When the log and the derived stores
/// disagree"): a segment deleted, zero-filled, cut to a few bytes, cut at a record boundary, the log replaced, or a
/// torn tail. The log must never shrink silently: every case is refused (naming the positions and `cascade recover`)
/// or repaired loudly (<see cref="CascadeEngine.Repairs"/>), and the refusal leaves the derived stores as they were.
/// </summary>
public class LogDamageTests
{
    private const int Events = 3000;

    // Small segments, so the log has several and a damaged newest one holds only part of it.
    private static EngineOptions Options(string dir, long segmentBytes = 64 << 10) => new()
    {
        DataDirectory = dir,
        Log = new EventLogOptions { SegmentBytes = segmentBytes },
    };

    /// <summary>Fills the folder with <see cref="Events"/> events, lets the catalog and interactions apply them, and closes (checkpointing).</summary>
    private static async Task Fill(EngineOptions options)
    {
        using var engine = CascadeEngine.Open(options);
        for (int i = 0; i < Events; i += 500)
        {
            await engine.AppendEventsAsync([.. Enumerable.Range(i, 500).Select(k => Event($"u{k % 17}", $"i{k % 41}", ts: 1_700_000_000_000 + k, eventId: $"e{k}"))]);
        }
        await engine.WaitForAllAsync(Events).WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Opening is refused with a message naming the positions and the way out; the catalog is untouched.</summary>
    private static LogMismatchException AssertRefused(EngineOptions options, long logEnd)
    {
        var ex = Assert.Throws<LogMismatchException>(() => CascadeEngine.Open(options));
        Assert.Contains($"ending at sequence {logEnd}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("catalog", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cascade recover", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.Check);
        Assert.Equal(logEnd, ex.Check.LogLastSequence);
        // Refused again on the next try: nothing was reset.
        var again = Assert.Throws<LogMismatchException>(() => CascadeEngine.Open(options));
        Assert.Equal(ex.Check.Mismatches.Select(m => m.Store), again.Check!.Mismatches.Select(m => m.Store));
        return ex;
    }

    /// <summary>The operator's path: accept the log as it is; the loss is reported and the stores follow the log.</summary>
    private static async Task AssertRecoverAccepts(EngineOptions options, long logEnd, long recordsLost)
    {
        var inspected = CascadeEngine.Inspect(options);
        Assert.False(inspected.Agrees);
        Assert.Equal(recordsLost, inspected.RecordsLost);
        using (var engine = CascadeEngine.Open(options with { AcceptLogAsIs = true }))
        {
            var repair = Assert.Single(engine.Repairs, r => r.Kind == "derived-stores-rebuilt");
            Assert.Equal(recordsLost, repair.RecordsLost);
            Assert.Equal(inspected.EventsLost, repair.EventsLost);
            await engine.WaitForAllAsync(logEnd).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(logEnd, engine.Log.LastSequence);
            Assert.Equal(logEnd, engine.Catalog.AppliedSequence);
            Assert.Equal(logEnd, engine.Catalog.Count(Apps.Default).Events);
            Assert.Equal(logEnd, engine.Interactions.AppliedSequence);
        }
        Assert.True(CascadeEngine.Inspect(options).Agrees);
    }

    [Fact]
    public async Task The_newest_segment_deleted_is_refused()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path);
        await Fill(options);
        var segments = Segments(options.LogDirectory);
        Assert.True(segments.Length >= 3, $"only {segments.Length} segments");
        File.Delete(segments[^1]);
        long end = long.Parse(Path.GetFileNameWithoutExtension(segments[^1]), System.Globalization.CultureInfo.InvariantCulture) - 1;

        var ex = AssertRefused(options, end);
        Assert.Contains($"applied the log up to sequence {Events}, but the log ends at sequence {end}", ex.Message, StringComparison.Ordinal);
        await AssertRecoverAccepts(options, end, Events - end);
    }

    [Fact]
    public async Task Every_segment_deleted_is_refused_as_an_empty_log_of_another_identity()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path);
        await Fill(options);
        Directory.Delete(options.LogDirectory, recursive: true);

        var ex = AssertRefused(options, 0);
        Assert.Contains($"applied the log up to sequence {Events}, but the log ends at sequence 0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("interactions.ckpt", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Events, ex.Check!.EventsLost);
        await AssertRecoverAccepts(options, 0, Events);
    }

    [Fact]
    public async Task The_only_segment_zero_filled_is_refused()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path, segmentBytes: 64 << 20);
        await Fill(options);
        string segment = Segments(options.LogDirectory).Single();
        await File.WriteAllBytesAsync(segment, new byte[new FileInfo(segment).Length]);

        AssertRefused(options, 0);
        await AssertRecoverAccepts(options, 0, Events);
    }

    [Fact]
    public async Task The_newest_segment_cut_to_a_few_bytes_is_refused()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path);
        await Fill(options);
        var segments = Segments(options.LogDirectory);
        Truncate(segments[^1], 10);
        long end = long.Parse(Path.GetFileNameWithoutExtension(segments[^1]), System.Globalization.CultureInfo.InvariantCulture) - 1;

        AssertRefused(options, end);
        await AssertRecoverAccepts(options, end, Events - end);
    }

    [Fact]
    public async Task A_segment_cut_at_a_record_boundary_to_half_is_refused()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path, segmentBytes: 64 << 20);
        await Fill(options);
        string segment = Segments(options.LogDirectory).Single();
        var offsets = RecordOffsets(segment);
        Truncate(segment, offsets[offsets.Count / 2]); // a clean cut: the log itself sees nothing wrong
        long end = offsets.Count / 2;

        var ex = AssertRefused(options, end);
        Assert.Contains($"{Events - end} record(s) it saw are no longer in the log", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Events - end, ex.Check!.EventsLost);
        await AssertRecoverAccepts(options, end, Events - end);
    }

    [Fact]
    public async Task Another_log_of_the_same_length_in_its_place_is_refused()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path);
        await Fill(options);
        using var other = new TempDirectory();
        var otherOptions = Options(other.Path);
        await Fill(otherOptions);
        Directory.Delete(options.LogDirectory, recursive: true);
        Directory.Move(otherOptions.LogDirectory, options.LogDirectory);

        var ex = AssertRefused(options, Events);
        Assert.Contains("the log was replaced or recreated", ex.Message, StringComparison.Ordinal);
        await AssertRecoverAccepts(options, Events, Events);
    }

    [Fact]
    public async Task A_torn_tail_the_stores_never_saw_is_truncated_and_reported_as_a_repair()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path);
        await Fill(options);
        string newest = Segments(options.LogDirectory)[^1];
        AppendBytes(newest, [.. Enumerable.Range(0, 100).Select(i => (byte)(i * 7 + 3))]); // a group commit cut short by a crash

        using var engine = CascadeEngine.Open(options);
        var repair = Assert.Single(engine.Repairs);
        Assert.Equal("log-torn-tail", repair.Kind);
        Assert.Equal(100, repair.BytesDropped);
        Assert.Equal(0, repair.RecordsLost);
        Assert.Contains("torn tail of 100 bytes", repair.Detail, StringComparison.Ordinal);
        Assert.Equal(Events, engine.Log.LastSequence);
    }

    [Fact]
    public async Task A_torn_tail_cutting_records_the_stores_applied_is_refused()
    {
        using var dir = new TempDirectory();
        var options = Options(dir.Path);
        await Fill(options);
        string newest = Segments(options.LogDirectory)[^1];
        var offsets = RecordOffsets(newest);
        Truncate(newest, offsets[^3] + 5); // the last three records cut mid-record: looks like a torn write
        long end = Events - 3;

        var ex = AssertRefused(options, end);
        Assert.Contains("torn tail", ex.Message, StringComparison.Ordinal); // the repair opening the log made is named too
        await AssertRecoverAccepts(options, end, 3);
    }
}
