namespace Cascade.Features.Tests;

public class FeatureHashingTests
{
    [Fact]
    public void Hashes_are_pinned_so_models_keep_meaning_across_runs_and_versions()
    {
        // Values computed once by this implementation; a change here silently breaks every saved model.
        Assert.Equal(PinnedItem, FeatureHashing.Hash("item_id", "item-42"));
        Assert.Equal(PinnedUser, FeatureHashing.Hash("user_id", "alice"));
        Assert.Equal(PinnedCode, FeatureHashing.Code("category", "Comedy", 4096));
    }

    [Fact]
    public void Codes_stay_in_range_and_never_use_zero()
    {
        for (int i = 0; i < 10_000; i++)
        {
            int code = FeatureHashing.Code("item_id", "i" + i, 7);
            Assert.InRange(code, 1, 6);
        }
        Assert.Equal(0, FeatureHashing.Code("item_id", null, 7));
        Assert.Equal(0, FeatureHashing.Code("item_id", "", 7));
    }

    [Fact]
    public void Equal_values_in_different_fields_and_shifted_boundaries_hash_apart()
    {
        Assert.NotEqual(FeatureHashing.Hash("user_id", "x"), FeatureHashing.Hash("item_id", "x"));
        Assert.NotEqual(FeatureHashing.Hash("ab", "c"), FeatureHashing.Hash("a", "bc"));
        Assert.NotEqual(FeatureHashing.Combine(1, 2), FeatureHashing.Combine(2, 1));
    }

    [Fact]
    public void Codes_spread_evenly_over_buckets()
    {
        var counts = new int[101];
        for (int i = 0; i < 100_000; i++)
        {
            counts[FeatureHashing.Code("item_id", "item" + i, 101)]++;
        }
        Assert.Equal(0, counts[0]);
        Assert.All(counts.Skip(1), c => Assert.InRange(c, 850, 1150));
    }

    // Cross-checked with an independent FNV-1a + SplitMix64 implementation in Python (docs/parts/features.md).
    private const ulong PinnedItem = 5052547250496680974;
    private const ulong PinnedUser = 16052434827849321808;
    private const int PinnedCode = 1148;
}
