using Cascade.Core;
using Cascade.Models.Baselines;
using Cascade.Models.Linear;
using Cascade.Models.Neighbourhood;

namespace Cascade.Models.Tests;

/// <summary>
/// Each model on a three-user, three-item matrix whose weights are worked out by hand:
/// u0 = {0, 1}, u1 = {0, 1, 2}, u2 = {2}; co-occurrence c00 = c11 = c22 = 2, c01 = 2, c02 = c12 = 1.
/// </summary>
public sealed class HandWorkedModelTests
{
    private const long Day = 86_400_000L;
    private const long T = 1_000 * Day;

    private static CsrMatrix Triangle()
    {
        var b = new CsrMatrixBuilder();
        b.Add(0, 0, 4, T - (30 * Day));
        b.Add(0, 1, 2, T - (60 * Day));
        b.Add(1, 0, 5, T);
        b.Add(1, 1, 5, T);
        b.Add(1, 2, 5, T);
        b.Add(2, 2, 3, T - Day);
        return b.Build(3, 3);
    }

    private static float ScoreOf(IRecommender model, int user, int item)
    {
        var scores = new float[model.ItemCount];
        model.Score(user, scores);
        return scores[item];
    }

    [Fact]
    public void Sar_jaccard_similarity_is_cooccurrence_over_union()
    {
        var sar = new Sar(new SarOptions { Similarity = SarSimilarity.Jaccard });
        sar.Fit(Triangle());
        var similar = sar.SimilarItems(0, 2);
        Assert.Equal(1, similar[0].Item);
        Assert.Equal(1f, similar[0].Score, 6);        // 2 / (2 + 2 − 2)
        Assert.Equal(1f / 3, similar[1].Score, 6);    // 1 / (2 + 2 − 1)
    }

    [Fact]
    public void Sar_lift_similarity_is_cooccurrence_over_the_product_of_counts()
    {
        var sar = new Sar(new SarOptions { Similarity = SarSimilarity.Lift });
        sar.Fit(Triangle());
        var similar = sar.SimilarItems(0, 2);
        Assert.Equal(0.5f, similar[0].Score, 6);  // 2 / (2·2)
        Assert.Equal(0.25f, similar[1].Score, 6); // 1 / (2·2)
    }

    [Fact]
    public void Sar_affinity_halves_every_thirty_days_before_the_newest_timestamp()
    {
        var sar = new Sar();
        sar.Fit(Triangle());
        // u0: item 0 rated 4, 30 days old → 2; item 1 rated 2, 60 days old → 0.5.
        // score(u0, 2) = 2·s02 + 0.5·s12 = 2/3 + 1/6.
        Assert.Equal((2f / 3) + (1f / 6), ScoreOf(sar, 0, 2), 5);
        var top = sar.Recommend(0, 5);
        Assert.Single(top);
        Assert.Equal(2, top[0].Item);
    }

    [Fact]
    public void Sar_without_decay_uses_the_raw_values()
    {
        var sar = new Sar(new SarOptions { TimeDecay = false });
        sar.Fit(Triangle());
        Assert.Equal((4f / 3) + (2f / 3), ScoreOf(sar, 0, 2), 5);
    }

    [Fact]
    public void ItemKnn_cosine_with_shrinkage_divides_cooccurrence_by_norms_plus_shrink()
    {
        var knn = new ItemKnn(new ItemKnnOptions { Shrink = 1 });
        knn.Fit(Triangle());
        // s(2, 0) = 1 / (√2·√2 + 1) = 1/3, likewise s(2, 1); u0 has items 0 and 1.
        Assert.Equal(2f / 3, ScoreOf(knn, 0, 2), 5);
        Assert.Equal(2f / 3, knn.SimilarItems(0, 1)[0].Score, 5); // s(0, 1) = 2 / (2 + 1)
    }

    [Fact]
    public void ItemKnn_keeps_only_the_strongest_neighbours_of_each_target_with_ties_to_the_lower_id()
    {
        var knn = new ItemKnn(new ItemKnnOptions { Shrink = 1, Neighbours = 1 });
        knn.Fit(Triangle());
        // Target 2 keeps one of its equal neighbours {0, 1}: item 0.
        Assert.Equal(1f / 3, ScoreOf(knn, 0, 2), 5);
    }

    [Fact]
    public void ItemKnn_asymmetric_cosine_weights_the_two_norms_by_alpha()
    {
        var b = new CsrMatrixBuilder();
        // Item 0 has 4 users, item 1 has 1 user who also has item 0: c01 = 1.
        for (int u = 0; u < 4; u++)
        {
            b.Add(u, 0, 1, 0);
        }
        b.Add(0, 1, 1, 0);
        b.Add(4, 1, 0, 0);
        var m = b.Build(5, 2);
        var knn = new ItemKnn(new ItemKnnOptions { Similarity = ItemSimilarity.AsymmetricCosine, Alpha = 1, Shrink = 0, Binarize = true });
        knn.Fit(m);
        // s(j = 1, i = 0) = c / (‖x_1‖^2 · ‖x_0‖^0) = 1 / 2 (item 1 has two entries, one of weight 0 binarised to 1).
        Assert.Equal(0.5f, knn.SimilarItems(1, 1)[0].Score, 6);
        // s(j = 0, i = 1) = 1 / ‖x_0‖^2 = 1/4.
        Assert.Equal(0.25f, knn.SimilarItems(0, 1)[0].Score, 6);
    }

