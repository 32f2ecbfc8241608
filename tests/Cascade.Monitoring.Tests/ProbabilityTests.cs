namespace Cascade.Monitoring.Tests;

/// <summary>The distributions against values computed with mpmath at 40 digits (docs/monitoring.md).</summary>
public sealed class ProbabilityTests
{
    private static void Close(double expected, double actual, double relative) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(Math.Abs(expected), 1e-300), $"expected {expected:R}, got {actual:R}");

    [Theory]
    [InlineData(-8, 6.2209605742717841e-16)]
    [InlineData(-3, 0.0013498980316300945)]
    [InlineData(-1.96, 0.024997895148220436)]
    [InlineData(0.5, 0.6914624612740131)]
    [InlineData(1.4, 0.91924334076622894)]
    [InlineData(1.6, 0.94520070830044202)]
    [InlineData(3, 0.99865010196836991)]
    [InlineData(5, 0.99999971334842812)]
    public void The_normal_cdf_matches_known_values_on_both_sides_of_the_series_switch(double x, double expected)
    {
        Close(expected, Probability.NormalCdf(x), 1e-13);
        // 1 − expected is itself rounded to 1e-16 absolute, so the upper tail is checked to what that allows.
        Close(1 - expected, Probability.NormalSurvival(x), 1e-8);
    }

    [Theory]
    [InlineData(1e-10, -6.3613409024040562)]
    [InlineData(5e-5, -3.890591886413094)]
    [InlineData(0.001, -3.0902323061678135)]
    [InlineData(0.025, -1.9599639845400542)]
    [InlineData(0.3, -0.52440051270804082)]
    [InlineData(0.975, 1.9599639845400539)]
    public void The_normal_quantile_matches_known_values(double p, double expected) => Close(expected, Probability.NormalQuantile(p), 1e-12);

    [Theory]
    [InlineData(3.841458820694124, 1, 0.050000000000000057)]
    [InlineData(0.001, 1, 0.97477287936996039)]
    [InlineData(0.5, 2, 0.77880078307140487)]
    [InlineData(10.0, 3, 0.018566135463043233)]
    [InlineData(60, 7, 1.5095553022989121e-10)]
    [InlineData(20, 10, 0.029252688076961073)]
    [InlineData(30, 19, 0.051798458893023874)]
    [InlineData(100, 50, 3.4549313829848639e-5)]
    public void The_chi_square_survival_matches_known_values_for_odd_and_even_degrees(double x, int k, double expected) =>
        Close(expected, Probability.ChiSquaredSurvival(x, k), 1e-12);

    [Theory]
    [InlineData(0.5, 0.96394524366487509)]
    [InlineData(1.0, 0.26999967167735452)]
    [InlineData(1.36, 0.049485876755377884)]
    [InlineData(1.9, 0.0014636048371873511)]
    [InlineData(2.5, 7.4533063441573416e-6)]
    public void The_kolmogorov_survival_matches_known_values(double lambda, double expected) =>
        Close(expected, Probability.KolmogorovSurvival(lambda), 1e-12);

    [Theory]
    [InlineData(1e-4, 1)]
    [InlineData(1e-4, 9)]
    [InlineData(0.01, 4)]
    [InlineData(0.05, 30)]
    public void Critical_values_invert_the_survival_functions(double alpha, int k)
    {
        Close(alpha, Probability.ChiSquaredSurvival(Probability.ChiSquaredCritical(alpha, k), k), 1e-9);
        Close(alpha, Probability.KolmogorovSurvival(Probability.KolmogorovCritical(alpha)), 1e-9);
    }

    [Fact]
    public void The_well_known_critical_values_come_out()
    {
        Close(3.841458820694124, Probability.ChiSquaredCritical(0.05, 1), 1e-9);
        Close(1.3580986393225505, Probability.KolmogorovCritical(0.05), 1e-9);
    }

    [Fact]
    public void Out_of_range_arguments_are_refused_with_their_name()
    {
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => Probability.NormalQuantile(1)).ParamName);
        Assert.Equal("degreesOfFreedom", Assert.Throws<ArgumentOutOfRangeException>(() => Probability.ChiSquaredSurvival(1, 0)).ParamName);
    }
}
