namespace Cascade.Storage.Log;

public sealed partial class EventLog
{
    // Recovery reads every segment in order, checks headers, checksums and sequence continuity, rebuilds the
    // idempotency index and decides what a damaged record means. Only the newest segment can have a torn tail
    // (a crash during its last group commit); sealed segments were fsync'd before the next one was created.
    private void Recover()
    {
        var files = System.IO.Directory.GetFiles(_directory, "*.log");
        Array.Sort(files, StringComparer.Ordinal);
        long expected = 1;
        long records = 0;
        long truncated = 0;
        string? truncatedPath = null;
        bool removed = false;
        for (int f = 0; f < files.Length; f++)
        {
            string path = files[f];
            bool last = f == files.Length - 1;
            byte[] data = File.ReadAllBytes(path);
            if (last && (data.Length < SegmentFormat.HeaderSize || !data.AsSpan().ContainsAnyExcept((byte)0)))
            {
                // A crash while creating the segment (short, or all zeros: its header never reached the disk):
                // it holds no record, so it can be made again.
                File.Delete(path);
                DirectorySync.Fsync(_directory);
                truncated += data.Length;
                truncatedPath = path;
                removed = true;
                break;
            }
            var (first, id) = SegmentFormat.ReadHeader(data, path);
            if (first != expected)
            {
                throw new LogCorruptException(path, 16, $"the segment starts at sequence {first} but the previous segment ends at {expected - 1} (a segment is missing or out of place)");
            }
            if (f == 0)
            {
                _id = id;
            }
            else if (id != _id)
            {
                throw new LogCorruptException(path, 24, $"the segment belongs to log {id:x8}, but the log's first segment belongs to log {_id:x8} (a segment of another log was put in place)");
            }
            var segment = new Segment(path, first);
            int offset = SegmentFormat.HeaderSize;
            while (offset < data.Length)
            {
                var span = data.AsSpan(offset);
                var status = SegmentFormat.TryParse(span, out int size, out long seq, out _, out int ko, out int kl, out _, out _);
                if (status == SegmentFormat.ParseStatus.Ok && seq != expected)
                {
                    throw new LogCorruptException(path, offset, $"record has sequence {seq} where {expected} was expected");
                }
                if (status != SegmentFormat.ParseStatus.Ok)
                {
                    if (!last)
                    {
                        throw new LogCorruptException(path, offset, DescribeDamage(status));
                    }
                    if (FindIntactRecord(span, expected) is { } intact)
                    {
                        throw new LogCorruptException(path, offset, DescribeDamage(status) +
                            $", and an intact record (sequence {intact.Sequence}) follows at byte offset {offset + intact.Offset}, so this is not a torn write");
                    }
                    truncated = data.Length - offset;
                    truncatedPath = path;
                    using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write))
                    {
                        fs.SetLength(offset);
                        fs.Flush(flushToDisk: true);
                    }
                    break;
                }
                if (kl > 0)
                {
                    _keys[KeyHash(span.Slice(ko, kl))] = seq;
                }
                segment.Mark(seq, offset);
                records++;
                expected++;
                offset += size;
            }
            segment.Length = Math.Min(offset, data.Length);
            _segments.Add(segment);
        }
        _lastSequence = expected - 1;
        if (_segments.Count == 0)
        {
            // A new log (or one whose every segment is gone): a new identity, so derived stores of another log see it.
            while (_id == 0)
            {
                _id = BitConverter.ToUInt32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
            }
            CreateSegment(expected);
        }
        else
        {
            var seg = _segments[^1];
            _active = new FileStream(seg.Path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
            _active.Position = seg.Length;
        }
        Recovery = new RecoveryReport(records, truncated, truncatedPath, removed);
    }

    // A torn write (a crash during the newest group commits) leaves damage that no intact record follows: a record
    // running past the end of the file, a damaged final record, or a partial record and zeros where the file was
    // extended but its pages never reached the disk. Damage followed by an intact record of a later sequence is
    // mid-file corruption (a flipped bit, a damaged length field); truncating it would silently drop acknowledged
    // records. The scan checks a plausible length and sequence before paying for a checksum.
    private static (int Offset, long Sequence)? FindIntactRecord(ReadOnlySpan<byte> rest, long expected)
    {
        const int MinRecord = SegmentFormat.RecordPrefix + SegmentFormat.BodyFixed;
        long maxSequence = expected + rest.Length / MinRecord;
        for (int p = 1; p <= rest.Length - MinRecord; p++)
        {
            uint body = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(rest[p..]);
            if (body < SegmentFormat.BodyFixed || body > rest.Length - p - SegmentFormat.RecordPrefix)
            {
                continue;
            }
            long sequence = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(rest[(p + SegmentFormat.RecordPrefix)..]);
            if (sequence < expected || sequence > maxSequence)
            {
                continue;
            }
            if (SegmentFormat.TryParse(rest[p..], out _, out _, out _, out _, out _, out _, out _) == SegmentFormat.ParseStatus.Ok)
            {
                return (p, sequence);
            }
        }
        return null;
    }

    private static string DescribeDamage(SegmentFormat.ParseStatus status) => status switch
    {
        SegmentFormat.ParseStatus.BadChecksum => "the record's CRC-32C does not match its contents",
        SegmentFormat.ParseStatus.BadLength => "the record's length field is impossible",
        _ => "the record runs past the end of the file",
    };

    private void CreateSegment(long firstSequence)
    {
        string path = Path.Combine(_directory, SegmentFormat.FileName(firstSequence));
        var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0);
        Span<byte> header = stackalloc byte[SegmentFormat.HeaderSize];
        SegmentFormat.WriteHeader(header, firstSequence, _id);
        fs.Write(header);
        fs.Flush(flushToDisk: true);
        DirectorySync.Fsync(_directory);
        _active = fs;
        lock (_gate)
        {
            _segments.Add(new Segment(path, firstSequence) { Length = SegmentFormat.HeaderSize });
        }
    }
}
