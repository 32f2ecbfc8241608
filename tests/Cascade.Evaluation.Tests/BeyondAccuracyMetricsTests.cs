using Cascade.Core;
using Cascade.Evaluation.Metrics;

namespace Cascade.Evaluation.Tests;

/// <summary>Train: u0 = {0, 1}, u1 = {0}, u2 = {1}, u3 = {2}. Cosine: sim(0,1) = 1/√(2·2) = ½, sim(0,2) = sim(1,2) = 0.</summary>
public sealed class BeyondAccuracyMetricsTests
{
    private static BeyondAccuracyMetrics Metrics()
    {
        var b = new CsrMatrixBuilder();
        b.Add(0, 0, 1, 0);
        b.Add(0, 1, 1, 0);
        b.Add(1, 0, 1, 0);
        b.Add(2, 1, 1, 0);
        b.Add(3, 2, 1, 0);
        return new BeyondAccuracyMetrics(b.Build(4, 4)); // item 3 never seen in training
    }

    [Fact]
    public void Similarity_is_the_cosine_of_binary_item_columns()
    {
        Assert.Equal(0.5, Metrics().Similarity(0, 1), 12);
        Assert.Equal(0.0, Metrics().Similarity(0, 2), 12);
        Assert.Equal(1.0, Metrics().Similarity(2, 2), 12);
    }

    [Fact]
    public void Coverage_is_distinct_recommended_items_over_items_with_training_data()
    {
        Assert.Equal(2.0 / 3, Metrics().Coverage([[0, 1], [1]]), 12);
    }

    [Fact]
    public void Gini_is_zero_for_equal_exposure_and_three_quarters_when_one_of_four_takes_all()
    {
        Assert.Equal(0.0, BeyondAccuracyMetrics.Gini([1, 1, 1, 1]), 12);
        // Sorted [0,0,0,4]: Σ(2i − n − 1)x_i = 3·4 = 12; n·Σx = 16.
        Assert.Equal(0.75, BeyondAccuracyMetrics.Gini([4, 0, 0, 0]), 12);
        // Exposure over the three trained items: counts 2, 0, 0 → sorted [0,0,2]: (2·3 − 3 − 1)·2 / (3·2) = 2/3.
        Assert.Equal(2.0 / 3, Metrics().GiniExposure([[0], [0]]), 12);
    }

    [Fact]
    public void Novelty_is_the_mean_self_information_of_recommended_items()
    {
        // |U| = 4; item 0 has 2 users → 1 bit; item 2 has 1 user → 2 bits; item 3 (no training users) is skipped.
        Assert.Equal((1.0 + 2.0) / 2, Metrics().Novelty([[0, 3], [2]]), 12);
    }

    [Fact]
    public void Intra_list_diversity_is_the_mean_pairwise_dissimilarity()
    {
        // Pairs (0,1) ½, (0,2) 1, (1,2) 1.
        Assert.Equal(2.5 / 3, Metrics().IntraListDiversity([0, 1, 2]), 12);
        Assert.Equal(0.0, Metrics().IntraListDiversity([0]), 12);
    }

    [Fact]
    public void Serendipity_rewards_relevant_items_unlike_the_users_history()
    {
        // u1's history {0}; list [1, 2]; only 1 is relevant: 1 − sim(1, 0) = ½; averaged over two items → ¼.
        Assert.Equal(0.25, Metrics().Serendipity(1, [1, 2], [1]), 12);
        // Item 2 relevant instead: 1 − sim(2, 0) = 1 → ½.
        Assert.Equal(0.5, Metrics().Serendipity(1, [1, 2], [2]), 12);
    }
}
