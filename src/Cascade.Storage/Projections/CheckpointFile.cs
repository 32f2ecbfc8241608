using System.Buffers.Binary;
using Cascade.Core;

namespace Cascade.Storage.Projections;

/// <summary>
/// How a projection writes and reads its checkpoint: the body a projection writes, then a CRC-32C of every byte
/// before it; written to a temporary file, flushed to disk and renamed over the old one, so a reader sees a whole
/// file or the previous one. Layouts of the bodies are in docs/formats/.
/// </summary>
public static class CheckpointFile
{
    /// <summary>Writes <paramref name="path"/> atomically with the body <paramref name="write"/> produces.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="write">Writes the body.</param>
    public static void Write(string path, Action<BinaryWriter> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var crc = new CrcStream(file);
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
    /// Reads <paramref name="path"/> after checking its CRC; <paramref name="read"/> must consume the whole body.
    /// </summary>
    /// <exception cref="InvalidDataException">The checksum fails or bytes are left after the body.</exception>
    public static T Read<T>(string path, Func<BinaryReader, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < 4 || Crc32C.Compute(data.AsSpan(0, data.Length - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(data.Length - 4)))
        {
            throw new InvalidDataException($"'{path}' fails its checksum.");
        }
        using var reader = new BinaryReader(new MemoryStream(data, 0, data.Length - 4, writable: false));
        var value = read(reader);
        if (reader.BaseStream.Position != reader.BaseStream.Length)
        {
            throw new InvalidDataException($"'{path}' has {reader.BaseStream.Length - reader.BaseStream.Position} bytes after its body.");
        }
        return value;
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
