using System.Runtime.InteropServices;
using System.Text.Json;
using Cascade.Core.Domain;

namespace Cascade.Features.State;

/// <summary>
/// The feature state of one app: counters and last-seen times per user, item, user × category and user × item,
/// and the hashed catalog attributes. The online store and the training-set builder both keep one and feed it
/// the same way, so they cannot drift apart. Not thread-safe; <see cref="OnlineFeatureStore"/> guards it.
/// </summary>
internal sealed class FeatureState
{
    /// <summary>A time not known (no event, no creation date).</summary>
    public const long Unknown = long.MinValue;

    private readonly FeatureSet _set;
    private readonly Dictionary<string, ItemState> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UserState> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _categories = new(StringComparer.Ordinal);

    public FeatureState(FeatureSet set)
    {
        _set = set;
    }

    /// <summary>Number of items with state.</summary>
    public int ItemCount => _items.Count;

    /// <summary>Number of users with state.</summary>
    public int UserCount => _users.Count;

    private long _pairs;

    /// <summary>User × item pairs with state (at most <see cref="FeatureSetOptions.MaxPairs"/>).</summary>
    public long PairCount => _pairs;

    // The pair of (user, item), made room for first: at the store's bound about the quarter of all pairs touched
    // longest ago are dropped (a cutoff time estimated from a strided sample of every user's pairs, so the cost is one
    // pass over the pairs every MaxPairs / 4 new ones, and the state depends only on the events applied).
    private ref UserItemState Pair(UserState user, ItemState item, long timeMs, int maxPerUser)
    {
        if (_pairs >= _set.Options.MaxPairs && !user.HasPair(item.Index))
        {
            EvictOldestPairs();
        }
        int before = user.PairCount;
        ref var pair = ref user.Pair(item.Index, timeMs, maxPerUser);
        _pairs += user.PairCount - before;
        return ref pair;
    }

    private void EvictOldestPairs()
    {
        int stride = (int)Math.Max(1, _pairs / 65_536);
        var sample = new List<long>(65_537);
        long seen = 0;
        foreach (var user in _users.Values)
        {
            foreach (long touched in user.PairTimes())
            {
                if (seen++ % stride == 0)
                {
                    sample.Add(touched);
                }
            }
        }
        if (sample.Count == 0)
        {
            return;
        }
        sample.Sort();
        long cutoff = sample[sample.Count / 4];
        long target = _pairs - _set.Options.MaxPairs / 4;
        foreach (var user in _users.Values)
        {
            _pairs -= user.EvictTouchedBefore(cutoff, inclusive: false);
        }
        if (_pairs > target)
        {
            // Many pairs share the cutoff time (a burst in one millisecond): drop those too.
            foreach (var user in _users.Values)
            {
                _pairs -= user.EvictTouchedBefore(cutoff, inclusive: true);
            }
        }
    }

    /// <summary>Items with state, in no particular order.</summary>
    public IEnumerable<ItemState> Items => _items.Values;

    public bool TryGetItem(string id, out ItemState item) => _items.TryGetValue(id, out item!);

    public bool TryGetUser(string id, out UserState user) => _users.TryGetValue(id, out user!);

    /// <summary>Applies one event of role <paramref name="role"/>.</summary>
    public void ApplyEvent(string userId, string itemId, EventRole role, long timeMs)
    {
        var user = GetOrAddUser(userId);
        var item = GetOrAddItem(itemId);
        if (timeMs < item.FirstEventMs)
        {
            item.FirstEventMs = timeMs;
        }
        double[] rates = _set.Rates;
        bool cross = _set.Options.IncludeCross;
        int maxPairs = _set.Options.MaxItemsPerUser;
        switch (role)
        {
            case EventRole.Impression:
                DecayedCounters.Add(user.Counters, ref user.CountersReference, 0, timeMs, rates);
                DecayedCounters.Add(item.Counters, ref item.CountersReference, 0, timeMs, rates);
                item.Impressions++;
                if (cross)
                {
                    Pair(user, item, timeMs, maxPairs).Impressions++;
                }
                break;
            case EventRole.Positive:
                DecayedCounters.Add(user.Counters, ref user.CountersReference, 1, timeMs, rates);
                DecayedCounters.Add(item.Counters, ref item.CountersReference, 1, timeMs, rates);
                item.Positives++;
                user.Positives++;
                user.LastEventMs = Math.Max(user.LastEventMs, timeMs);
                if (cross)
                {
                    ref var pair = ref Pair(user, item, timeMs, maxPairs);
                    pair.Positives++;
                    pair.LastMs = Math.Max(pair.LastMs, timeMs);
                    foreach (int c in item.Categories)
                    {
                        int slot = user.CategorySlot(c, rates.Length);
                        DecayedCounters.Add(user.CategoryPositives(slot, rates.Length), ref user.CategoryReferences[slot], 0, timeMs, rates);
                        user.CategoryLastMs[slot] = Math.Max(user.CategoryLastMs[slot], timeMs);
                    }
                }
                break;
            case EventRole.Negative:
                user.LastEventMs = Math.Max(user.LastEventMs, timeMs);
                if (cross)
                {
                    ref var pair = ref Pair(user, item, timeMs, maxPairs);
                    pair.LastMs = Math.Max(pair.LastMs, timeMs);
                    foreach (int c in item.Categories)
                    {
                        int slot = user.CategorySlot(c, rates.Length);
                        user.CategoryLastMs[slot] = Math.Max(user.CategoryLastMs[slot], timeMs);
                    }
                }
                break;
            default:
                break;
        }
    }

