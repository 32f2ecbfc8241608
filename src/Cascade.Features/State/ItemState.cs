namespace Cascade.Features.State;

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
