using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Cascade.Experiments;

/// <summary>
/// The assignment hash: a unit (user or session id) falls in bucket
/// <c>BigEndianUInt64(SHA-256(UTF-8(salt + ":" + unitId))[0..8]) mod 10000</c>. The same salt and unit give the same
/// bucket on every node and every version (sticky, stateless); different salts give independent buckets. Arms own
/// contiguous bucket ranges in proportion to their shares. Test vectors are in docs/experiments.md.
/// </summary>
public static class Assignment
{
    /// <summary>The number of buckets: shares have a resolution of 0.01 %.</summary>
    public const int BucketCount = 10_000;

    /// <summary>The first 8 bytes of SHA-256 over UTF-8 of <c>salt + ":" + unitId</c>, read big-endian.</summary>
    /// <param name="salt">The experiment's, layer's or holdout's salt.</param>
    /// <param name="unitId">The unit's id.</param>
    public static ulong Hash(ReadOnlySpan<char> salt, ReadOnlySpan<char> unitId)
    {
        int max = Encoding.UTF8.GetMaxByteCount(salt.Length + 1 + unitId.Length);
        byte[]? rented = max > 512 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[512];
        try
        {
            int length = Encoding.UTF8.GetBytes(salt, buffer);
            buffer[length++] = (byte)':';
            length += Encoding.UTF8.GetBytes(unitId, buffer[length..]);
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..length], digest);
            return BinaryPrimitives.ReadUInt64BigEndian(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The unit's bucket under <paramref name="salt"/>, in [0, <see cref="BucketCount"/>).</summary>
    /// <param name="salt">The salt.</param>
    /// <param name="unitId">The unit's id.</param>
    public static int Bucket(ReadOnlySpan<char> salt, ReadOnlySpan<char> unitId) => (int)(Hash(salt, unitId) % BucketCount);

    /// <summary>
    /// The end (exclusive) of each arm's bucket range: arm i owns [end(i−1), end(i)) with end(i) = round(10000 · Σ_{j≤i} share_j)
    /// and the last end 10000.
    /// </summary>
    /// <param name="shares">The arms' traffic shares: each above 0, summing to 1 (± 1e-6).</param>
    public static int[] ArmEnds(IReadOnlyList<double> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0)
        {
            throw new ArgumentException("An experiment needs at least one arm.", nameof(shares));
        }
        double total = 0;
        var ends = new int[shares.Count];
        for (int i = 0; i < shares.Count; i++)
        {
            if (!(shares[i] > 0))
            {
                throw new ArgumentOutOfRangeException(nameof(shares), shares[i], $"Arm {i}'s share must be above 0.");
            }
            total += shares[i];
            ends[i] = (int)Math.Round(total * BucketCount, MidpointRounding.AwayFromZero);
        }
        if (Math.Abs(total - 1) > 1e-6)
        {
            throw new ArgumentException($"The arms' shares must sum to 1; they sum to {total}.", nameof(shares));
        }
        ends[^1] = BucketCount;
        return ends;
    }

    /// <summary>The arm whose range holds <paramref name="bucket"/>.</summary>
    /// <param name="bucket">A bucket in [0, 10000).</param>
    /// <param name="armEnds">The ranges' ends, from <see cref="ArmEnds"/>.</param>
    public static int ArmOf(int bucket, ReadOnlySpan<int> armEnds)
    {
        for (int i = 0; i < armEnds.Length; i++)
        {
            if (bucket < armEnds[i])
            {
                return i;
            }
        }
        return armEnds.Length - 1;
    }
}
