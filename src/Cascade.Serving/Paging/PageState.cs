using Cascade.Pipeline;

namespace Cascade.Serving.Paging;

/// <summary>
/// Where a user is in a paged feed: the session seed (so randomised stages replay across pages), how many pages
/// were served and a compact set of the items served so far, kept as <see cref="HashBits"/>-bit hashes of their
/// external ids salted with the seed. Hashes of ids rather than dense indices keep the cursor valid across model
/// bundle swaps; a hash collision can only make an unserved item look served (skipped), never repeat a served one.
/// Immutable.
/// </summary>
public sealed class PageState
{
    private readonly uint[] _served;

    internal PageState(ulong seed, int page, int hashBits, uint[] servedSortedUnique)
    {
        Seed = seed;
        Page = page;
        HashBits = hashBits;
        _served = servedSortedUnique;
    }

    /// <summary>The session seed, carried from the first page to every next one.</summary>
    public ulong Seed { get; }

    /// <summary>Pages served so far (0 before the first page).</summary>
    public int Page { get; }

    /// <summary>Bits kept of each item hash.</summary>
    public int HashBits { get; }

    /// <summary>Number of distinct item hashes served so far.</summary>
    public int ServedCount => _served.Length;

    internal ReadOnlySpan<uint> Served => _served;

    /// <summary>The state of a new feed, before its first page.</summary>
    /// <param name="seed">Session seed (typically the first request's seed).</param>
    /// <param name="hashBits">Bits kept of each item hash (16 to 32); use the codec's <see cref="PageCursorOptions.HashBits"/>.</param>
    public static PageState Start(ulong seed, int hashBits = PageCursorOptions.DefaultHashBits)
    {
        if (hashBits is < PageCursorCodec.MinHashBits or > PageCursorCodec.MaxHashBits)
        {
            throw new ArgumentOutOfRangeException(nameof(hashBits), hashBits, $"Hash bits must be {PageCursorCodec.MinHashBits} to {PageCursorCodec.MaxHashBits}.");
        }
        return new PageState(seed, 0, hashBits, []);
    }

    /// <summary>Whether <paramref name="itemId"/> was served on an earlier page (or collides with one that was).</summary>
    /// <param name="itemId">External item id.</param>
    public bool WasServed(string itemId) => _served.AsSpan().BinarySearch(Key(itemId)) >= 0;

    /// <summary>Removes candidates served on earlier pages; run it before re-ranking so every stage sees only new items.</summary>
    /// <param name="candidates">Candidates.</param>
    /// <param name="items">The item table their indices refer to.</param>
    /// <returns>How many were removed.</returns>
    public int RemoveServed(List<Candidate> candidates, ItemTable items)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(items);
        if (_served.Length == 0)
        {
            return 0;
        }
        return candidates.RemoveAll(c => WasServed(items.Ids[c.Item]));
    }

    /// <summary>The state after serving one more page of <paramref name="servedItemIds"/>.</summary>
    /// <param name="servedItemIds">External ids of the items on the page just served.</param>
    public PageState Next(IEnumerable<string> servedItemIds)
    {
        ArgumentNullException.ThrowIfNull(servedItemIds);
        var keys = new List<uint>(_served.Length + 32);
        keys.AddRange(_served);
        foreach (string id in servedItemIds)
        {
            keys.Add(Key(id));
        }
        keys.Sort();
        int unique = 0;
        for (int i = 0; i < keys.Count; i++)
        {
            if (i == 0 || keys[i] != keys[i - 1])
            {
                keys[unique++] = keys[i];
            }
        }
        keys.RemoveRange(unique, keys.Count - unique);
        return new PageState(Seed, Page + 1, HashBits, [.. keys]);
    }

    /// <summary>The state after serving <paramref name="page"/> (the first items of the final list).</summary>
    /// <param name="page">The candidates served.</param>
    /// <param name="items">The item table their indices refer to.</param>
    public PageState Next(IEnumerable<Candidate> page, ItemTable items)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(items);
        return Next(page.Select(c => items.Ids[c.Item]));
    }

    /// <summary>The <see cref="HashBits"/>-bit key of an item id: FNV-1a over its UTF-16 code units, salted with the seed and mixed.</summary>
    internal uint Key(string itemId)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        ulong h = 0xCBF29CE484222325UL;
        foreach (char ch in itemId)
        {
            h = (h ^ ch) * 0x100000001B3UL;
        }
        h ^= Seed;
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        h ^= h >> 31;
        return (uint)(h >> (64 - HashBits));
    }
}