    /// <summary>Applies an item upsert: categories, tags and creation time replace the previous ones.</summary>
    public void ApplyItem(Item item)
    {
        var o = _set.Options;
        var state = GetOrAddItem(item.Id);
        state.InCatalog = true;
        var categories = new List<int>(item.Categories.Count);
        foreach (string c in item.Categories)
        {
            if (string.IsNullOrEmpty(c))
            {
                continue;
            }
            if (!_categories.TryGetValue(c, out int index))
            {
                index = _categories.Count;
                _categories.Add(c, index);
            }
            if (!categories.Contains(index))
            {
                categories.Add(index);
            }
        }
        state.Categories = [.. categories];
        string? leaf = LastNonEmpty(item.Categories);
        string? top = FirstNonEmpty(item.Categories);
        state.LeafCategoryHash = leaf is null ? 0 : FeatureHashing.Hash(FeatureSet.CategoryHashField, leaf);
        state.HasLeafCategory = leaf is not null;
        state.CategoryCode = leaf is null ? 0 : FeatureHashing.Code(state.LeafCategoryHash, o.CategoryBuckets);
        state.CategoryTopCode = FeatureHashing.Code(FeatureSet.CategoryHashField, top, o.CategoryBuckets);
        var tags = new int[o.TagSlots];
        for (int t = 0; t < tags.Length && t < item.Tags.Count; t++)
        {
            tags[t] = FeatureHashing.Code(FeatureSet.TagHashField, item.Tags[t], o.TagBuckets);
        }
        state.TagCodes = tags;
        state.CreatedAtMs = item.CreatedAt == default ? Unknown : item.CreatedAt.ToUnixTimeMilliseconds();
    }

    /// <summary>Applies a user upsert: the configured attributes replace the previous ones.</summary>
    public void ApplyUser(User user)
    {
        var state = GetOrAddUser(user.Id);
        state.InCatalog = true;
        var keys = _set.Options.UserAttributes;
        var codes = new int[keys.Count];
        if (keys.Count > 0 && !string.IsNullOrWhiteSpace(user.AttributesJson))
        {
            try
            {
                using var doc = JsonDocument.Parse(user.AttributesJson);
                if (doc.RootElement.ValueKind == JsonValueKind.Object)
                {
                    for (int k = 0; k < keys.Count; k++)
                    {
                        if (doc.RootElement.TryGetProperty(keys[k], out var v))
                        {
                            string? text = v.ValueKind switch
                            {
                                JsonValueKind.String => v.GetString(),
                                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
                                _ => null,
                            };
                            codes[k] = FeatureHashing.Code(FeatureSet.UserAttributeHashField(keys[k]), text, _set.Options.UserAttributeBuckets);
                        }
                    }
                }
            }
            catch (JsonException)
            {
                // Attributes were validated at ingestion; an unreadable document leaves every attribute missing.
            }
        }
        state.AttributeCodes = codes;
    }

