namespace Cascade.Monitoring.Tests;

/// <summary>The drift statistics against values worked out by hand or with mpmath (docs/monitoring.md).</summary>
public sealed class StatisticsTests
{
    private static void Close(double expected, double actual, double tolerance = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R}");

    /// <summary>A reference whose quantile sketch is the uniform distribution on [0, 1].</summary>
    private static NumericReference Uniform(long count = 1_000_000) =>
        new("u", count, 0, 0.5, Math.Sqrt(1 / 12.0), [0.5], [0.5, 0.5], [.. Enumerable.Range(0, 1001).Select(i => i / 1000.0)]);

    [Fact]
    public void Psi_matches_its_definition_and_floors_an_empty_bin_at_epsilon()
    {
        // Σ (a − e) ln(a / e) with a = (0.1, 0.3, 0.6), e = (0.25, 0.25, 0.5).
        Close(0.16479184330021643, DriftStatistics.Psi([0.25, 0.25, 0.5], [10, 30, 60], 1e-4));
        Close(0, DriftStatistics.Psi([0.2, 0.3, 0.5], [20, 30, 50], 1e-4));
        double empty = DriftStatistics.Psi([0.5, 0.5], [0, 100], 1e-4);
        Close(((1e-4 - 0.5) * Math.Log(1e-4 / 0.5)) + (0.5 * Math.Log(2)), empty);
    }

    [Fact]
    public void Bin_counts_put_a_value_on_an_edge_in_the_lower_bin()
    {
        Assert.Equal([2, 2, 1], DriftStatistics.BinCounts([0.1, 1.0, 1.5, 2.0, 7], [1.0, 2.0]).Select(c => (int)c).ToArray());
    }

    [Fact]
    public void The_two_sample_ks_distance_matches_hand_computed_values_with_and_without_ties()
    {
        Close(2.0 / 3, DriftStatistics.KolmogorovSmirnov([1, 2, 3, 4, 5], [2.5, 3, 6, 7, 8, 9]));
        Close(0.25, DriftStatistics.KolmogorovSmirnov([1, 2, 2, 3], [2, 2, 2, 4]));
        Close(0, DriftStatistics.KolmogorovSmirnov([1, 2, 3], [1, 2, 3]));
    }

    [Fact]
    public void The_ks_p_value_uses_the_effective_size_with_stephens_correction()
    {
        // D = 0.1, n = 200, m = 300: λ = (√120 + 0.12 + 0.11/√120) · 0.1; Q(λ) by mpmath.
        Close(0.17122081638709828, DriftStatistics.KolmogorovSmirnovPValue(0.1, 200, 300), 1e-12);
        double critical = DriftStatistics.KolmogorovSmirnovCritical(1e-4, 5000, 200_000);
        Close(1e-4, DriftStatistics.KolmogorovSmirnovPValue(critical, 5000, 200_000), 1e-12);
    }

    [Fact]
    public void The_ks_distance_against_a_sketch_is_the_distance_to_its_cdf()
    {
        // Against U(0, 1): the sample {0.5} has D = 0.5; {0.25, 0.75} has D = 0.25.
        Close(0.5, DriftStatistics.KolmogorovSmirnov([0.5], Uniform()), 1e-9);
        Close(0.25, DriftStatistics.KolmogorovSmirnov([0.25, 0.75], Uniform()), 1e-9);
        // A sample wholly above the reference is at distance 1.
        Close(1, DriftStatistics.KolmogorovSmirnov([2, 3], Uniform()), 1e-9);
    }

    [Fact]
    public void The_sketch_ks_agrees_with_the_exact_two_sample_distance_on_a_large_reference()
    {
        var random = new Random(5);
        var reference = Enumerable.Range(0, 100_000).Select(_ => random.NextDouble()).Order().ToArray();
        var window = Enumerable.Range(0, 2000).Select(_ => Math.Pow(random.NextDouble(), 1.2)).Order().ToArray();
        var sketch = new NumericReference("x", reference.Length, 0, 0.5, 0.29, [], [1.0],
            [.. Enumerable.Range(0, 1001).Select(i => reference[(int)Math.Round(i / 1000.0 * (reference.Length - 1))])]);
        Close(DriftStatistics.KolmogorovSmirnov(window, reference), DriftStatistics.KolmogorovSmirnov(window, sketch), 0.002);
    }

