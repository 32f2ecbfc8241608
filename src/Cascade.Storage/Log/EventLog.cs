using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Cascade.Storage.Log;

/// <summary>
/// The append-only event log, Cascade's source of truth. Records go into numbered segment files; a single writer
/// thread gathers concurrent appends into group commits, writes each group with one system call and fsyncs it
/// according to <see cref="EventLogOptions.Durability"/> before acknowledging. Opening the log recovers it: a torn
/// tail of the newest segment is truncated, damage anywhere else is refused with <see cref="LogCorruptException"/>.
/// Thread-safe.
/// </summary>
public sealed partial class EventLog : IDisposable
{
    private readonly string _directory;
    private readonly EventLogOptions _options;
    private readonly List<Segment> _segments = [];
    private readonly Dictionary<UInt128, long> _keys = [];
    private readonly Queue<Pending> _queue = new();
    private readonly object _gate = new();
    private readonly Thread _writer;
    private FileStream _active = null!;
    private long _lastSequence;
    private uint _id;
    private bool _closing;
    private Exception? _fault;

    private EventLog(string directory, EventLogOptions options)
    {
        _directory = directory;
        _options = options;
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "cascade-log-writer" };
    }

    /// <summary>What recovery found when the log was opened.</summary>
    public RecoveryReport Recovery { get; private set; } = new(0, 0, null);

    /// <summary>
    /// The log's id: a random number drawn when the log is created and written into every segment's header, so that
    /// a derived store can tell this log from another one (<see cref="LogMark"/>). 0 for a log created before ids.
    /// </summary>
    public uint Id => _id;

    /// <summary>The sequence of the newest record written (0 when the log is empty).</summary>
    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>The folder holding the segment files.</summary>
    public string Directory => _directory;

    /// <summary>Opens (creating if needed) the log in <paramref name="directory"/> and recovers it.</summary>
    /// <exception cref="LogCorruptException">A segment is damaged other than by a torn tail; the message names the file and offset.</exception>
    public static EventLog Open(string directory, EventLogOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options = (options ?? new EventLogOptions()).Validate();
        System.IO.Directory.CreateDirectory(directory);
        var log = new EventLog(Path.GetFullPath(directory), options);
        log.Recover();
        log._writer.Start();
        return log;
    }

    /// <summary>
    /// Appends <paramref name="entries"/> as part of a group commit and completes once they are acknowledged
    /// under the configured durability. Entries whose idempotency key was seen before are not stored again.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is too large or its key is too long.</exception>
    /// <exception cref="ObjectDisposedException">The log is closed.</exception>
    /// <exception cref="IOException">An earlier write failed; the log accepts no more writes until reopened.</exception>
    public Task<AppendResult[]> AppendAsync(IReadOnlyList<LogEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        long bytes = 0;
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            int keyBytes = e.IdempotencyKey is null ? 0 : Encoding.UTF8.GetByteCount(e.IdempotencyKey);
            if (keyBytes > SegmentFormat.MaxKeyBytes)
            {
                throw new ArgumentException($"Entry {i}: idempotency key is {keyBytes} bytes; the limit is {SegmentFormat.MaxKeyBytes}.", nameof(entries));
            }
            if (SegmentFormat.BodyFixed + keyBytes + e.Payload.Length > SegmentFormat.MaxBodyBytes)
            {
                throw new ArgumentException($"Entry {i}: payload of {e.Payload.Length} bytes exceeds the record limit of {SegmentFormat.MaxBodyBytes}.", nameof(entries));
            }
            bytes += SegmentFormat.RecordSize(keyBytes, e.Payload.Length);
        }
        var pending = new Pending(entries, bytes);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closing, this);
            if (_fault is not null)
            {
                throw new IOException("The event log failed an earlier write and accepts no more; reopen it to recover.", _fault);
            }
            _queue.Enqueue(pending);
            Monitor.Pulse(_gate);
        }
        return pending.Completion.Task;
    }

    /// <summary>Appends one entry; see <see cref="AppendAsync(IReadOnlyList{LogEntry})"/>.</summary>
    public async Task<AppendResult> AppendAsync(LogEntry entry) => (await AppendAsync([entry]).ConfigureAwait(false))[0];

    /// <summary>
    /// Reads the records with sequence ≥ <paramref name="fromSequence"/> written so far, in order. Records appended
    /// while reading may or may not be included. Each payload stays valid for the life of the enumeration.
    /// </summary>
    public IEnumerable<LogRecord> ReadFrom(long fromSequence = 1)
    {
        // Snapshot what is committed now; each segment is read from the nearest mark at or before the first
        // wanted record, so tailing the log costs what was appended, not the size of the active segment.
        (Segment Segment, long Start, long Length)[] reads;
        lock (_gate)
        {
            var list = new List<(Segment, long, long)>();
            for (int s = 0; s < _segments.Count; s++)
            {
                var seg = _segments[s];
                long next = s + 1 < _segments.Count ? _segments[s + 1].FirstSequence : long.MaxValue;
                if (next > fromSequence)
                {
                    list.Add((seg, seg.OffsetOf(fromSequence), seg.Length));
                }
            }
            reads = [.. list];
        }
        foreach (var (segment, start, length) in reads)
        {
            string path = segment.Path;
            byte[] data = ReadRange(path, start, length);
            int offset = 0;
            long last = 0;
            while (offset < data.Length)
            {
                var status = SegmentFormat.TryParse(data.AsSpan(offset), out int size, out long seq, out var kind, out _, out _, out int po, out int pl);
                if (status != SegmentFormat.ParseStatus.Ok)
                {
                    throw new LogCorruptException(path, start + offset, $"record unreadable while reading ({status})");
                }
                last = seq;
                if (seq >= fromSequence)
                {
                    yield return new LogRecord(seq, kind, data.AsMemory(offset + po, pl), System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 4)));
                }
                offset += size;
            }
            if (last > 0)
            {
                lock (_gate)
                {
                    segment.Remember(last + 1, start + data.Length);
                }
            }
        }
    }

    /// <summary>The mark of the record at <paramref name="sequence"/> (1 … <see cref="LastSequence"/>) in this log.</summary>
    /// <param name="sequence">A sequence the log holds.</param>
    /// <exception cref="ArgumentOutOfRangeException">The log does not hold it.</exception>
    public LogMark MarkAt(long sequence)
    {
        if (sequence < 1 || sequence > LastSequence)
        {
            throw new ArgumentOutOfRangeException(nameof(sequence), sequence, $"The log holds sequences 1 to {LastSequence}.");
        }
        string path;
        long offset, length;
        lock (_gate)
        {
            int s = _segments.FindLastIndex(seg => seg.FirstSequence <= sequence);
            path = _segments[s].Path;
            offset = _segments[s].OffsetOf(sequence);
            length = _segments[s].Length;
        }
        // Hop from the nearest mark record by record, reading only each record's prefix and sequence (recovery checked
        // every record's checksum when the log was opened).
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> head = stackalloc byte[SegmentFormat.RecordPrefix + 8];
        while (offset + head.Length <= length)
        {
            if (RandomAccess.Read(handle, head, offset) < head.Length)
            {
                break;
            }
            uint body = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head);
            long at = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(head[SegmentFormat.RecordPrefix..]);
            if (at == sequence)
            {
                return new LogMark(sequence, Id, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head[4..]));
            }
            offset += SegmentFormat.RecordPrefix + body;
        }
        throw new LogCorruptException(path, offset, $"record {sequence} was not found where the index of the log places it");
    }

    /// <summary>
    /// Whether this log holds what a derived store saw (<paramref name="mark"/>): null when it does (the store may
    /// apply the rest), else why not — the log ends before the mark, is another log, or holds another record there.
    /// </summary>
    /// <param name="mark">What the store recorded about the last record it applied.</param>
    public string? Disagreement(LogMark mark)
    {
        if (mark.Sequence <= 0)
        {
            return null;
        }
        long last = LastSequence;
        if (mark.Sequence > last)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"it applied the log up to sequence {mark.Sequence}, but the log ends at sequence {last}: {mark.Sequence - last} record(s) it saw are no longer in the log");
        }
        if (mark.LogId != Id)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"it was derived from log {mark.LogId:x8}, but the log in '{Directory}' is log {Id:x8} (the log was replaced or recreated)");
        }
        var here = MarkAt(mark.Sequence);
        if (here.Checksum != mark.Checksum)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"it applied record {mark.Sequence} with CRC-32C {mark.Checksum:x8}, but the log's record {mark.Sequence} has CRC-32C {here.Checksum:x8} (the log was rewritten)");
        }
        return null;
    }

    /// <summary>Flushes everything written to stable storage, stops the writer and closes the files.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_closing)
            {
                return;
            }
            _closing = true;
            Monitor.PulseAll(_gate);
        }
        _writer.Join();
        try
        {
            _active.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // The fault was already reported to the writers whose records it concerned.
        }
        _active.Dispose();
    }

    private static UInt128 KeyHash(string key)
    {
        Span<byte> utf8 = key.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        int n = Encoding.UTF8.GetBytes(key, utf8);
        return KeyHash(utf8[..n]);
    }

    private static UInt128 KeyHash(ReadOnlySpan<byte> utf8)
    {
        // A 128-bit slice of SHA-256: collisions between distinct keys are out of reach (≈ n²/2¹²⁹).
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(utf8, digest);
        return MemoryMarshal.Read<UInt128>(digest);
    }

    private static byte[] ReadRange(string path, long start, long end)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var data = new byte[end - start];
        int read = 0;
        while (read < data.Length)
        {
            int n = RandomAccess.Read(handle, data.AsSpan(read), start + read);
            if (n == 0)
            {
                throw new LogCorruptException(path, start + read, $"the file ended at {start + read} bytes, before its committed length {end}");
            }
            read += n;
        }
        return data;
    }

    // A segment, its committed length and sparse marks (sequence → byte offset of that record), one at least
    // every MarkSpacing bytes; guarded by _gate once the log is open.
    private sealed class Segment(string path, long firstSequence)
    {
        public const long MarkSpacing = 256 << 10;
        private readonly List<(long Sequence, long Offset)> _marks = [(firstSequence, SegmentFormat.HeaderSize)];

        public string Path { get; } = path;

        public long FirstSequence { get; } = firstSequence;

        public long Length { get; set; }

        public void Mark(long sequence, long offset)
        {
            if (offset - _marks[^1].Offset >= MarkSpacing)
            {
                _marks.Add((sequence, offset));
            }
        }

        // Where the last read of this segment ended (the next record's sequence and offset): a follower that reads on
        // from there starts at that record instead of the mark before it (up to MarkSpacing bytes re-read each time).
        private (long Sequence, long Offset) _readEnd;

        public void Remember(long nextSequence, long offset)
        {
            if (offset <= Length)
            {
                _readEnd = (nextSequence, offset);
            }
        }

        public long OffsetOf(long sequence)
        {
            int lo = 0, hi = _marks.Count - 1;
            while (lo < hi)
            {
                int mid = (lo + hi + 1) / 2;
                if (_marks[mid].Sequence <= sequence)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            var (readSequence, readOffset) = _readEnd;
            return readSequence > 0 && readSequence <= sequence && readOffset > _marks[lo].Offset && readOffset <= Length
                ? readOffset
                : _marks[lo].Offset;
        }
    }

    private sealed class Pending(IReadOnlyList<LogEntry> entries, long bytes)
    {
        public IReadOnlyList<LogEntry> Entries { get; } = entries;
        public long Bytes { get; } = bytes;
        public TaskCompletionSource<AppendResult[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public AppendResult[]? Results { get; set; }
    }
}

/// <summary>What recovery did when the log was opened.</summary>
/// <param name="Records">Intact records found.</param>
/// <param name="TruncatedBytes">Bytes of a torn tail removed from the newest segment (0 when none).</param>
/// <param name="TruncatedSegment">The segment that was truncated, if any.</param>
/// <param name="SegmentRemoved">True when the newest segment was deleted whole (shorter than its header or all zeros).</param>
public sealed record RecoveryReport(long Records, long TruncatedBytes, string? TruncatedSegment, bool SegmentRemoved = false)
{
    /// <summary>Whether recovery changed the log.</summary>
    public bool Repaired => TruncatedBytes > 0 || SegmentRemoved;

    /// <summary>What was done, in one sentence (empty when nothing).</summary>
    public string Describe() => !Repaired ? "" : SegmentRemoved
        ? string.Create(CultureInfo.InvariantCulture, $"removed the newest segment '{TruncatedSegment}' ({TruncatedBytes} bytes, shorter than a segment header or all zeros: no intact record); the log now ends at sequence {Records}")
        : string.Create(CultureInfo.InvariantCulture, $"truncated a torn tail of {TruncatedBytes} bytes (no intact record in it) from '{TruncatedSegment}'; the log now ends at sequence {Records}");
}
