using System.Numerics;
using Cascade.Core;
using Microsoft.Win32.SafeHandles;

namespace Cascade.Ann;

public sealed unsafe partial class HnswIndex
{
    private const int IoChunk = 1 << 24;

    /// <summary>
    /// Writes the index to <paramref name="path"/> in the versioned, checksummed format described in
    /// docs/formats/ann-index.md. The file is written beside the target and renamed over it, so a reader never
    /// sees half a file.
    /// </summary>
    public void Save(string path)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrEmpty(path);
        HnswFileLayout layout = CurrentLayout();
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var header = new byte[HnswFileLayout.HeaderSize];
            stream.Write(header);
            uint crc = 0;
            WriteSection(stream, ref crc, HnswFileLayout.VectorsOffset, (byte*)_vectors, layout.VectorsBytes);
            WriteSection(stream, ref crc, layout.Links0Offset, (byte*)_links0, layout.Links0Bytes);
            fixed (byte* levels = _levels)
            {
                WriteSection(stream, ref crc, layout.LevelsOffset, levels, _count);
            }
            fixed (int* offsets = _upperOffsets)
            {
                WriteSection(stream, ref crc, layout.UpperOffsetsOffset, (byte*)offsets, (long)_count * sizeof(int));
            }
            fixed (int* upper = _upper)
            {
                WriteSection(stream, ref crc, layout.UpperOffset, (byte*)upper, (long)_upperLength * sizeof(int));
            }
            fixed (ulong* tombstones = _tombstones)
            {
                WriteSection(stream, ref crc, layout.TombstonesOffset, (byte*)tombstones, (long)layout.TombstoneWords * sizeof(ulong));
            }
            layout.WriteHeader(header, stream.Position, crc);
            stream.Position = 0;
            stream.Write(header);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Loads an index written by <see cref="Save"/>. The header is checked against the file length before anything
    /// is allocated, the payload checksum is verified, and every link is checked to be in range, so a corrupt or
    /// hostile file is refused with an <see cref="InvalidDataException"/> naming the field, its offset and the value.
    /// </summary>
    /// <param name="path">The index file.</param>
    /// <param name="mode">Copy into memory (changeable) or map the file (read-only, shares the page cache).</param>
    /// <exception cref="InvalidDataException">The file is not a valid index.</exception>
    public static HnswIndex Load(string path, HnswLoadMode mode = HnswLoadMode.Copy)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("HNSW index files are little-endian; this machine is big-endian.");
        }
        HnswFileLayout layout;
        uint storedCrc;
        using (SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            long length = RandomAccess.GetLength(handle);
            Span<byte> header = stackalloc byte[HnswFileLayout.HeaderSize];
            header.Clear();
            RandomAccess.Read(handle, header, 0);
            layout = HnswFileLayout.ReadHeader(header, length, path, out storedCrc);
            if (mode == HnswLoadMode.Copy)
            {
                var copy = new HnswIndex(layout);
                try
                {
                    copy.ReadSections(handle, layout, path, storedCrc);
                    copy.ValidateGraph(layout, path);
                    return copy;
                }
                catch
                {
                    copy.Dispose();
                    throw;
                }
            }
        }
        var index = new HnswIndex(layout);
        try
        {
            index.MapSections(path, layout, storedCrc);
            index.ValidateGraph(layout, path);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private HnswIndex(HnswFileLayout layout)
        : this(layout.Dimension, layout.Metric, new HnswOptions { M = layout.M, EfConstruction = layout.EfConstruction, EfSearch = layout.EfSearch, Seed = layout.Seed })
    {
        _entryPoint = layout.EntryPoint;
        _maxLevel = layout.MaxLevel;
        _deletedCount = layout.DeletedCount;
    }

    private HnswFileLayout CurrentLayout() => new()
    {
        Metric = Metric,
        Dimension = Dimension,
        Count = _count,
        M = _m,
        EfConstruction = Options.EfConstruction,
        EfSearch = Options.EfSearch,
        MaxLevel = _maxLevel,
        EntryPoint = _entryPoint,
        DeletedCount = _deletedCount,
        UpperLength = _upperLength,
        Seed = Options.Seed,
    };

    private static void WriteSection(FileStream stream, ref uint crc, long offset, byte* data, long bytes)
    {
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        int padding = (int)(offset - stream.Position);
        crc = Crc32C.Append(crc, zeros[..padding]);
        stream.Write(zeros[..padding]);
        for (long done = 0; done < bytes; done += IoChunk)
        {
            var chunk = new ReadOnlySpan<byte>(data + done, (int)Math.Min(IoChunk, bytes - done));
            crc = Crc32C.Append(crc, chunk);
            stream.Write(chunk);
        }
    }

    private void ReadSections(SafeFileHandle handle, HnswFileLayout layout, string path, uint storedCrc)
    {
        int count = layout.Count;
        EnsureCapacity(Math.Max(count, 16));
        _count = count;
        _upper = new int[layout.UpperLength];
        _upperLength = layout.UpperLength;
        uint crc = 0;
        long position = HnswFileLayout.HeaderSize;
        ReadSection(handle, ref position, ref crc, HnswFileLayout.VectorsOffset, (byte*)_vectors, layout.VectorsBytes, path);
        ReadSection(handle, ref position, ref crc, layout.Links0Offset, (byte*)_links0, layout.Links0Bytes, path);
        fixed (byte* levels = _levels)
        {
            ReadSection(handle, ref position, ref crc, layout.LevelsOffset, levels, count, path);
        }
        fixed (int* offsets = _upperOffsets)
        {
            ReadSection(handle, ref position, ref crc, layout.UpperOffsetsOffset, (byte*)offsets, (long)count * sizeof(int), path);
        }
        fixed (int* upper = _upper)
        {
            ReadSection(handle, ref position, ref crc, layout.UpperOffset, (byte*)upper, (long)layout.UpperLength * sizeof(int), path);
        }
        fixed (ulong* tombstones = _tombstones)
        {
            ReadSection(handle, ref position, ref crc, layout.TombstonesOffset, (byte*)tombstones, (long)layout.TombstoneWords * sizeof(ulong), path);
        }
        CheckPayloadCrc(crc, storedCrc, path);
    }

    private static void ReadSection(SafeFileHandle handle, ref long position, ref uint crc, long offset, byte* destination, long bytes, string path)
    {
        Span<byte> padding = stackalloc byte[64];
        int gap = (int)(offset - position);
        ReadExactly(handle, padding[..gap], position, path);
        crc = Crc32C.Append(crc, padding[..gap]);
        position = offset;
        for (long done = 0; done < bytes; done += IoChunk)
        {
            var chunk = new Span<byte>(destination + done, (int)Math.Min(IoChunk, bytes - done));
            ReadExactly(handle, chunk, position, path);
            crc = Crc32C.Append(crc, chunk);
            position += chunk.Length;
        }
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        while (!buffer.IsEmpty)
        {
            int n = RandomAccess.Read(handle, buffer, offset);
            if (n <= 0)
            {
                throw AnnFormatException.Create(path, offset, "payload", "the file ended early (truncated while being read)");
            }
            buffer = buffer[n..];
            offset += n;
        }
    }

    private void MapSections(string path, HnswFileLayout layout, uint storedCrc)
    {
        var mapped = new MappedFile(path, layout.FileLength);
        _mapped = mapped;
        byte* p = mapped.Pointer;
        uint crc = 0;
        for (long done = HnswFileLayout.HeaderSize; done < layout.FileLength; done += IoChunk)
        {
            crc = Crc32C.Append(crc, new ReadOnlySpan<byte>(p + done, (int)Math.Min(IoChunk, layout.FileLength - done)));
        }
        CheckPayloadCrc(crc, storedCrc, path);
        int count = layout.Count;
        _vectors = (float*)(p + HnswFileLayout.VectorsOffset);
        _links0 = (int*)(p + layout.Links0Offset);
        _count = count;
        _capacity = count;
        _levels = new ReadOnlySpan<byte>(p + layout.LevelsOffset, count).ToArray();
        _upperOffsets = new ReadOnlySpan<int>(p + layout.UpperOffsetsOffset, count).ToArray();
        _upper = new ReadOnlySpan<int>(p + layout.UpperOffset, layout.UpperLength).ToArray();
        _upperLength = layout.UpperLength;
        _tombstones = new ReadOnlySpan<ulong>(p + layout.TombstonesOffset, layout.TombstoneWords).ToArray();
    }

    private static void CheckPayloadCrc(uint computed, uint stored, string path)
    {
        if (computed != stored)
        {
            throw AnnFormatException.Create(path, 72, "payload checksum", $"stored 0x{stored:X8}, computed 0x{computed:X8} over bytes {HnswFileLayout.HeaderSize} … end (the file is corrupt)");
        }
    }

    /// <summary>Checks every structural invariant the search relies on, so no id read from the file can index out of range.</summary>
    private void ValidateGraph(HnswFileLayout layout, string path)
    {
        int count = layout.Count;
        long running = 0;
        for (int i = 0; i < count; i++)
        {
            int level = _levels[i];
            if (level > layout.MaxLevel)
            {
                throw AnnFormatException.Create(path, layout.LevelsOffset + i, "level", $"node {i} has level {level}, above the max level {layout.MaxLevel}");
            }
            if (_upperOffsets[i] != running)
            {
                throw AnnFormatException.Create(path, layout.UpperOffsetsOffset + (long)i * 4, "upper offset", $"node {i} starts at {_upperOffsets[i]}, expected {running}");
            }
            running += (long)level * _strideUp;
        }
        if (running != layout.UpperLength)
        {
            throw AnnFormatException.Create(path, 52, "upper link count", $"the header says {layout.UpperLength} but the levels need {running}");
        }
        if (count > 0 && _levels[layout.EntryPoint] != layout.MaxLevel)
        {
            throw AnnFormatException.Create(path, 44, "entry point", $"node {layout.EntryPoint} has level {_levels[layout.EntryPoint]}, not the max level {layout.MaxLevel}");
        }
        for (int i = 0; i < count; i++)
        {
            int* slot = _links0 + (long)i * _stride0;
            long at = layout.Links0Offset + (long)i * _stride0 * sizeof(int);
            CheckList(new ReadOnlySpan<int>(slot, _stride0), _m0, 0, i, at, layout, path);
            for (int layer = 1; layer <= _levels[i]; layer++)
            {
                int offset = _upperOffsets[i] + (layer - 1) * _strideUp;
                CheckList(_upper.AsSpan(offset, _strideUp), _m, layer, i, layout.UpperOffset + (long)offset * sizeof(int), layout, path);
            }
        }
        long deleted = 0;
        int words = layout.TombstoneWords;
        for (int w = 0; w < words; w++)
        {
            deleted += BitOperations.PopCount(_tombstones[w]);
        }
        int tail = count & 63;
        if (tail != 0 && (_tombstones[words - 1] >> tail) != 0)
        {
            throw AnnFormatException.Create(path, layout.TombstonesOffset + (words - 1) * 8L, "tombstones", $"bits are set for ids at or above the count {count}");
        }
        if (deleted != layout.DeletedCount)
        {
            throw AnnFormatException.Create(path, 48, "deleted count", $"the header says {layout.DeletedCount} but the tombstone bitmap holds {deleted}");
        }
    }

    private void CheckList(ReadOnlySpan<int> slot, int max, int layer, int node, long offset, HnswFileLayout layout, string path)
    {
        int n = slot[0];
        if ((uint)n > (uint)max)
        {
            throw AnnFormatException.Create(path, offset, "link count", $"node {node} has {n} links on layer {layer}, outside 0 … {max}");
        }
        for (int j = 1; j <= n; j++)
        {
            int id = slot[j];
            if ((uint)id >= (uint)layout.Count || _levels[id] < layer)
            {
                throw AnnFormatException.Create(path, offset + (long)j * sizeof(int), "link", $"node {node} links to {id} on layer {layer}, which is not a node of that layer (count {layout.Count})");
            }
        }
    }
}
