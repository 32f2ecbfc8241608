namespace Cascade.Features;

/// <summary>
/// The hashing trick for high-cardinality strings: a 64-bit hash that is the same in every process, on every
/// machine and in every version of .NET (FNV-1a over the UTF-16 code units, finished with the SplitMix64 mixer),
/// reduced to a code in [1, buckets) so that code 0 stays free for "missing". A model trained today scores
/// tomorrow's requests only because these codes never change; <c>FeatureHashingTests</c> pins known values.
/// </summary>
public static class FeatureHashing
{
    private const ulong FnvOffset = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;

    /// <summary>The hash of <paramref name="value"/> within <paramref name="field"/> (equal values in different fields hash apart).</summary>
    /// <param name="field">The field's name, used as a seed.</param>
    /// <param name="value">The value.</param>
    public static ulong Hash(string field, string value)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(value);
        ulong h = FnvOffset;
        foreach (char c in field)
        {
            h = (h ^ c) * FnvPrime;
        }
        h = (h ^ 0xFFFF) * FnvPrime; // a separator no UTF-16 text contains, so ("ab","c") and ("a","bc") differ
        foreach (char c in value)
        {
            h = (h ^ c) * FnvPrime;
        }
        return Mix(h);
    }

    /// <summary>The hash of the pair (<paramref name="a"/>, <paramref name="b"/>), for crossed features; order matters.</summary>
    /// <param name="a">First hash.</param>
    /// <param name="b">Second hash.</param>
    public static ulong Combine(ulong a, ulong b) => Mix(a ^ (b + 0x9E3779B97F4A7C15UL + (a << 6) + (a >> 2)));

    /// <summary>The code of <paramref name="hash"/> in a field of <paramref name="buckets"/> codes: in [1, buckets).</summary>
    /// <param name="hash">A hash from <see cref="Hash"/> or <see cref="Combine"/>.</param>
    /// <param name="buckets">The field's cardinality, at least 2.</param>
    public static int Code(ulong hash, int buckets) => 1 + (int)(hash % (ulong)(buckets - 1));

    /// <summary>The code of <paramref name="value"/> in <paramref name="field"/> with <paramref name="buckets"/> codes; 0 when the value is null or empty.</summary>
    /// <param name="field">The field's name.</param>
    /// <param name="value">The value, or null when missing.</param>
    /// <param name="buckets">The field's cardinality, at least 2.</param>
    public static int Code(string field, string? value, int buckets) =>
        string.IsNullOrEmpty(value) ? 0 : Code(Hash(field, value), buckets);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
