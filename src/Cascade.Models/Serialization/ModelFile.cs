using System.Buffers.Binary;
using System.Text;
using Cascade.Core;
using Cascade.Models.Baselines;
using Cascade.Models.Factorisation;
using Cascade.Models.Linear;
using Cascade.Models.Neighbourhood;
using Cascade.Models.Neural;

namespace Cascade.Models.Serialization;

/// <summary>
/// The Cascade model file: a fixed header, the model's payload and a CRC-32C trailer. All integers little-endian.
/// <code>
/// offset  size  field
///      0     8  magic "CASCMODL" (ASCII)
///      8     2  container version (1)
///     10     2  payload version of this model kind
///     12     1  kind name length L (1..64)
///     13     L  kind name, ASCII (e.g. "ease")
///   13+L     8  payload length P (int64)
///   21+L     P  payload (the common recommender state, then the model's own state; see docs/formats/models.md)
/// 21+L+P     4  CRC-32C (Castagnoli) of bytes [0, 21+L+P)
/// </code>
/// A file whose magic, versions, lengths or checksum do not match is refused with <see cref="InvalidDataException"/>.
/// </summary>
public static class ModelFile
{
    /// <summary>The container version this build writes and reads.</summary>
    public const ushort ContainerVersion = 1;

    private static ReadOnlySpan<byte> Magic => "CASCMODL"u8;

