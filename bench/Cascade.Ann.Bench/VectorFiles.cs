using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Cascade.Ann.Bench;

/// <summary>
/// Reads and writes the .fvecs / .ivecs layout of the classic ANN data sets (each row: int32 dimension, then the
/// values), so any exported embedding matrix in that layout can be benchmarked.
/// </summary>
internal static class VectorFiles
{
    public static float[] ReadFvecs(string path, out int dimension)
    {
        byte[] bytes = File.ReadAllBytes(path);
        dimension = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (dimension <= 0 || bytes.Length % (4 + 4 * dimension) != 0)
        {
            throw new InvalidDataException($"'{path}' is not an .fvecs file: dimension {dimension}, length {bytes.Length}.");
        }
        int rows = bytes.Length / (4 + 4 * dimension);
        var data = new float[(long)rows * dimension];
        ReadOnlySpan<float> all = MemoryMarshal.Cast<byte, float>(bytes);
        for (int r = 0; r < rows; r++)
        {
            int stored = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(r * (4 + 4 * dimension)));
            if (stored != dimension)
            {
                throw new InvalidDataException($"'{path}' row {r} has dimension {stored}, expected {dimension}.");
            }
            all.Slice(r * (dimension + 1) + 1, dimension).CopyTo(data.AsSpan(r * dimension, dimension));
        }
        return data;
    }

    public static void WriteFvecs(string path, ReadOnlySpan<float> data, int dimension)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> head = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(head, dimension);
        for (int r = 0; r < data.Length / dimension; r++)
        {
            stream.Write(head);
            stream.Write(MemoryMarshal.AsBytes(data.Slice(r * dimension, dimension)));
        }
    }

    public static int[] ReadIvecs(string path, out int width)
    {
        byte[] bytes = File.ReadAllBytes(path);
        width = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        int rows = bytes.Length / (4 + 4 * width);
        var data = new int[rows * width];
        ReadOnlySpan<int> all = MemoryMarshal.Cast<byte, int>(bytes);
        for (int r = 0; r < rows; r++)
        {
            all.Slice(r * (width + 1) + 1, width).CopyTo(data.AsSpan(r * width, width));
        }
        return data;
    }

    public static void WriteIvecs(string path, ReadOnlySpan<int> data, int width)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> head = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(head, width);
        for (int r = 0; r < data.Length / width; r++)
        {
            stream.Write(head);
            stream.Write(MemoryMarshal.AsBytes(data.Slice(r * width, width)));
        }
    }

    /// <summary>Resident set size of this process in bytes (Linux /proc), the measure used for every engine.</summary>
    public static long ResidentBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return -1;
    }
}
