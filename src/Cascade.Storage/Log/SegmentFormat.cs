using System.Buffers.Binary;
using System.Text;
using Cascade.Core;

namespace Cascade.Storage.Log;

/// <summary>
/// The on-disk layout of an event log segment (also in docs/formats/event-log.md).
/// <code>
/// segment header (32 bytes)
///   0   8  magic "CASCLOG\0"
///   8   4  format version (u32, currently 1)
///   12  4  header size (u32, 32)
///   16  8  sequence of the segment's first record (u64)
///   24  4  log id (u32): the same in every segment of one log, random when the log is created (0 in logs
///            created before log ids existed); see docs/formats/log-identity.md
///   28  4  CRC-32C of bytes 0..27
/// record (repeated; little-endian)
///   0   4  body length n (u32)
///   4   4  CRC-32C of the n body bytes
///   8   8  sequence (u64), the previous record's + 1
///   16  1  kind (1 event, 2 item upsert, 3 user upsert, 4 item hide)
///   17  1  flags (0)
///   18  2  idempotency key length k (u16, 0 = none)
///   20  k  idempotency key (UTF-8)
///   20+k   payload (n − 12 − k bytes)
/// </code>
/// </summary>
internal static class SegmentFormat
{
    public const int HeaderSize = 32;
    public const int RecordPrefix = 8;
    public const int BodyFixed = 12;
    public const uint Version = 1;
    public const int MaxBodyBytes = 16 << 20;
    public const int MaxKeyBytes = 1024;
    public static ReadOnlySpan<byte> Magic => "CASCLOG\0"u8;

    public static string FileName(long firstSequence) => $"{firstSequence:D20}.log";

    public static void WriteHeader(Span<byte> header, long firstSequence, uint logId)
    {
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], HeaderSize);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], firstSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], logId);
        BinaryPrimitives.WriteUInt32LittleEndian(header[28..], Crc32C.Compute(header[..28]));
    }

    /// <summary>Checks a header and returns the segment's first sequence and log id, or a reason it is unreadable.</summary>
    public static (long FirstSequence, uint LogId) ReadHeader(ReadOnlySpan<byte> header, string path)
    {
        if (header.Length < HeaderSize)
        {
            throw new LogCorruptException(path, 0, $"the file has {header.Length} bytes, fewer than the {HeaderSize}-byte segment header");
        }
        if (!header[..8].SequenceEqual(Magic))
        {
            throw new LogCorruptException(path, 0, "the file does not start with the segment magic 'CASCLOG\\0' (not an event log segment)");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != Version)
        {
            throw new LogCorruptException(path, 8, $"segment format version {version} is not supported (this build reads version {Version})");
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[28..]) != Crc32C.Compute(header[..28]))
        {
            throw new LogCorruptException(path, 28, "the segment header checksum does not match");
        }
        return (BinaryPrimitives.ReadInt64LittleEndian(header[16..]), BinaryPrimitives.ReadUInt32LittleEndian(header[24..]));
    }

    /// <summary>Encodes one record into <paramref name="destination"/> and returns its size.</summary>
    public static int WriteRecord(Span<byte> destination, long sequence, RecordKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload)
    {
        int body = BodyFixed + key.Length + payload.Length;
        var b = destination[RecordPrefix..(RecordPrefix + body)];
        BinaryPrimitives.WriteInt64LittleEndian(b, sequence);
        b[8] = (byte)kind;
        b[9] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(b[10..], (ushort)key.Length);
        key.CopyTo(b[12..]);
        payload.CopyTo(b[(12 + key.Length)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)body);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32C.Compute(b));
        return RecordPrefix + body;
    }

    public static int RecordSize(int keyBytes, int payloadBytes) => RecordPrefix + BodyFixed + keyBytes + payloadBytes;

    /// <summary>The outcome of parsing one record at an offset.</summary>
    public enum ParseStatus
    {
        Ok,
        PastEnd,
        BadLength,
        BadChecksum,
    }

    /// <summary>Parses the record starting at <paramref name="data"/>[0].</summary>
    public static ParseStatus TryParse(ReadOnlySpan<byte> data, out int size, out long sequence, out RecordKind kind, out int keyOffset, out int keyLength, out int payloadOffset, out int payloadLength)
    {
        size = 0; sequence = 0; kind = 0; keyOffset = keyLength = payloadOffset = payloadLength = 0;
        if (data.Length < RecordPrefix)
        {
            return ParseStatus.PastEnd;
        }
        uint body = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (body < BodyFixed || body > MaxBodyBytes)
        {
            return ParseStatus.BadLength;
        }
        if (data.Length < RecordPrefix + (long)body)
        {
            return ParseStatus.PastEnd;
        }
        var b = data.Slice(RecordPrefix, (int)body);
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) != Crc32C.Compute(b))
        {
            return ParseStatus.BadChecksum;
        }
        keyLength = BinaryPrimitives.ReadUInt16LittleEndian(b[10..]);
        if (BodyFixed + keyLength > body)
        {
            return ParseStatus.BadLength;
        }
        sequence = BinaryPrimitives.ReadInt64LittleEndian(b);
        kind = (RecordKind)b[8];
        keyOffset = RecordPrefix + BodyFixed;
        payloadOffset = keyOffset + keyLength;
        payloadLength = (int)body - BodyFixed - keyLength;
        size = RecordPrefix + (int)body;
        return ParseStatus.Ok;
    }

    public static string DecodeKey(ReadOnlySpan<byte> key) => Encoding.UTF8.GetString(key);
}