    /// <summary>Writes the whole state (checkpoint layout in docs/formats/features.md).</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(_categories.Count);
        foreach (var (name, index) in _categories)
        {
            w.Write(name);
            w.Write(index);
        }
        w.Write(_items.Count);
        foreach (var item in _items.Values.OrderBy(i => i.Index))
        {
            item.Write(w);
        }
        w.Write(_users.Count);
        foreach (var user in _users.Values)
        {
            user.Write(w);
        }
    }

    /// <summary>Reads a state written by <see cref="Write"/> for the same feature definitions.</summary>
    /// <exception cref="InvalidDataException">The data is inconsistent.</exception>
    public static FeatureState Read(BinaryReader r, FeatureSet set)
    {
        var state = new FeatureState(set);
        int windows = set.Rates.Length, tagSlots = set.Options.TagSlots, attributes = set.Options.UserAttributes.Count;
        int categories = Count(r);
        for (int c = 0; c < categories; c++)
        {
            string name = r.ReadString();
            state._categories.Add(name, r.ReadInt32());
        }
        int items = Count(r);
        for (int i = 0; i < items; i++)
        {
            var item = ItemState.Read(r, tagSlots, windows);
            if (item.Index != i || item.IdCode != FeatureHashing.Code(FeatureSet.ItemHashField, item.Id, set.Options.ItemIdBuckets))
            {
                throw new InvalidDataException($"Item '{item.Id}' has index {item.Index} or id code {item.IdCode} that these feature definitions do not give it.");
            }
            state._items.Add(item.Id, item);
        }
        int users = Count(r);
        for (int u = 0; u < users; u++)
        {
            var user = UserState.Read(r, attributes, windows);
            state._users.Add(user.Id, user);
            state._pairs += user.PairCount;
        }
        return state;
    }

    internal static int Count(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position)
        {
            throw new InvalidDataException($"Count {n} does not fit the data left.");
        }
        return n;
    }

    internal static void WriteArray(BinaryWriter w, ReadOnlySpan<int> values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values));
    }

    internal static void WriteArray(BinaryWriter w, ReadOnlySpan<double> values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values));
    }

    internal static void WriteArray(BinaryWriter w, ReadOnlySpan<long> values)
    {
        w.Write(values.Length);
        w.Write(MemoryMarshal.AsBytes(values));
    }

    internal static T[] ReadArray<T>(BinaryReader r, int? expected = null) where T : unmanaged
    {
        int n = Count(r);
        if (expected is { } e && n != e)
        {
            throw new InvalidDataException($"An array of {n} values where these feature definitions make {e}.");
        }
        var values = new T[n];
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private ItemState GetOrAddItem(string id)
    {
        if (!_items.TryGetValue(id, out var item))
        {
            item = new ItemState(id, _items.Count, FeatureHashing.Code(FeatureSet.ItemHashField, id, _set.Options.ItemIdBuckets), _set.Options.TagSlots, _set.Rates.Length);
            _items.Add(id, item);
        }
        return item;
    }

    private UserState GetOrAddUser(string id)
    {
        if (!_users.TryGetValue(id, out var user))
        {
            user = new UserState(id, _set.Options.UserAttributes.Count, _set.Rates.Length);
            _users.Add(id, user);
        }
        return user;
    }

    private static string? LastNonEmpty(IReadOnlyList<string> values)
    {
        for (int i = values.Count - 1; i >= 0; i--)
        {
            if (!string.IsNullOrEmpty(values[i]))
            {
                return values[i];
            }
        }
        return null;
    }

    private static string? FirstNonEmpty(IReadOnlyList<string> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (!string.IsNullOrEmpty(values[i]))
            {
                return values[i];
            }
        }
        return null;
    }
}

/// <summary>Per-item state: hashed attributes and counters (slot 0 impressions, slot 1 positives).</summary>
internal sealed class ItemState(string id, int index, int idCode, int tagSlots, int windows)
{
    public string Id { get; } = id;
    public int Index { get; } = index;
    public int IdCode { get; } = idCode;
    public bool InCatalog;
    public int[] Categories = [];
    public ulong LeafCategoryHash;
    public bool HasLeafCategory;
    public int CategoryCode;
    public int CategoryTopCode;
    public int[] TagCodes = new int[tagSlots];
    public long CreatedAtMs = FeatureState.Unknown;
    public long FirstEventMs = long.MaxValue;
    public readonly double[] Counters = new double[2 * windows];
    public long CountersReference = DecayedCounters.Empty;
    public long Impressions;
    public long Positives;

    public void Write(BinaryWriter w)
    {
        w.Write(Id);
        w.Write(Index);
        w.Write(IdCode);
        w.Write(InCatalog);
        FeatureState.WriteArray(w, Categories);
        w.Write(LeafCategoryHash);
        w.Write(HasLeafCategory);
        w.Write(CategoryCode);
        w.Write(CategoryTopCode);
        FeatureState.WriteArray(w, TagCodes);
        w.Write(CreatedAtMs);
        w.Write(FirstEventMs);
        FeatureState.WriteArray(w, Counters);
        w.Write(CountersReference);
        w.Write(Impressions);
        w.Write(Positives);
    }

    public static ItemState Read(BinaryReader r, int tagSlots, int windows)
    {
        var item = new ItemState(r.ReadString(), r.ReadInt32(), r.ReadInt32(), tagSlots, windows)
        {
            InCatalog = r.ReadBoolean(),
            Categories = FeatureState.ReadArray<int>(r),
            LeafCategoryHash = r.ReadUInt64(),
            HasLeafCategory = r.ReadBoolean(),
            CategoryCode = r.ReadInt32(),
            CategoryTopCode = r.ReadInt32(),
            TagCodes = FeatureState.ReadArray<int>(r, tagSlots),
            CreatedAtMs = r.ReadInt64(),
            FirstEventMs = r.ReadInt64(),
        };
        FeatureState.ReadArray<double>(r, 2 * windows).CopyTo(item.Counters, 0);
        item.CountersReference = r.ReadInt64();
        item.Impressions = r.ReadInt64();
        item.Positives = r.ReadInt64();
        return item;
    }
}

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
