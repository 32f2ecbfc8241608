using System.Buffers.Binary;
using Cascade.Core;

namespace Cascade.Ann.Tests;

public sealed class FileFormatTests : IDisposable
{
    private const int Dim = 12;
    private readonly string _dir = Directory.CreateTempSubdirectory("cascade-ann-").FullName;
    private readonly float[] _data = TestData.Clustered(1500, Dim, 12, seed: 101);
    private readonly float[] _queries = TestData.Clustered(30, Dim, 12, seed: 101, sampleSeed: 102);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string SavedIndex(out HnswIndex index, DistanceMetric metric = DistanceMetric.L2)
    {
        index = new HnswIndex(Dim, metric, new HnswOptions { M = 8, EfConstruction = 60, EfSearch = 40, Seed = 77 });
        index.AddRange(_data);
        for (int id = 0; id < 1500; id += 50)
        {
            index.Delete(id);
        }
        string path = Path.Combine(_dir, $"index-{metric}.hnsw");
        index.Save(path);
        return path;
    }

    [Theory]
    [InlineData(HnswLoadMode.Copy, DistanceMetric.L2)]
    [InlineData(HnswLoadMode.MemoryMapped, DistanceMetric.L2)]
    [InlineData(HnswLoadMode.MemoryMapped, DistanceMetric.Cosine)]
    public void A_saved_and_loaded_index_returns_identical_results(HnswLoadMode mode, DistanceMetric metric)
    {
        string path = SavedIndex(out HnswIndex original, metric);
        using (original)
        using (HnswIndex loaded = HnswIndex.Load(path, mode))
        {
            Assert.Equal(original.Count, loaded.Count);
            Assert.Equal(original.DeletedCount, loaded.DeletedCount);
            Assert.Equal(original.Options.M, loaded.Options.M);
            Assert.Equal(original.Options.EfSearch, loaded.Options.EfSearch);
            Assert.Equal(metric, loaded.Metric);
            for (int i = 0; i < 30; i++)
            {
                ReadOnlySpan<float> q = _queries.AsSpan(i * Dim, Dim);
                Assert.Equal(original.Search(q, 10), loaded.Search(q, 10));
            }
            Assert.Equal(mode == HnswLoadMode.MemoryMapped, loaded.IsReadOnly);
        }
    }

    [Fact]
    public void A_copied_index_can_be_changed_but_a_mapped_one_refuses()
    {
        string path = SavedIndex(out HnswIndex original);
        original.Dispose();
        using HnswIndex copy = HnswIndex.Load(path, HnswLoadMode.Copy);
        using HnswIndex mapped = HnswIndex.Load(path, HnswLoadMode.MemoryMapped);

        int id = copy.Add(_data.AsSpan(0, Dim));

        Assert.Equal(1500, id);
        Assert.Equal(id, copy.Search(_data.AsSpan(0, Dim), 1)[0].Id);
        Assert.Throws<InvalidOperationException>(() => mapped.Add(_data.AsSpan(0, Dim)));
        Assert.Throws<InvalidOperationException>(() => mapped.Delete(3));
    }

    [Fact]
    public void An_empty_index_round_trips()
    {
        using var empty = new HnswIndex(Dim, DistanceMetric.InnerProduct);
        string path = Path.Combine(_dir, "empty.hnsw");
        empty.Save(path);

        using HnswIndex loaded = HnswIndex.Load(path);

        Assert.Equal(0, loaded.Count);
        Assert.Empty(loaded.Search(_queries.AsSpan(0, Dim), 5));
    }

    [Fact]
    public void Every_truncation_is_refused_with_a_clear_error()
    {
        string path = SavedIndex(out HnswIndex original);
        original.Dispose();
        byte[] bytes = File.ReadAllBytes(path);
        string cut = Path.Combine(_dir, "cut.hnsw");
        int[] lengths = [0, 7, 64, 127, 128, 129, bytes.Length / 2, bytes.Length - 8, bytes.Length - 1];
        foreach (int length in lengths)
        {
            File.WriteAllBytes(cut, bytes.AsSpan(0, length).ToArray());
            foreach (HnswLoadMode mode in new[] { HnswLoadMode.Copy, HnswLoadMode.MemoryMapped })
            {
                var error = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(cut, mode).Dispose());
                Assert.Contains(cut, error.Message);
                Assert.Contains(length < 128 ? "shorter than" : "file length", error.Message);
            }
        }
    }

    [Fact]
    public void Any_flipped_bit_is_refused()
    {
        string path = SavedIndex(out HnswIndex original);
        original.Dispose();
        byte[] bytes = File.ReadAllBytes(path);
        string flipped = Path.Combine(_dir, "flipped.hnsw");
        var rng = new Random(103);
        var positions = new List<int>();
        for (int i = 0; i < 128; i++)
        {
            positions.Add(i); // every header byte
        }
        for (int i = 0; i < 150; i++)
        {
            positions.Add(128 + rng.Next(bytes.Length - 128));
        }
        foreach (int at in positions)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[at] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(flipped, copy);
            HnswLoadMode mode = at % 2 == 0 ? HnswLoadMode.Copy : HnswLoadMode.MemoryMapped;
            var error = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(flipped, mode).Dispose());
            Assert.Contains("is invalid", error.Message);
        }
    }

    [Fact]
    public void An_oversized_file_is_refused()
    {
        string path = SavedIndex(out HnswIndex original);
        original.Dispose();
        using (var stream = new FileStream(path, FileMode.Append))
        {
            stream.Write(new byte[100]);
        }

        var error = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path).Dispose());

        Assert.Contains("truncated or extended", error.Message);
    }

    [Fact]
    public void A_header_claiming_a_huge_count_is_refused_before_allocating()
    {
        string path = SavedIndex(out HnswIndex original);
        original.Dispose();
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(24), int.MaxValue - 100);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), 65_536);
        Reseal(bytes);
        File.WriteAllBytes(path, bytes);
        long before = GC.GetTotalAllocatedBytes(precise: true);

        var error = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path).Dispose());

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Contains("file length", error.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void A_link_pointing_outside_the_index_is_refused_even_with_valid_checksums()
    {
        string path = SavedIndex(out HnswIndex original);
        original.Dispose();
        byte[] bytes = File.ReadAllBytes(path);
        long links0 = (128 + 1500L * Dim * 4 + 63) & ~63L;
        long slot = links0 + 10L * (2 * 8 + 1) * 4; // node 10, layer 0
        Assert.True(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)slot)) > 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)slot + 4), 1_000_000);
        Reseal(bytes);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path, HnswLoadMode.MemoryMapped).Dispose());

        Assert.Contains("link", error.Message);
        Assert.Contains("1000000", error.Message);
        Assert.Contains($"offset {slot + 4}", error.Message);
    }

    [Theory]
    [InlineData(8, 2, "version")]
    [InlineData(0, 0x58, "magic")]
    [InlineData(16, 9, "metric")]
    [InlineData(28, 100_000, "M")]
    public void A_bad_header_field_is_named_in_the_error(int offset, int value, string field)
    {
        string path = SavedIndex(out HnswIndex original);
        original.Dispose();
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), value);
        Reseal(bytes);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path).Dispose());

        Assert.Contains($"{field} at offset {offset}", error.Message);
        Assert.Contains(offset == 0 ? "not a Cascade HNSW index" : value.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    /// <summary>Recomputes both checksums, as a hostile writer would, so only structural checks stand in the way.</summary>
    private static void Reseal(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(72), Crc32C.Compute(bytes.AsSpan(128)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(124), Crc32C.Compute(bytes.AsSpan(0, 124)));
    }
}
