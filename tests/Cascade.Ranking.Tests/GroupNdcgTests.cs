namespace Cascade.Ranking.Tests;

public sealed class GroupNdcgTests
{
    [Fact]
    public void Per_group_values_are_the_mean_s_parts_and_groups_without_a_relevant_row_are_NaN()
    {
        // Group 0: the relevant row second of two (nDCG 1/log2 3); group 1: no relevant row; group 2: relevant row first.
        float[] labels = [0, 1, 0, 0, 1, 0];
        int[] groups = [0, 2, 4, 6];
        double[] scores = [2, 1, 5, 4, 3, 1];
        var ideal = GroupNdcg.InverseIdealDcg(labels, groups, 10);
        var perGroup = new double[3];
        GroupNdcg.Ndcgs(scores, labels, groups, ideal, 10, perGroup);

        Assert.Equal(1 / Math.Log2(3), perGroup[0], 12);
        Assert.True(double.IsNaN(perGroup[1]));
        Assert.Equal(1.0, perGroup[2], 12);
        Assert.Equal((perGroup[0] + perGroup[2]) / 2, GroupNdcg.MeanNdcg(scores, labels, groups, ideal, 10), 12);
        Assert.Equal(GroupNdcg.MeanNdcg(scores, labels, groups, ideal, 10), GroupNdcg.Mean(perGroup), 12);
        Assert.True(double.IsNaN(GroupNdcg.Mean([double.NaN])));
    }

    [Fact]
    public void The_paired_gain_is_counted_in_standard_errors_over_the_groups_both_have()
    {
        // Differences 0.5, 0 and 0.4 (the NaN group is left out): mean 0.3, sd √0.07, standard error √(0.07 / 3).
        double z = GroupNdcg.PairedGainZ([1, 0.5, double.NaN, 0.8], [0.5, 0.5, 0.2, 0.4]);
        Assert.Equal(0.3 / Math.Sqrt(0.07 / 3), z, 9);
        Assert.Equal(-z, GroupNdcg.PairedGainZ([0.5, 0.5, 0.2, 0.4], [1, 0.5, double.NaN, 0.8]), 9);
        Assert.Equal(0, GroupNdcg.PairedGainZ([1, 0.5], [0.5, double.NaN]));
        Assert.Equal(0, GroupNdcg.PairedGainZ([1, 0.75], [0.5, 0.25]));
        Assert.Throws<ArgumentException>(() => GroupNdcg.PairedGainZ([1], [1, 2]));
    }
}
