namespace Cascade.Models.Serialization;

/// <summary>Length-prefixed array helpers for model payloads; reads check lengths against the bytes left.</summary>
public static class BinaryExtensions
{
    /// <summary>Writes an int32 length then the elements.</summary>
    public static void WriteArray(this BinaryWriter writer, ReadOnlySpan<int> values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    /// <summary>Writes an int32 length then the elements.</summary>
    public static void WriteArray(this BinaryWriter writer, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    /// <summary>Writes an int32 length then the elements.</summary>
    public static void WriteArray(this BinaryWriter writer, ReadOnlySpan<double> values)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }

    /// <summary>Reads an array written by <see cref="WriteArray(BinaryWriter, ReadOnlySpan{int})"/>.</summary>
    public static int[] ReadInt32Array(this BinaryReader reader) => ReadArray<int>(reader);

    /// <summary>Reads an array written by <see cref="WriteArray(BinaryWriter, ReadOnlySpan{float})"/>.</summary>
    public static float[] ReadSingleArray(this BinaryReader reader) => ReadArray<float>(reader);

    /// <summary>Reads an array written by <see cref="WriteArray(BinaryWriter, ReadOnlySpan{double})"/>.</summary>
    public static double[] ReadDoubleArray(this BinaryReader reader) => ReadArray<double>(reader);

    private static T[] ReadArray<T>(BinaryReader reader) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(reader);
        int length = reader.ReadInt32();
        long left = reader.BaseStream.Length - reader.BaseStream.Position;
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (length < 0 || (long)length * size > left)
        {
            throw new InvalidDataException($"Array length {length} is negative or exceeds the {left} bytes left in the payload.");
        }
        var result = new T[length];
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }
}
