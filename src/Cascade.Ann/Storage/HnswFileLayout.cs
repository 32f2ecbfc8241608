using System.Buffers.Binary;
using System.Text;
using Cascade.Core;

namespace Cascade.Ann;

/// <summary>How an index file is opened.</summary>
public enum HnswLoadMode
{
    /// <summary>Read the file into memory; the index can then be changed.</summary>
    Copy = 0,

    /// <summary>Map the file read-only and search it in place; the file stays open until the index is disposed.</summary>
    MemoryMapped = 1,
}

/// <summary>
/// The fixed header of an HNSW index file (version 1) and the section offsets it implies. All integers little-endian.
/// </summary>
/// <remarks>
/// <code>
/// offset size field
///      0    8 magic "CASCHNSW"
///      8    4 version (1)
///     12    4 header size (128)
///     16    4 metric (0 L2, 1 inner product, 2 cosine)
///     20    4 dimension (1 … 65 536)
///     24    4 count of nodes
///     28    4 M (2 … 512); layer-0 lists hold 2M
///     32    4 efConstruction
///     36    4 efSearch (default search breadth)
///     40    4 max level (−1 when empty, ≤ 32)
///     44    4 entry point (−1 when empty)
///     48    4 deleted count
///     52    4 upper-layer link ints
///     56    8 seed
///     64    8 file length in bytes
///     72    4 CRC-32C of bytes 128 … end
///     76   48 reserved, zero
///    124    4 CRC-32C of bytes 0 … 123
/// then sections, each starting on a 64-byte boundary (zero padding between):
///   vectors      count × dimension float32
///   links0       count × (2M + 1) int32: [n, id₁ … id₂ₘ]
///   levels       count bytes
///   upperOffsets count int32, the start of each node's upper lists in the upper section
///   upper        upper-layer ints, per node level × (M + 1): [n, id₁ … idₘ] for layers 1 … level
///   tombstones   ⌈count / 64⌉ uint64 bitmap of deleted ids
/// </code>
/// </remarks>
internal readonly struct HnswFileLayout
{
    public const int HeaderSize = 128;
    public const int Version = 1;
    public static ReadOnlySpan<byte> Magic => "CASCHNSW"u8;

    public required DistanceMetric Metric { get; init; }
    public required int Dimension { get; init; }
    public required int Count { get; init; }
    public required int M { get; init; }
    public required int EfConstruction { get; init; }
    public required int EfSearch { get; init; }
    public required int MaxLevel { get; init; }
    public required int EntryPoint { get; init; }
    public required int DeletedCount { get; init; }
    public required int UpperLength { get; init; }
    public required ulong Seed { get; init; }

    public static long VectorsOffset => HeaderSize;
    public long VectorsBytes => (long)Count * Dimension * sizeof(float);
    public long Links0Offset => Align(VectorsOffset + VectorsBytes);
    public long Links0Bytes => (long)Count * (2 * M + 1) * sizeof(int);
    public long LevelsOffset => Align(Links0Offset + Links0Bytes);
    public long UpperOffsetsOffset => Align(LevelsOffset + Count);
    public long UpperOffset => Align(UpperOffsetsOffset + (long)Count * sizeof(int));
    public long TombstonesOffset => Align(UpperOffset + (long)UpperLength * sizeof(int));
    public int TombstoneWords => (int)(((long)Count + 63) >> 6);
    public long FileLength => TombstonesOffset + (long)TombstoneWords * sizeof(ulong);

    public static long Align(long offset) => (offset + 63) & ~63L;

    public void WriteHeader(Span<byte> header, long fileLength, uint payloadCrc)
    {
        header[..HeaderSize].Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], (int)Metric);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], Count);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], M);
        BinaryPrimitives.WriteInt32LittleEndian(header[32..], EfConstruction);
        BinaryPrimitives.WriteInt32LittleEndian(header[36..], EfSearch);
        BinaryPrimitives.WriteInt32LittleEndian(header[40..], MaxLevel);
        BinaryPrimitives.WriteInt32LittleEndian(header[44..], EntryPoint);
        BinaryPrimitives.WriteInt32LittleEndian(header[48..], DeletedCount);
        BinaryPrimitives.WriteInt32LittleEndian(header[52..], UpperLength);
        BinaryPrimitives.WriteUInt64LittleEndian(header[56..], Seed);
        BinaryPrimitives.WriteInt64LittleEndian(header[64..], fileLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[72..], payloadCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(header[124..], Crc32C.Compute(header[..124]));
    }

    /// <summary>Parses and checks the header against the file length before anything is allocated.</summary>
    public static HnswFileLayout ReadHeader(ReadOnlySpan<byte> header, long actualLength, string path, out uint payloadCrc)
    {
        if (actualLength < HeaderSize)
        {
            throw AnnFormatException.Create(path, 0, "header", $"the file is {actualLength} bytes, shorter than the {HeaderSize}-byte header (truncated or not an index file)");
        }
        if (!header[..8].SequenceEqual(Magic))
        {
            throw AnnFormatException.Create(path, 0, "magic", $"expected \"CASCHNSW\", found \"{Printable(header[..8])}\" (not a Cascade HNSW index)");
        }
        uint storedHeaderCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[124..]);
        uint headerCrc = Crc32C.Compute(header[..124]);
        if (storedHeaderCrc != headerCrc)
        {
            throw AnnFormatException.Create(path, 124, "header checksum", $"stored 0x{storedHeaderCrc:X8}, computed 0x{headerCrc:X8} (the header is corrupt)");
        }
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version)
        {
            throw AnnFormatException.Create(path, 8, "version", $"{version} is not supported; this build reads version {Version}");
        }
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        Check(headerSize == HeaderSize, path, 12, "header size", $"{headerSize}, expected {HeaderSize}");
        int metric = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        Check(Enum.IsDefined((DistanceMetric)metric), path, 16, "metric", $"{metric} is not a known metric (0 … 2)");
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
        Check(dimension is >= 1 and <= HnswOptions.MaxDimension, path, 20, "dimension", $"{dimension} is outside 1 … {HnswOptions.MaxDimension}");
        int count = BinaryPrimitives.ReadInt32LittleEndian(header[24..]);
        Check(count is >= 0 and <= int.MaxValue - 64, path, 24, "count", $"{count} is negative or too large");
        int m = BinaryPrimitives.ReadInt32LittleEndian(header[28..]);
        Check(m is >= 2 and <= HnswOptions.MaxM, path, 28, "M", $"{m} is outside 2 … {HnswOptions.MaxM}");
        int efConstruction = BinaryPrimitives.ReadInt32LittleEndian(header[32..]);
        Check(efConstruction >= 1, path, 32, "efConstruction", $"{efConstruction} is below 1");
        int efSearch = BinaryPrimitives.ReadInt32LittleEndian(header[36..]);
        Check(efSearch >= 1, path, 36, "efSearch", $"{efSearch} is below 1");
        int maxLevel = BinaryPrimitives.ReadInt32LittleEndian(header[40..]);
        int entry = BinaryPrimitives.ReadInt32LittleEndian(header[44..]);
        if (count == 0)
        {
            Check(maxLevel == -1 && entry == -1, path, 40, "max level / entry point", $"{maxLevel} / {entry} in an empty index, expected −1 / −1");
        }
        else
        {
            Check(maxLevel is >= 0 and <= MaxLevelLimit, path, 40, "max level", $"{maxLevel} is outside 0 … {MaxLevelLimit}");
            Check(entry >= 0 && entry < count, path, 44, "entry point", $"{entry} is not a node id below the count {count}");
        }
        int deleted = BinaryPrimitives.ReadInt32LittleEndian(header[48..]);
        Check(deleted >= 0 && deleted <= count, path, 48, "deleted count", $"{deleted} is outside 0 … {count}");
        int upper = BinaryPrimitives.ReadInt32LittleEndian(header[52..]);
        Check(upper >= 0 && (long)upper <= (long)count * MaxLevelLimit * (m + 1), path, 52, "upper link count", $"{upper} is negative or more than {count} nodes can hold");
        ulong seed = BinaryPrimitives.ReadUInt64LittleEndian(header[56..]);
        long storedLength = BinaryPrimitives.ReadInt64LittleEndian(header[64..]);
        payloadCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[72..]);
        for (int i = 76; i < 124; i++)
        {
            Check(header[i] == 0, path, i, "reserved", $"byte {header[i]} is not zero");
        }
        var layout = new HnswFileLayout
        {
            Metric = (DistanceMetric)metric,
            Dimension = dimension,
            Count = count,
            M = m,
            EfConstruction = efConstruction,
            EfSearch = efSearch,
            MaxLevel = maxLevel,
            EntryPoint = entry,
            DeletedCount = deleted,
            UpperLength = upper,
            Seed = seed,
        };
        Check(storedLength == layout.FileLength, path, 64, "file length", $"the header records {storedLength} bytes but its counts imply {layout.FileLength}");
        Check(actualLength == layout.FileLength, path, 64, "file length", $"the file is {actualLength} bytes but its header implies {layout.FileLength} (truncated or extended)");
        return layout;
    }

    public const int MaxLevelLimit = 32;

    private static void Check(bool condition, string path, long offset, string field, string problem)
    {
        if (!condition)
        {
            throw AnnFormatException.Create(path, offset, field, problem);
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            sb.Append(b is >= 32 and < 127 ? (char)b : '?');
        }
        return sb.ToString();
    }
}