    [Fact]
    public void The_normalised_wasserstein_distance_reads_a_move_in_reference_standard_deviations()
    {
        var u = Uniform();
        double sd = Math.Sqrt(1 / 12.0);
        var moved = Enumerable.Range(0, 10_000).Select(i => ((i + 0.5) / 10_000) + (0.1 * sd)).ToArray();
        Close(0.1, DriftStatistics.NormalisedWasserstein(moved, u), 1e-3);
        var same = Enumerable.Range(0, 10_000).Select(i => (i + 0.5) / 10_000).ToArray();
        Close(0, DriftStatistics.NormalisedWasserstein(same, u), 1e-3);
    }

    [Fact]
    public void The_chi_square_homogeneity_test_matches_a_hand_computed_table()
    {
        var (statistic, dof, p) = DriftStatistics.ChiSquaredHomogeneity([30, 50, 20], [10, 25, 15]);
        Close(2.6785714285714284, statistic, 1e-12);
        Assert.Equal(2, dof);
        Close(0.26203276801401195, p, 1e-12);
        // A category empty on both sides is dropped from the degrees of freedom.
        Assert.Equal(2, DriftStatistics.ChiSquaredHomogeneity([30, 50, 0, 20], [10, 25, 0, 15]).DegreesOfFreedom);
    }

    [Fact]
    public void The_jensen_shannon_distance_is_0_for_equal_and_1_for_disjoint_distributions()
    {
        Close(0, DriftStatistics.JensenShannon([1, 2, 3], [10, 20, 30]));
        Close(1, DriftStatistics.JensenShannon([1, 0], [0, 5]));
        Close(0.5579230452841438, DriftStatistics.JensenShannon([1, 0], [1, 1]));
    }

    [Fact]
    public void Auc_by_ranks_counts_a_tie_as_half()
    {
        Close(1, DriftStatistics.Auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Close(0, DriftStatistics.Auc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]));
        // Pairs (pos, neg): (0.5 vs 0.5) tie = ½, (0.5 vs 0.1) = 1, (0.9 vs both) = 2: 3.5 / 4.
        Close(0.875, DriftStatistics.Auc([0.1, 0.5, 0.5, 0.9], [false, false, true, true]));
        Assert.True(double.IsNaN(DriftStatistics.Auc([0.1, 0.2], [true, true])));
    }

    [Fact]
    public void The_hanley_mcneil_standard_error_matches_its_formula()
    {
        Close(0.041247222128688046, DriftStatistics.AucStandardError(0.8, 50, 100), 1e-12);
    }

    [Fact]
    public void Ece_weighs_each_bins_gap_by_its_share()
    {
        // Bin 0: predictions 0.05, 0.05, no clicks (gap 0.05); bin 9: 0.95, 0.95, one click (gap 0.45). ECE = ½·0.05 + ½·0.45.
        var counts = new long[10];
        var clicks = new long[10];
        double ece = DriftStatistics.Ece([0.05, 0.05, 0.95, 0.95], [false, false, true, false], counts, clicks);
        Close(0.25, ece);
        Assert.Equal(2, counts[0]);
        Assert.Equal(1, clicks[9]);
    }

    [Fact]
    public void Gini_is_0_for_equal_counts_and_1_when_one_item_has_everything()
    {
        Close(0, DriftStatistics.Gini(new double[] { 3, 3, 3, 3 }));
        Close(1, DriftStatistics.Gini(new double[] { 0, 0, 0, 9 }));
        // Counts 1, 2, 3, 4: G = (2 Σ i·x / (n Σ x) − (n + 1)/n) · n/(n − 1) = (60/40 − 5/4) · 4/3 = 1/3.
        Close(1.0 / 3, DriftStatistics.Gini(new double[] { 4, 1, 3, 2 }));
    }

    [Fact]
    public void Served_list_metrics_follow_their_definitions()
    {
        var popularity = new Dictionary<string, long> { ["a"] = 6, ["b"] = 3, ["c"] = 1 };
        string[][] lists = [["a", "b"], ["a", "c"]];
        var m = ServedListMetrics.Measure(lists, popularity, catalogSize: 4, pairs: 100, seed: 1);
        Close((0.6 + 0.3 + 0.6 + 0.1) / 4, m.AverageRecommendedPopularity);
        Close(3 / 4.0, m.Coverage);
        // Novelty with add-one smoothing over 10 interactions + 4 items: −log₂((n + 1)/14).
        Close(-(Math.Log2(7 / 14.0) + Math.Log2(4 / 14.0) + Math.Log2(7 / 14.0) + Math.Log2(2 / 14.0)) / 4, m.Novelty);
        // One pair sharing one item of two.
        Close(0.5, m.Personalisation);
    }
}
