using System.Buffers.Binary;
using Cascade.Core;
using Cascade.Storage.Log;

namespace Cascade.Storage.Projections;

/// <summary>
/// How a projection writes and reads its checkpoint: a header naming the log position the state holds (a
/// <see cref="LogMark"/>, with its own CRC, so the engine can check every checkpoint in a data folder against the log
/// without knowing the projection), the body a projection writes, then a CRC-32C of every byte before it; written to
/// a temporary file, flushed to disk and renamed over the old one, so a reader sees a whole file or the previous one.
/// Layouts in docs/formats/log-identity.md (header) and docs/formats/ (bodies).
/// </summary>
public static class CheckpointFile
{
    /// <summary>The file name extension of checkpoints in a data folder.</summary>
    public const string Extension = ".ckpt";

    private const uint Magic = 0x54504B43; // "CKPT" little-endian
    private const ushort Version = 1;
    private const int HeaderSize = 26;

    /// <summary>Writes <paramref name="path"/> atomically: the header holding <paramref name="mark"/>, then the body <paramref name="write"/> produces.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="mark">The log position of the state written (its last applied record).</param>
    /// <param name="write">Writes the body.</param>
    public static void Write(string path, LogMark mark, Action<BinaryWriter> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var crc = new CrcStream(file);
            Span<byte> header = stackalloc byte[HeaderSize];
            WriteHeader(header, mark);
            crc.Write(header);
            using (var writer = new BinaryWriter(crc, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                write(writer);
            }
            Span<byte> tail = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(tail, crc.Crc);
            file.Write(tail);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Reads <paramref name="path"/> after checking its CRCs; <paramref name="read"/> gets the mark of the header and
    /// must consume the whole body.
    /// </summary>
    /// <exception cref="InvalidDataException">A checksum fails, the header is not a checkpoint header, or bytes are left after the body.</exception>
    public static T Read<T>(string path, Func<BinaryReader, LogMark, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < HeaderSize + 4 || Crc32C.Compute(data.AsSpan(0, data.Length - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(data.Length - 4)))
        {
            throw new InvalidDataException($"'{path}' fails its checksum.");
        }
        var mark = ReadHeader(data) ?? throw new InvalidDataException($"'{path}' does not start with a checkpoint header of version {Version}.");
        using var reader = new BinaryReader(new MemoryStream(data, HeaderSize, data.Length - 4 - HeaderSize, writable: false));
        var value = read(reader, mark);
        if (reader.BaseStream.Position != reader.BaseStream.Length)
        {
            throw new InvalidDataException($"'{path}' has {reader.BaseStream.Length - reader.BaseStream.Position} bytes after its body.");
        }
        return value;
    }

    /// <summary>
    /// The mark in the header of the checkpoint at <paramref name="path"/> (read without the body), or null when the
    /// file is absent or its header is not an intact checkpoint header (the projection then ignores the file anyway).
    /// </summary>
    /// <param name="path">A checkpoint file.</param>
    public static LogMark? ReadMark(string path)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return RandomAccess.Read(handle, header, 0) == HeaderSize ? ReadHeader(header) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void WriteHeader(Span<byte> header, LogMark mark)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[6..], mark.Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[14..], mark.LogId);
        BinaryPrimitives.WriteUInt32LittleEndian(header[18..], mark.Checksum);
        BinaryPrimitives.WriteUInt32LittleEndian(header[22..], Crc32C.Compute(header[..22]));
    }

    private static LogMark? ReadHeader(ReadOnlySpan<byte> header)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic || BinaryPrimitives.ReadUInt16LittleEndian(header[4..]) != Version
            || BinaryPrimitives.ReadUInt32LittleEndian(header[22..]) != Crc32C.Compute(header[..22]))
        {
            return null;
        }
        long sequence = BinaryPrimitives.ReadInt64LittleEndian(header[6..]);
        return sequence < 0 ? null : new LogMark(sequence, BinaryPrimitives.ReadUInt32LittleEndian(header[14..]), BinaryPrimitives.ReadUInt32LittleEndian(header[18..]));
    }

    /// <summary>A write-through stream that keeps the CRC-32C of what passed.</summary>
    private sealed class CrcStream(Stream inner) : Stream
    {
        public uint Crc { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Crc = Crc32C.Append(Crc, buffer);
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
