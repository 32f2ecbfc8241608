using System.Runtime.InteropServices;

namespace Cascade.Features.State;

/// <summary>Per-user state: hashed attributes, counters (slot 0 impressions, slot 1 positives) and cross state.</summary>
internal sealed class UserState(string id, int attributes, int windows)
{
    private Dictionary<int, int>? _categories;
    private Dictionary<int, UserItemState>? _pairs;

    public string Id { get; } = id;
    public bool InCatalog;
    public int[] AttributeCodes = new int[attributes];
    public readonly double[] Counters = new double[2 * windows];
    public long CountersReference = DecayedCounters.Empty;
    public long Positives;
    public long LastEventMs = FeatureState.Unknown;

    // A user's categories live in flat arrays indexed by a per-user slot: one dictionary lookup, then contiguous
    // values, instead of an object and an array per category.
    public double[] CategoryValues = [];
    public long[] CategoryReferences = [];
    public long[] CategoryLastMs = [];

    public int CategorySlot(int category, int windows)
    {
        _categories ??= [];
        ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_categories, category, out bool exists);
        if (!exists)
        {
            slot = _categories.Count - 1;
            if (slot == CategoryReferences.Length)
            {
                int capacity = Math.Max(4, 2 * slot);
                Array.Resize(ref CategoryValues, capacity * windows);
                Array.Resize(ref CategoryReferences, capacity);
                Array.Resize(ref CategoryLastMs, capacity);
            }
            CategoryReferences[slot] = DecayedCounters.Empty;
            CategoryLastMs[slot] = FeatureState.Unknown;
        }
        return slot;
    }

    public int FindCategorySlot(int category) =>
        _categories is not null && _categories.TryGetValue(category, out int slot) ? slot : -1;

    public Span<double> CategoryPositives(int slot, int windows) => CategoryValues.AsSpan(slot * windows, windows);

    /// <summary>Items with exact history of this user.</summary>
    public int PairCount => _pairs?.Count ?? 0;

    // Pairs are the most numerous state (one per user and item shown), so they are structs inside the dictionary.
    // At most maxPairs per user: reaching it drops the quarter touched longest ago (ties: lower item index first),
    // so the cost is a sort every maxPairs / 4 new items, and the state depends only on the events applied.
    public ref UserItemState Pair(int item, long timeMs, int maxPairs)
    {
        _pairs ??= [];
        if (_pairs.Count >= maxPairs && !_pairs.ContainsKey(item))
        {
            Evict(_pairs.Count - maxPairs * 3 / 4);
        }
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_pairs, item, out bool exists);
        if (!exists)
        {
            state.LastMs = FeatureState.Unknown;
            state.TouchedMs = timeMs;
        }
        else if (timeMs > state.TouchedMs)
        {
            state.TouchedMs = timeMs;
        }
        return ref state;
    }

    public bool HasPair(int item) => _pairs is not null && _pairs.ContainsKey(item);

    public IEnumerable<long> PairTimes()
    {
        if (_pairs is null)
        {
            yield break;
        }
        foreach (var pair in _pairs.Values)
        {
            yield return pair.TouchedMs;
        }
    }

    /// <summary>Drops the pairs touched before <paramref name="cutoffMs"/> (or at it, when inclusive); returns how many.</summary>
    public int EvictTouchedBefore(long cutoffMs, bool inclusive)
    {
        if (_pairs is null)
        {
            return 0;
        }
        int removed = 0;
        foreach (var (item, pair) in _pairs)
        {
            if (pair.TouchedMs < cutoffMs || (inclusive && pair.TouchedMs == cutoffMs))
            {
                _pairs.Remove(item);
                removed++;
            }
        }
        return removed;
    }

    private void Evict(int count)
    {
        var order = new (long TouchedMs, int Item)[_pairs!.Count];
        int n = 0;
        foreach (var (item, pair) in _pairs)
        {
            order[n++] = (pair.TouchedMs, item);
        }
        Array.Sort(order);
        for (int i = 0; i < count; i++)
        {
            _pairs.Remove(order[i].Item);
        }
    }

    public void Write(BinaryWriter w)
    {
        w.Write(Id);
        w.Write(InCatalog);
        FeatureState.WriteArray(w, AttributeCodes);
        FeatureState.WriteArray(w, Counters);
        w.Write(CountersReference);
        w.Write(Positives);
        w.Write(LastEventMs);
        int slots = _categories?.Count ?? 0;
        w.Write(slots);
        foreach (var (category, slot) in _categories ?? [])
        {
            w.Write(category);
            w.Write(slot);
        }
        FeatureState.WriteArray(w, CategoryValues);
        FeatureState.WriteArray(w, CategoryReferences);
        FeatureState.WriteArray(w, CategoryLastMs);
        w.Write(_pairs?.Count ?? 0);
        foreach (var (item, pair) in _pairs ?? [])
        {
            w.Write(item);
            w.Write(pair.Positives);
            w.Write(pair.Impressions);
            w.Write(pair.LastMs);
            w.Write(pair.TouchedMs);
        }
    }

    public static UserState Read(BinaryReader r, int attributes, int windows)
    {
        var user = new UserState(r.ReadString(), attributes, windows)
        {
            InCatalog = r.ReadBoolean(),
            AttributeCodes = FeatureState.ReadArray<int>(r, attributes),
        };
        FeatureState.ReadArray<double>(r, 2 * windows).CopyTo(user.Counters, 0);
        user.CountersReference = r.ReadInt64();
        user.Positives = r.ReadInt64();
        user.LastEventMs = r.ReadInt64();
        int slots = FeatureState.Count(r);
        if (slots > 0)
        {
            user._categories = new Dictionary<int, int>(slots);
            for (int i = 0; i < slots; i++)
            {
                user._categories.Add(r.ReadInt32(), r.ReadInt32());
            }
        }
        user.CategoryValues = FeatureState.ReadArray<double>(r);
        user.CategoryReferences = FeatureState.ReadArray<long>(r);
        user.CategoryLastMs = FeatureState.ReadArray<long>(r);
        if (user.CategoryValues.Length != user.CategoryReferences.Length * windows || user.CategoryLastMs.Length != user.CategoryReferences.Length
            || slots > user.CategoryReferences.Length || (user._categories?.Values.Any(s => (uint)s >= (uint)slots) ?? false))
        {
            throw new InvalidDataException($"User '{user.Id}' has category arrays that do not agree with its {slots} slots.");
        }
        int pairs = FeatureState.Count(r);
        if (pairs > 0)
        {
            user._pairs = new Dictionary<int, UserItemState>(pairs);
            for (int i = 0; i < pairs; i++)
            {
                int item = r.ReadInt32();
                user._pairs.Add(item, new UserItemState { Positives = r.ReadInt32(), Impressions = r.ReadInt32(), LastMs = r.ReadInt64(), TouchedMs = r.ReadInt64() });
            }
        }
        return user;
    }

    public bool TryGetPair(int item, out UserItemState pair)
    {
        if (_pairs is not null && _pairs.TryGetValue(item, out pair))
        {
            return true;
        }
        pair = default;
        return false;
    }
}

/// <summary>A user's exact history with one item (LastMs is <see cref="FeatureState.Unknown"/> until a positive or negative event).</summary>
internal struct UserItemState
{
    public int Positives;
    public int Impressions;
    public long LastMs;

    /// <summary>The newest event of any role on the pair (eviction order).</summary>
    public long TouchedMs;
}
