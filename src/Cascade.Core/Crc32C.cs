using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Cascade.Core;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of every Cascade file format. Uses the SSE4.2 / ARMv8 CRC instructions
/// when the processor has them and a slicing table otherwise; both give identical results.
/// </summary>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78u; // reflected Castagnoli polynomial
    private static readonly uint[] Table = BuildTable();

    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a CRC-32C computed over earlier bytes with <paramref name="data"/>.</summary>
    /// <param name="crc">The CRC of the bytes before <paramref name="data"/> (0 for none).</param>
    /// <param name="data">The next bytes.</param>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        if (Sse42.X64.IsSupported)
        {
            ulong c64 = c;
            while (data.Length >= 8)
            {
                c64 = Sse42.X64.Crc32(c64, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            c = (uint)c64;
            foreach (byte b in data)
            {
                c = Sse42.Crc32(c, b);
            }
            return ~c;
        }
        if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                c = Crc32.Arm64.ComputeCrc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            foreach (byte b in data)
            {
                c = Crc32.ComputeCrc32C(c, b);
            }
            return ~c;
        }
        return ~Software(c, data);
    }

    /// <summary>The portable implementation, exposed so tests can check the hardware path against it.</summary>
    public static uint ComputeSoftware(ReadOnlySpan<byte> data) => ~Software(~0u, data);

    private static uint Software(uint c, ReadOnlySpan<byte> data)
    {
        ref uint table = ref MemoryMarshal.GetArrayDataReference(Table);
        foreach (byte b in data)
        {
            c = Unsafe(ref table, (c ^ b) & 0xFF) ^ (c >> 8);
        }
        return c;
    }

    private static uint Unsafe(ref uint table, uint index) => System.Runtime.CompilerServices.Unsafe.Add(ref table, (nint)index);

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
