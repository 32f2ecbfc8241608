using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace Cascade.Storage.Log;

public sealed partial class EventLog
{
    private static readonly System.Diagnostics.Metrics.Histogram<double> FsyncDuration =
        Core.Telemetry.CascadeTelemetry.LatencyHistogram("cascade.log.fsync.duration", "Time of one fsync of the event log's active segment (a group commit under EveryBatch).");

    // The single writer: takes every queued append (up to MaxBatchBytes), encodes it into one buffer, writes it
    // with one call, fsyncs according to the durability mode and then acknowledges. Idempotency keys are checked
    // here, where the order of writes is decided, so two racing appends with one key store one record.
    private void WriterLoop()
    {
        var batch = new List<Pending>();
        byte[] buffer = new byte[1 << 20];
        var sinceFsync = Stopwatch.StartNew();
        bool dirty = false;
        while (true)
        {
            batch.Clear();
            bool closing;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_closing)
                {
                    if (dirty && _options.Durability == DurabilityMode.Interval)
                    {
                        int wait = (int)Math.Max(1, _options.FsyncIntervalMs - sinceFsync.ElapsedMilliseconds);
                        if (!Monitor.Wait(_gate, wait))
                        {
                            break;
                        }
                    }
                    else
                    {
                        Monitor.Wait(_gate);
                    }
                }
                long bytes = 0;
                while (_queue.Count > 0 && (batch.Count == 0 || bytes + _queue.Peek().Bytes <= _options.MaxBatchBytes))
                {
                    var p = _queue.Dequeue();
                    bytes += p.Bytes;
                    batch.Add(p);
                }
                closing = _closing && _queue.Count == 0;
            }
            try
            {
                Written? written = null;
                if (batch.Count > 0)
                {
                    written = WriteBatch(batch, ref buffer);
                    dirty = true;
                }
                if (dirty && (_options.Durability == DurabilityMode.EveryBatch ||
                              (_options.Durability == DurabilityMode.Interval && sinceFsync.ElapsedMilliseconds >= _options.FsyncIntervalMs)))
                {
                    long fsyncStarted = Stopwatch.GetTimestamp();
                    _active.Flush(flushToDisk: true);
                    FsyncDuration.Record(Stopwatch.GetElapsedTime(fsyncStarted).TotalSeconds);
                    dirty = false;
                    sinceFsync.Restart();
                }
                // Readers (the projections) see a group commit only now: under EveryBatch after its fsync, so a derived
                // store never holds a record the log could lose in an OS crash.
                if (written is { } w)
                {
                    Publish(w);
                }
                foreach (var p in batch)
                {
                    p.Completion.TrySetResult(p.Results!);
                }
            }
            catch (Exception ex)
            {
                Fail(batch, ex);
                return;
            }
            if (closing && batch.Count == 0)
            {
                return;
            }
        }
    }

    private Written WriteBatch(List<Pending> batch, ref byte[] buffer)
    {
        long total = 0;
        foreach (var p in batch)
        {
            total += p.Bytes;
        }
        if (_active.Position > SegmentFormat.HeaderSize && _active.Position + total > _options.SegmentBytes)
        {
            _active.Flush(flushToDisk: true);
            _active.Dispose();
            CreateSegment(_lastSequence + 1);
        }
        if (buffer.Length < total)
        {
            buffer = new byte[Math.Max(total, buffer.Length * 2L)];
        }
        int used = 0;
        long seq = _lastSequence;
        byte[] keyBuffer = ArrayPool<byte>.Shared.Rent(SegmentFormat.MaxKeyBytes);
        try
        {
            foreach (var p in batch)
            {
                var results = new AppendResult[p.Entries.Count];
                for (int i = 0; i < results.Length; i++)
                {
                    var e = p.Entries[i];
                    int keyLength = 0;
                    if (!string.IsNullOrEmpty(e.IdempotencyKey)) // an empty key is stored as "none" (key length 0), so it is none here too
                    {
                        keyLength = Encoding.UTF8.GetBytes(e.IdempotencyKey, keyBuffer);
                        var hash = KeyHash(keyBuffer.AsSpan(0, keyLength));
                        if (_keys.TryGetValue(hash, out long earlier))
                        {
                            results[i] = new AppendResult(earlier, Duplicate: true);
                            continue;
                        }
                        _keys[hash] = seq + 1;
                    }
                    seq++;
                    used += SegmentFormat.WriteRecord(buffer.AsSpan(used), seq, e.Kind, keyBuffer.AsSpan(0, keyLength), e.Payload.Span);
                    results[i] = new AppendResult(seq, Duplicate: false);
                }
                p.Results = results;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyBuffer);
        }
        long batchStart = _active.Position;
        _active.Write(buffer, 0, used);
        return new Written(batchStart, _active.Position, seq);
    }

    // Makes a written group commit visible to readers and to LastSequence.
    private void Publish(Written w)
    {
        lock (_gate)
        {
            if (w.LastSequence > _lastSequence)
            {
                _segments[^1].Mark(_lastSequence + 1, w.Start);
            }
            _segments[^1].Length = w.End;
        }
        Interlocked.Exchange(ref _lastSequence, w.LastSequence);
    }

    private readonly record struct Written(long Start, long End, long LastSequence);

    private void Fail(List<Pending> batch, Exception ex)
    {
        List<Pending> rest;
        lock (_gate)
        {
            _fault = ex;
            rest = [.. _queue];
            _queue.Clear();
        }
        var io = new IOException("The event log could not write a group commit; nothing in it was acknowledged.", ex);
        foreach (var p in batch.Concat(rest))
        {
            p.Completion.TrySetException(io);
        }
    }
}