    /// <summary>Writes one model: header, payload produced by <paramref name="writePayload"/>, checksum.</summary>
    /// <param name="stream">Destination stream.</param>
    /// <param name="kind">The model's kind name (ASCII, 1–64 characters).</param>
    /// <param name="payloadVersion">The version of the model's payload layout.</param>
    /// <param name="writePayload">Writes the payload.</param>
    public static void Write(Stream stream, string kind, ushort payloadVersion, Action<BinaryWriter> writePayload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(writePayload);
        if (kind.Length > 64 || !Ascii.IsValid(kind))
        {
            throw new ArgumentException($"Model kind '{kind}' must be 1 to 64 ASCII characters.", nameof(kind));
        }
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writePayload(writer);
        }
        using var file = new MemoryStream(checked((int)payload.Length + 64));
        file.Write(Magic);
        Span<byte> scratch = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(scratch, ContainerVersion);
        file.Write(scratch[..2]);
        BinaryPrimitives.WriteUInt16LittleEndian(scratch, payloadVersion);
        file.Write(scratch[..2]);
        file.WriteByte((byte)kind.Length);
        file.Write(Encoding.ASCII.GetBytes(kind));
        BinaryPrimitives.WriteInt64LittleEndian(scratch, payload.Length);
        file.Write(scratch);
        payload.Position = 0;
        payload.CopyTo(file);
        uint crc = Crc32C.Compute(file.GetBuffer().AsSpan(0, (int)file.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(scratch, crc);
        file.Write(scratch[..4]);
        file.Position = 0;
        file.CopyTo(stream);
    }

    /// <summary>Reads a model written by <see cref="IRecommender.Save"/> and returns it fitted.</summary>
    /// <param name="stream">A stream positioned at the start of a model file.</param>
    /// <exception cref="InvalidDataException">The file is not a Cascade model, is of an unknown version or kind, or is corrupt.</exception>
    public static IRecommender Load(Stream stream) => ReadPayload<IRecommender>(stream, static (kind, version, reader) => kind switch
    {
        MostPopular.KindName => MostPopular.ReadFrom(reader, version),
        ItemKnn.KindName => ItemKnn.ReadFrom(reader, version),
        Sar.KindName => Sar.ReadFrom(reader, version),
        Rp3Beta.KindName => Rp3Beta.ReadFrom(reader, version),
        Ease.KindName => Ease.ReadFrom(reader, version),
        BiasedMatrixFactorisation.KindName => BiasedMatrixFactorisation.ReadFrom(reader, version),
        ImplicitAls.KindName => ImplicitAls.ReadFrom(reader, version),
        Bpr.KindName => Bpr.ReadFrom(reader, version),
        TwoTower.KindName => TwoTower.ReadFrom(reader, version),
        _ => throw new InvalidDataException($"Unknown model kind '{kind}'; this build reads {MostPopular.KindName}, {ItemKnn.KindName}, {Sar.KindName}, {Rp3Beta.KindName}, {Ease.KindName}, {BiasedMatrixFactorisation.KindName}, {ImplicitAls.KindName}, {Bpr.KindName}, {TwoTower.KindName}."),
    });

    /// <summary>Loads a model from a file path.</summary>
    /// <param name="path">Path of a model file.</param>
    public static IRecommender Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Saves <paramref name="model"/> to <paramref name="path"/>, replacing the file atomically.</summary>
    /// <param name="model">A fitted model.</param>
    /// <param name="path">Destination path.</param>
    public static void Save(IRecommender model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            model.Save(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Reads a model file of one kind: verifies the container, refuses another kind, runs <paramref name="read"/> on the
    /// payload and refuses a payload that ends early, is inconsistent or has unread trailing bytes.
    /// </summary>
    /// <typeparam name="T">The model type.</typeparam>
    /// <param name="stream">A stream positioned at the start of a model file.</param>
    /// <param name="kind">The kind the file must hold.</param>
    /// <param name="read">Reads the payload of that kind, given the payload version.</param>
    /// <exception cref="InvalidDataException">Not an intact model file of <paramref name="kind"/>.</exception>
    public static T ReadPayload<T>(Stream stream, string kind, Func<BinaryReader, ushort, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return ReadPayload(stream, (fileKind, version, reader) => fileKind == kind ? read(reader, version)
            : throw new InvalidDataException($"The model file holds a '{fileKind}' model, not '{kind}'."));
    }

    /// <summary>
    /// Reads a model file of any kind: verifies the container, runs <paramref name="read"/> on the payload with the
    /// file's kind and payload version (a reader that dispatches on the kind throws <see cref="InvalidDataException"/>
    /// for a kind it does not know), and refuses a payload that ends early, is inconsistent (the reader throws
    /// <see cref="ArgumentException"/>) or has unread trailing bytes. Every model and ranker reader goes through here.
    /// </summary>
    /// <typeparam name="T">The model type.</typeparam>
    /// <param name="stream">A stream positioned at the start of a model file.</param>
    /// <param name="read">Reads the payload, given the kind and the payload version.</param>
    /// <exception cref="InvalidDataException">Not an intact model file, or of a kind <paramref name="read"/> refuses.</exception>
    public static T ReadPayload<T>(Stream stream, Func<string, ushort, BinaryReader, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var (kind, version, payload) = ReadContainer(stream);
        using var reader = new BinaryReader(new MemoryStream(payload, writable: false), Encoding.UTF8);
        try
        {
            var model = read(kind, version, reader);
            return reader.BaseStream.Position == payload.Length ? model
                : throw new InvalidDataException($"The '{kind}' payload has {payload.Length - reader.BaseStream.Position} unread trailing bytes.");
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"The '{kind}' payload ends early.", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The '{kind}' payload is inconsistent: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads and verifies the container (magic, versions, lengths, checksum) and returns the kind, the payload version
    /// and the payload bytes, for tools and tests that inspect or rewrite a payload; readers of models use
    /// <see cref="ReadPayload{T}(Stream, Func{string, ushort, BinaryReader, T})"/>, which also refuses trailing bytes.
    /// </summary>
    /// <param name="stream">A stream positioned at the start of a model file.</param>
    /// <exception cref="InvalidDataException">The container is not a Cascade model file or is corrupt.</exception>
    public static (string Kind, ushort Version, byte[] Payload) ReadContainer(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }
        ReadOnlySpan<byte> data = bytes;
        if (data.Length < 8 + 2 + 2 + 1 + 8 + 4 || !data[..8].SequenceEqual(Magic))
        {
            throw new InvalidDataException("Not a Cascade model file: the magic number \"CASCMODL\" is missing.");
        }
        ushort container = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        if (container != ContainerVersion)
        {
            throw new InvalidDataException($"Model container version {container} is not supported; this build reads version {ContainerVersion}.");
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(data[10..]);
        int kindLength = data[12];
        if (kindLength is 0 or > 64 || data.Length < 13 + kindLength + 8 + 4)
        {
            throw new InvalidDataException($"Model header is corrupt: kind name length {kindLength}.");
        }
        string kind = Encoding.ASCII.GetString(data.Slice(13, kindLength));
        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(data[(13 + kindLength)..]);
        int payloadStart = 13 + kindLength + 8;
        if (payloadLength < 0 || payloadLength != data.Length - payloadStart - 4)
        {
            throw new InvalidDataException($"Model file is truncated or padded: header says {payloadLength} payload bytes, the file holds {data.Length - payloadStart - 4}.");
        }
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data[^4..]);
        uint actual = Crc32C.Compute(data[..^4]);
        if (stored != actual)
        {
            throw new InvalidDataException($"Model file checksum mismatch (stored 0x{stored:X8}, computed 0x{actual:X8}): the file is corrupt.");
        }
        return (kind, version, data.Slice(payloadStart, (int)payloadLength).ToArray());
    }
}
