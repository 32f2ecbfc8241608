using Cascade.Evaluation.Metrics;

namespace Cascade.Evaluation.Tests;

/// <summary>
/// Worked example: the list is [1, 2, 3, 4, 5], the relevant items {2, 4, 9}; hits sit at ranks 2 and 4.
/// </summary>
public sealed class RankingMetricsTests
{
    private static readonly int[] List = [1, 2, 3, 4, 5];
    private static readonly int[] Relevant = [2, 4, 9];

    [Fact]
    public void Precision_is_hits_over_k()
    {
        Assert.Equal(2.0 / 5, RankingMetrics.Precision(List, Relevant, 5), 12);
        Assert.Equal(1.0 / 3, RankingMetrics.Precision(List, Relevant, 3), 12);
        // A list shorter than k still divides by k.
        Assert.Equal(1.0 / 10, RankingMetrics.Precision([2], Relevant, 10), 12);
    }

    [Fact]
    public void Recall_is_hits_over_the_number_of_relevant_items()
    {
        Assert.Equal(2.0 / 3, RankingMetrics.Recall(List, Relevant, 5), 12);
        Assert.Equal(1.0 / 3, RankingMetrics.Recall(List, Relevant, 2), 12);
    }

    [Fact]
    public void Binary_ndcg_divides_by_the_ideal_dcg_over_min_k_and_relevant_count()
    {
        // DCG = 1/log2(3) + 1/log2(5) = 1.0616063; IDCG over 3 relevant = 1 + 1/log2(3) + 1/log2(4) = 2.1309298.
        Assert.Equal(0.49818925746641285, RankingMetrics.Ndcg(List, Relevant, 5), 12);
        // k = 2: DCG = 1/log2(3); IDCG = 1 + 1/log2(3) (min(2, 3) = 2 ideal hits).
        Assert.Equal((1 / Math.Log2(3)) / (1 + (1 / Math.Log2(3))), RankingMetrics.Ndcg(List, Relevant, 2), 12);
        Assert.Equal(1.0, RankingMetrics.Ndcg([9, 4, 2], Relevant, 3), 12);
    }

    [Fact]
    public void Graded_ndcg_uses_relevance_as_gain_and_the_sorted_gains_as_ideal()
    {
        float[] relevance = [5, 3, 4]; // items 2, 4, 9
        // DCG = 5/log2(3) + 3/log2(5); IDCG = 5 + 4/log2(3) + 3/2.
        Assert.Equal(0.4927766960648644, RankingMetrics.NdcgGraded(List, Relevant, relevance, 5), 12);
        // Exponential gains 2^rel − 1: 31, 7, 15.
        Assert.Equal(0.5134561422525198, RankingMetrics.NdcgGraded(List, Relevant, relevance, 5, exponentialGain: true), 12);
        // With equal relevances graded nDCG equals binary nDCG.
        Assert.Equal(RankingMetrics.Ndcg(List, Relevant, 5), RankingMetrics.NdcgGraded(List, Relevant, [1, 1, 1], 5), 12);
    }

    [Fact]
    public void Recommenders_map_divides_the_precision_at_hits_by_the_number_of_relevant_items()
    {
        // Precision at the hits: 1/2 and 2/4; sum 1; three relevant items.
        Assert.Equal(1.0 / 3, RankingMetrics.AveragePrecision(List, Relevant, 5), 12);
        // Five relevant, k = 3: one hit at rank 2 → 0.5 / 5.
        Assert.Equal(0.1, RankingMetrics.AveragePrecision([1, 2, 3], [2, 4, 9, 10, 11], 3), 12);
    }

    [Fact]
    public void Map_at_k_divides_by_min_k_and_the_number_of_relevant_items()
    {
        Assert.Equal(0.5 / 3, RankingMetrics.AveragePrecisionAtK([1, 2, 3], [2, 4, 9, 10, 11], 3), 12);
        Assert.Equal(1.0, RankingMetrics.AveragePrecisionAtK([2, 4], [2, 4, 9, 10, 11], 2), 12);
    }

    [Fact]
    public void Reciprocal_rank_and_hit_rate_look_at_the_first_hit_within_k()
    {
        Assert.Equal(0.5, RankingMetrics.ReciprocalRank(List, Relevant, 5), 12);
        Assert.Equal(0.0, RankingMetrics.ReciprocalRank(List, Relevant, 1), 12);
        Assert.Equal(1.0, RankingMetrics.HitRate(List, Relevant, 2), 12);
        Assert.Equal(0.0, RankingMetrics.HitRate(List, Relevant, 1), 12);
    }

    [Fact]
    public void A_user_without_relevant_items_scores_zero()
    {
        Assert.Equal(0, RankingMetrics.Ndcg(List, [], 5));
        Assert.Equal(0, RankingMetrics.Recall(List, [], 5));
        Assert.Equal(0, RankingMetrics.AveragePrecision(List, [], 5));
    }
}
