using System.Runtime.InteropServices;

namespace Cascade.Ranking.Training;

/// <summary>Length-prefixed arrays of floats and doubles inside model payloads (little-endian, as BinaryWriter writes).</summary>
internal static class ArrayIo
{
    public static void Write(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        foreach (float v in values)
        {
            writer.Write(v);
        }
    }

    public static void Write(BinaryWriter writer, ReadOnlySpan<double> values)
    {
        writer.Write(values.Length);
        if (BitConverter.IsLittleEndian)
        {
            writer.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        foreach (double v in values)
        {
            writer.Write(v);
        }
    }

    /// <summary>Reads an array written by <see cref="Write(BinaryWriter, ReadOnlySpan{float})"/>; its length must be <paramref name="expected"/>.</summary>
    public static float[] ReadSingles(BinaryReader reader, int expected)
    {
        int length = ReadLength(reader, expected, sizeof(float));
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = reader.ReadSingle();
        }
        return values;
    }

    /// <summary>Reads an array written by <see cref="Write(BinaryWriter, ReadOnlySpan{double})"/>; its length must be <paramref name="expected"/>.</summary>
    public static double[] ReadDoubles(BinaryReader reader, int expected)
    {
        int length = ReadLength(reader, expected, sizeof(double));
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = reader.ReadDouble();
        }
        return values;
    }

    private static int ReadLength(BinaryReader reader, int expected, int elementSize)
    {
        int length = reader.ReadInt32();
        if (length != expected)
        {
            throw new InvalidDataException($"Array of {length} values where the model needs {expected}.");
        }
        long remaining = reader.BaseStream.Length - reader.BaseStream.Position;
        if ((long)length * elementSize > remaining)
        {
            throw new InvalidDataException($"Array of {length} values does not fit in the {remaining} bytes left.");
        }
        return length;
    }
}
