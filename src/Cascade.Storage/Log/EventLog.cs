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
        Segment[] segments;
        lock (_gate)
        {
            segments = [.. _segments.Select(s => s with { })];
        }
        for (int s = 0; s < segments.Length; s++)
        {
            var seg = segments[s];
            long next = s + 1 < segments.Length ? segments[s + 1].FirstSequence : long.MaxValue;
            if (next <= fromSequence)
            {
                continue;
            }
            byte[] data = ReadSegment(seg);
            int offset = SegmentFormat.HeaderSize;
            while (offset < data.Length)
            {
                var status = SegmentFormat.TryParse(data.AsSpan(offset), out int size, out long seq, out var kind, out _, out _, out int po, out int pl);
                if (status != SegmentFormat.ParseStatus.Ok)
                {
                    throw new LogCorruptException(seg.Path, offset, $"record unreadable while reading ({status})");
                }
                if (seq >= fromSequence)
                {
                    yield return new LogRecord(seq, kind, data.AsMemory(offset + po, pl));
                }
                offset += size;
            }
        }
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

    private static byte[] ReadSegment(Segment seg)
    {
        using var handle = File.OpenHandle(seg.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var data = new byte[seg.Length];
        int read = 0;
        while (read < data.Length)
        {
            int n = RandomAccess.Read(handle, data.AsSpan(read), read);
            if (n == 0)
            {
                throw new LogCorruptException(seg.Path, read, $"the file ended at {read} bytes, before its committed length {seg.Length}");
            }
            read += n;
        }
        return data;
    }

    private sealed record Segment(string Path, long FirstSequence)
    {
        public long Length { get; set; }
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
public sealed record RecoveryReport(long Records, long TruncatedBytes, string? TruncatedSegment);
