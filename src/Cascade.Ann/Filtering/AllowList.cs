using System.Numerics;

namespace Cascade.Ann;

/// <summary>
/// A bitmap of the item ids a search may return. Because it knows how many ids it holds, a search over a very
/// selective allow-list scans the allowed items exactly instead of walking a graph that is mostly filtered out.
/// Not thread-safe while being changed; safe to share between concurrent searches once filled.
/// </summary>
public sealed class AllowList : IItemFilter
{
    private readonly ulong[] _words;

    /// <summary>Creates an empty allow-list for ids 0 … <paramref name="capacity"/> − 1.</summary>
    public AllowList(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        _words = new ulong[(capacity + 63) >> 6];
    }

    /// <summary>The number of ids the list can hold; ids at or above it are never allowed.</summary>
    public int Capacity { get; }

    /// <summary>The number of ids allowed.</summary>
    public int Count { get; private set; }

    internal ulong[] Words => _words;

    /// <summary>Allows <paramref name="id"/>.</summary>
    public void Add(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, Capacity);
        ref ulong word = ref _words[id >> 6];
        ulong bit = 1UL << (id & 63);
        if ((word & bit) == 0)
        {
            word |= bit;
            Count++;
        }
    }

    /// <summary>Disallows <paramref name="id"/>.</summary>
    public void Remove(int id)
    {
        if ((uint)id >= (uint)Capacity)
        {
            return;
        }
        ref ulong word = ref _words[id >> 6];
        ulong bit = 1UL << (id & 63);
        if ((word & bit) != 0)
        {
            word &= ~bit;
            Count--;
        }
    }

    /// <inheritdoc />
    public bool Allows(int id) => (uint)id < (uint)Capacity && (_words[id >> 6] & (1UL << (id & 63))) != 0;

    /// <summary>Writes the allowed ids in ascending order into <paramref name="destination"/>, which must hold <see cref="Count"/>.</summary>
    /// <returns>The number of ids written.</returns>
    public int CopyTo(Span<int> destination)
    {
        int n = 0;
        for (int w = 0; w < _words.Length; w++)
        {
            ulong bits = _words[w];
            while (bits != 0)
            {
                destination[n++] = (w << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
            }
        }
        return n;
    }
}
