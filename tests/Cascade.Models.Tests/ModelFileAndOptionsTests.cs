using System.Buffers.Binary;
using Cascade.Core;
using Cascade.Models.Factorisation;
using Cascade.Models.Linear;
using Cascade.Models.Neighbourhood;
using Cascade.Models.Serialization;

namespace Cascade.Models.Tests;

public sealed class ModelFileAndOptionsTests
{
    private static byte[] SavedEase()
    {
        var ease = new Ease(new EaseOptions { Lambda = 2 });
        ease.Fit(SyntheticData.Create());
        using var stream = new MemoryStream();
        ease.Save(stream);
        return stream.ToArray();
    }

    private static byte[] WithValidCrc(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        return bytes;
    }

    [Fact]
    public void The_file_starts_with_the_magic_and_versions_and_ends_with_the_crc_of_everything_before()
    {
        byte[] bytes = SavedEase();
        Assert.Equal("CASCMODL"u8.ToArray(), bytes[..8]);
        Assert.Equal(ModelFile.ContainerVersion, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(10)));
        Assert.Equal("ease"u8.ToArray(), bytes.AsSpan(13, bytes[12]).ToArray());
        Assert.Equal(Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)));
    }

    [Fact]
    public void A_file_without_the_magic_is_refused()
    {
        byte[] bytes = SavedEase();
        bytes[0] = (byte)'X';
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(new MemoryStream(bytes)));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void A_newer_container_or_payload_version_is_refused_even_with_a_valid_checksum()
    {
        byte[] container = SavedEase();
        container[8] = 2;
        Assert.Contains("container version 2", Assert.Throws<InvalidDataException>(() => ModelFile.Load(new MemoryStream(WithValidCrc(container)))).Message);
        byte[] payload = SavedEase();
        payload[10] = 9;
        Assert.Contains("payload version 9", Assert.Throws<InvalidDataException>(() => ModelFile.Load(new MemoryStream(WithValidCrc(payload)))).Message);
    }

    [Fact]
    public void A_version_1_ease_file_from_before_the_dropout_variants_still_loads_as_plain_ease()
    {
        // Version 2 added Dropout (f64) and ZeroDiagonal (bool) after Lambda, Binarize and MaxItems: cut them out,
        // mark the payload version 1, fix the payload length and the checksum — the file an older build wrote.
        byte[] v2 = SavedEase();
        int payloadStart = 13 + v2[12] + 8;
        int cut = payloadStart + 8 + 1 + 4;
        Assert.Equal(0d, BitConverter.ToDouble(v2, cut));
        Assert.Equal(1, v2[cut + 8]);
        byte[] v1 = [.. v2[..cut], .. v2[(cut + 9)..]];
        BinaryPrimitives.WriteUInt16LittleEndian(v1.AsSpan(10), 1);
        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(v2.AsSpan(13 + v2[12]));
        BinaryPrimitives.WriteInt64LittleEndian(v1.AsSpan(13 + v2[12]), payloadLength - 9);
        var old = Assert.IsType<Ease>(ModelFile.Load(new MemoryStream(WithValidCrc(v1))));
        var current = Assert.IsType<Ease>(ModelFile.Load(new MemoryStream(v2)));
        Assert.Equal((2d, 0d, true), (old.Options.Lambda, old.Options.Dropout, old.Options.ZeroDiagonal));
        Assert.Equal(current.Recommend(0, 5, excludeSeen: true).Select(r => (r.Item, r.Score)), old.Recommend(0, 5, excludeSeen: true).Select(r => (r.Item, r.Score)));
    }

    [Fact]
    public void An_unknown_model_kind_is_refused()
    {
        using var stream = new MemoryStream();
        ModelFile.Write(stream, "mystery", 1, w => w.Write(1));
        stream.Position = 0;
        Assert.Contains("Unknown model kind 'mystery'", Assert.Throws<InvalidDataException>(() => ModelFile.Load(stream)).Message);
    }

    [Fact]
    public void Every_single_byte_flip_is_detected()
    {
        byte[] original = SavedEase();
        for (int position = 0; position < original.Length; position += Math.Max(1, original.Length / 200))
        {
            byte[] bytes = (byte[])original.Clone();
            bytes[position] ^= 0x01;
            Assert.Throws<InvalidDataException>(() => ModelFile.Load(new MemoryStream(bytes)));
        }
    }

    [Fact]
    public void Save_to_a_path_then_load_round_trips()
    {
        string path = Path.Combine(Path.GetTempPath(), $"cascade-model-{Guid.NewGuid():N}.cmod");
        try
        {
            var model = new Sar();
            model.Fit(SyntheticData.Create());
            ModelFile.Save(model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(model.Recommend(3, 5), loaded.Recommend(3, 5));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invalid_options_are_rejected_when_the_model_is_built_naming_the_option()
    {
        Assert.Equal("Lambda", Assert.Throws<ArgumentOutOfRangeException>(() => new Ease(new EaseOptions { Lambda = 0 })).ParamName);
        Assert.Equal("Dropout", Assert.Throws<ArgumentOutOfRangeException>(() => new Ease(new EaseOptions { Dropout = 1 })).ParamName);
        Assert.Equal("ZeroDiagonal", Assert.Throws<ArgumentException>(() => new Ease(new EaseOptions { ZeroDiagonal = false })).ParamName);
        Assert.Equal("Neighbours", Assert.Throws<ArgumentOutOfRangeException>(() => new ItemKnn(new ItemKnnOptions { Neighbours = 0 })).ParamName);
        Assert.Equal("Alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new ItemKnn(new ItemKnnOptions { Alpha = 1.5f })).ParamName);
        Assert.Equal("Beta", Assert.Throws<ArgumentOutOfRangeException>(() => new Rp3Beta(new Rp3BetaOptions { Beta = -1 })).ParamName);
        Assert.Equal("HalfLife", Assert.Throws<ArgumentOutOfRangeException>(() => new Sar(new SarOptions { HalfLife = TimeSpan.Zero })).ParamName);
        Assert.Equal("Factors", Assert.Throws<ArgumentOutOfRangeException>(() => new BiasedMatrixFactorisation(new BiasedMatrixFactorisationOptions { Factors = 0 })).ParamName);
    }

    [Fact]
    public void Default_options_are_the_documented_ones()
    {
        var ease = new EaseOptions();
        Assert.Equal(500, ease.Lambda);
        var sar = new SarOptions();
        Assert.Equal(SarSimilarity.Jaccard, sar.Similarity);
        Assert.Equal(TimeSpan.FromDays(30), sar.HalfLife);
        var mf = new BiasedMatrixFactorisationOptions();
        Assert.Equal((100, 20, 0.005, 0.02), (mf.Factors, mf.Epochs, mf.LearningRate, mf.Regularisation));
    }

    [Fact]
    public void Sar_with_time_decay_needs_timestamps()
    {
        var m = SyntheticData.Create();
        var noTimes = new CsrMatrix(m.Rows, m.Columns, m.RowPointers, m.ColumnIndices, m.Values);
        Assert.Throws<ArgumentException>(() => new Sar().Fit(noTimes));
        new Sar(new SarOptions { TimeDecay = false }).Fit(noTimes);
    }
}
