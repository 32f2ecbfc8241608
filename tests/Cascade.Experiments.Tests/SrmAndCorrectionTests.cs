namespace Cascade.Experiments.Tests;

public sealed class SrmAndCorrectionTests
{
    [Fact]
    public void A_large_imbalance_is_flagged_as_a_sample_ratio_mismatch()
    {
        var r = SampleRatioMismatch.Check([51_000, 49_000], [0.5, 0.5]);
        Assert.Equal(Methods.SrmChiSquare, r.Method);
        Assert.Equal(40.0, r.ChiSquare, 9); // (1000² / 50000) · 2
        Assert.True(r.Mismatch);
        Assert.True(r.PValue < 1e-9);
    }

    [Fact]
    public void A_balanced_split_is_not_flagged()
    {
        var r = SampleRatioMismatch.Check([50_100, 49_900], [0.5, 0.5]);
        Assert.False(r.Mismatch);
        Assert.Equal(0.4, r.ChiSquare, 9); // (100² / 50000) · 2
        Assert.Equal(1, r.DegreesOfFreedom);
    }

    [Fact]
    public void Unequal_shares_are_checked_against_their_own_expectation()
    {
        var r = SampleRatioMismatch.Check([2_000, 3_000, 5_000], [0.2, 0.3, 0.5]);
        Assert.Equal(0, r.ChiSquare, 9);
        Assert.Equal([2000.0, 3000.0, 5000.0], r.Expected);
    }

    [Fact]
    public void Holm_and_benjamini_hochberg_adjust_a_small_family_as_by_hand()
    {
        double[] p = [0.01, 0.04, 0.03, 0.005];
        var holm = MultipleTesting.Holm(p);
        Assert.Equal(Methods.Holm, holm.Method);
        Assert.Equal([0.03, 0.06, 0.06, 0.02], holm.Adjusted.Select(v => Math.Round(v, 12)));
        Assert.Equal([true, false, false, true], holm.Rejected);
        var bh = MultipleTesting.BenjaminiHochberg(p);
        Assert.Equal(Methods.BenjaminiHochberg, bh.Method);
        Assert.Equal([0.02, 0.04, 0.04, 0.02], bh.Adjusted.Select(v => Math.Round(v, 12)));
        Assert.Equal([true, true, true, true], bh.Rejected);
    }

    [Fact]
    public void Benjamini_and_hochberg_s_1995_example_rejects_four_where_holm_rejects_three()
    {
        double[] p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000];
        Assert.Equal(4, MultipleTesting.BenjaminiHochberg(p, 0.05).Rejected.Count(r => r));
        Assert.Equal(3, MultipleTesting.Holm(p, 0.05).Rejected.Count(r => r));
    }
}
