namespace Cascade.Experiments.Tests;

/// <summary>Welch, two-proportion and delta-method comparisons against values computed by hand (mpmath, docs/experiments.md).</summary>
public sealed class FixedHorizonTests
{
    private static void Close(double expected, double actual, double tolerance = 1e-9) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void Welch_t_matches_a_hand_computed_example()
    {
        var control = SampleSummary.FromValues([12.1, 14.3, 11.8, 13.5, 15.0, 12.9]);
        var treatment = SampleSummary.FromValues([14.2, 15.8, 13.9, 16.1, 15.5, 14.7, 16.4]);
        var r = FixedHorizon.WelchT(control, treatment);
        Assert.Equal(Methods.WelchT, r.Method);
        Close(15.2285714285714 - 13.2666666666667, r.AbsoluteLift, 1e-12);
        Close(0.627105071718493, r.StandardError);
        Close(9.41458491417345, r.DegreesOfFreedom!.Value);
        Close(3.12851043690085, r.Statistic);
        Close(0.0115102759784321, r.PValue);
        Close(0.552760404711365, r.AbsoluteInterval.Lower);
        Close(3.37104911909816, r.AbsoluteInterval.Upper);
        Close(0.147882268485284, r.RelativeLift);
        Close(0.031078333924294, r.RelativeInterval.Lower);
        Close(0.264686203046273, r.RelativeInterval.Upper);
    }

    [Fact]
    public void The_two_proportion_z_test_uses_the_pooled_error_for_p_and_the_unpooled_for_the_interval()
    {
        var r = FixedHorizon.TwoProportionZ(120, 2400, 150, 2500);
        Assert.Equal(Methods.TwoProportionZ, r.Method);
        Close(0.01, r.AbsoluteLift, 1e-15);
        Close(1.53356181976847, r.Statistic);
        Close(0.125137487215806, r.PValue);
        Close(-0.00275508461311661, r.AbsoluteInterval.Lower);
        Close(0.0227550846131166, r.AbsoluteInterval.Upper);
        Assert.Null(r.DegreesOfFreedom);
        Assert.False(r.IsSignificant(0.05));
    }

    [Fact]
    public void The_delta_method_variance_of_a_ratio_equals_the_variance_of_its_linearisation()
    {
        double[] clicks = [0, 3, 1, 7, 2, 0, 5, 1];
        double[] impressions = [10, 30, 12, 40, 25, 4, 60, 9];
        var summary = RatioSummary.FromUnits(clicks, impressions);
        double[] linear = RatioSummary.Linearize(clicks, impressions, summary.Ratio);
        Close(SampleSummary.FromValues(linear).VarianceOfMean, summary.VarianceOfRatio, 1e-15);
        Close(19.0 / 190, summary.Ratio, 1e-15);
    }

    [Fact]
    public void A_ratio_with_unit_denominators_is_a_mean_and_gets_the_mean_s_variance()
    {
        double[] values = [0.5, 1.5, 2.0, 0.0, 3.0];
        var summary = RatioSummary.FromUnits(values, [1, 1, 1, 1, 1]);
        Close(SampleSummary.FromValues(values).VarianceOfMean, summary.VarianceOfRatio, 1e-15);
    }

    [Fact]
    public void A_ratio_metric_comparison_says_it_used_the_delta_method()
    {
        var control = new RatioSummary(1000, 500, 10_000, 900, 150_000, 7_000);
        var treatment = new RatioSummary(1000, 600, 10_000, 1100, 150_000, 8_000);
        var r = RatioMetric.Compare(control, treatment);
        Assert.Equal(Methods.DeltaMethod, r.Method);
        Close(0.01, r.AbsoluteLift, 1e-15);
        Close(0.2, r.RelativeLift, 1e-12);
        Assert.True(r.AbsoluteInterval.Contains(0.01));
    }
}