    [Fact]
    public void Ease_weights_are_minus_the_inverse_over_its_diagonal()
    {
        // u0 = {0, 1}, u1 = {0}, u2 = {1}: G = [[2,1],[1,2]], λ = 1 → P = (1/8)[[3,−1],[−1,3]], B01 = (1/8)/(3/8) = 1/3.
        var m = SyntheticData.FromRows(2, [(0, 1f), (1, 1f)], [(0, 1f)], [(1, 1f)]);
        var ease = new Ease(new EaseOptions { Lambda = 1 });
        ease.Fit(m);
        Assert.Equal(1f / 3, ScoreOf(ease, 1, 1), 5);
        Assert.Equal(1f / 3, ease.SimilarItems(0, 1)[0].Score, 5);
        Assert.Equal(0f, ScoreOf(ease, 1, 0), 6); // diag(B) = 0
    }

    [Fact]
    public void Ease_with_dropout_shrinks_each_item_by_its_own_count()
    {
        // G = [[2,1],[1,2]], λ = 1, p = 0.5 → Λ = λ + p/(1−p)·G_ii = 3 on both items; P = (G + Λ)⁻¹ = (1/24)[[5,−1],[−1,5]].
        var m = SyntheticData.FromRows(2, [(0, 1f), (1, 1f)], [(0, 1f)], [(1, 1f)]);
        var edlae = new Ease(new EaseOptions { Lambda = 1, Dropout = 0.5 });
        edlae.Fit(m);
        Assert.Equal(1f / 5, ScoreOf(edlae, 1, 1), 5); // EDLAE: B01 = −P01 / P11 = (1/24) / (5/24)
        Assert.Equal(0f, ScoreOf(edlae, 1, 0), 6);     // diag(B) = 0 still
        // DLAE, no constraint: B = I − PΛ = I − (1/8)[[5,−1],[−1,5]] → B00 = 3/8, B01 = 1/8.
        var dlae = new Ease(new EaseOptions { Lambda = 1, Dropout = 0.5, ZeroDiagonal = false });
        dlae.Fit(m);
        Assert.Equal(1f / 8, ScoreOf(dlae, 1, 1), 5);
        Assert.Equal(3f / 8, ScoreOf(dlae, 1, 0), 5);
    }

    [Fact]
    public void Ease_on_values_weighs_each_interaction_by_its_value_to_the_exponent_in_fitting_and_scoring()
    {
        // Square roots of the values, fitted as they are, make the same model as the values with exponent 0.5; the sign is kept.
        var values = SyntheticData.FromRows(3, [(0, 4f), (1, 9f)], [(0, 1f), (2, 4f)], [(1, 16f), (2, -4f)], [(0, 9f)]);
        var roots = SyntheticData.FromRows(3, [(0, 2f), (1, 3f)], [(0, 1f), (2, 2f)], [(1, 4f), (2, -2f)], [(0, 3f)]);
        var damped = new Ease(new EaseOptions { Lambda = 1, Binarize = false, ValueExponent = 0.5 });
        damped.Fit(values);
        var asGiven = new Ease(new EaseOptions { Lambda = 1, Binarize = false, ValueExponent = 1 });
        asGiven.Fit(roots);
        for (int user = 0; user < 4; user++)
        {
            for (int item = 0; item < 3; item++)
            {
                Assert.Equal(ScoreOf(asGiven, user, item), ScoreOf(damped, user, item), 5);
            }
        }
        // And the exponent matters: values as they are make another model.
        var raw = new Ease(new EaseOptions { Lambda = 1, Binarize = false, ValueExponent = 1 });
        raw.Fit(values);
        Assert.NotEqual(ScoreOf(raw, 3, 1), ScoreOf(damped, 3, 1), 3);
    }

    [Fact]
    public void Rp3beta_weights_are_two_step_transition_probabilities_over_degree_to_the_beta()
    {
        var rp3 = new Rp3Beta(new Rp3BetaOptions { Alpha = 1, Beta = 1, NormaliseRows = false });
        rp3.Fit(Triangle());
        // W[0,1] = ½·½ + ½·⅓ = 5/12, divided by deg(1) = 2; W[0,2] = ½·⅓ = 1/6, divided by deg(2) = 2.
        var similar = rp3.SimilarItems(0, 2);
        Assert.Equal(1, similar[0].Item);
        Assert.Equal(5f / 24, similar[0].Score, 6);
        Assert.Equal(1f / 12, similar[1].Score, 6);
    }

    [Fact]
    public void MostPopular_ranks_by_number_of_users_or_by_summed_value()
    {
        var byCount = new MostPopular();
        byCount.Fit(Triangle());
        // Counts: 2, 2, 2 → ties to the lower id. Sums: 9, 7, 8.
        Assert.Equal([0, 1, 2], byCount.Recommend(0, 3, excludeSeen: false).Select(r => r.Item));
        var byValue = new MostPopular(new MostPopularOptions { WeightByValue = true });
        byValue.Fit(Triangle());
        Assert.Equal([0, 2, 1], byValue.Recommend(0, 3, excludeSeen: false).Select(r => r.Item));
    }
}
