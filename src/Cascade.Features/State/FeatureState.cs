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

    // At the store's bound, the share of all pairs dropped at once: small, so memory stays near the bound (a sawtooth
    // of a sixteenth of it, not of a quarter), and large enough that the pass is rare.
    private const int EvictionDivisor = 16;

    // The pair of (user, item), made room for first: at the store's bound about the sixteenth of all pairs touched
    // longest ago are dropped (a cutoff time estimated from a strided sample of every user's pairs, so the cost is one
    // pass over the pairs every MaxPairs / 16 new ones, and the state depends only on the events applied).
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
        long cutoff = sample[sample.Count / EvictionDivisor];
        long target = _pairs - _set.Options.MaxPairs / EvictionDivisor;
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
