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
        Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(10)));
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

    // A saved EASE file made older: the payload's options cut at `cut` (length `length` removed), the payload version
    // and length rewritten and the checksum fixed — the file an older build wrote.
    private static byte[] OlderEase(byte[] current, int cut, int length, ushort version)
    {
        byte[] older = [.. current[..cut], .. current[(cut + length)..]];
        BinaryPrimitives.WriteUInt16LittleEndian(older.AsSpan(10), version);
        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(current.AsSpan(13 + current[12]));
        BinaryPrimitives.WriteInt64LittleEndian(older.AsSpan(13 + current[12]), payloadLength - length);
        return WithValidCrc(older);
    }

    [Fact]
    public void Ease_files_from_before_the_dropout_variants_and_the_value_exponent_still_load()
    {
        // The options are Lambda (f64), Binarize, MaxItems (i32); version 2 added Dropout (f64) and ZeroDiagonal;
        // version 3 the ValueExponent (f64). Earlier versions used values as they are (exponent 1).
        byte[] v3 = SavedEase();
        int dropoutAt = 13 + v3[12] + 8 + 8 + 1 + 4;
        Assert.Equal(0d, BitConverter.ToDouble(v3, dropoutAt));
        Assert.Equal(1, v3[dropoutAt + 8]);
        Assert.Equal(0.5d, BitConverter.ToDouble(v3, dropoutAt + 9));
        var current = Assert.IsType<Ease>(ModelFile.Load(new MemoryStream(v3)));
        var v2 = Assert.IsType<Ease>(ModelFile.Load(new MemoryStream(OlderEase(v3, dropoutAt + 9, 8, 2))));
        var v1 = Assert.IsType<Ease>(ModelFile.Load(new MemoryStream(OlderEase(v3, dropoutAt, 17, 1))));
        Assert.Equal((2d, 0d, true, 1d), (v1.Options.Lambda, v1.Options.Dropout, v1.Options.ZeroDiagonal, v1.Options.ValueExponent));
        Assert.Equal((2d, 0d, true, 1d), (v2.Options.Lambda, v2.Options.Dropout, v2.Options.ZeroDiagonal, v2.Options.ValueExponent));
        foreach (var old in new[] { v1, v2 })
        {
            Assert.Equal(current.Recommend(0, 5, excludeSeen: true).Select(r => (r.Item, r.Score)), old.Recommend(0, 5, excludeSeen: true).Select(r => (r.Item, r.Score)));
        }
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
        Assert.Equal("ValueExponent", Assert.Throws<ArgumentOutOfRangeException>(() => new Ease(new EaseOptions { ValueExponent = -1 })).ParamName);
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
        Assert.Equal((500d, true, 0.5d), (ease.Lambda, ease.Binarize, ease.ValueExponent));
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
