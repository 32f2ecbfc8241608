namespace Cascade.Experiments.Tests;

/// <summary>The distribution functions against values computed with mpmath at 40 digits (docs/experiments.md).</summary>
public sealed class DistributionTests
{
    private static void Close(double expected, double actual, double relative = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(Math.Abs(expected), 1e-300), $"expected {expected:R}, got {actual:R}");

    [Theory]
    [InlineData(-8, 6.2209605742717841e-16)]
    [InlineData(-3, 0.0013498980316300945)]
    [InlineData(-1.96, 0.024997895148220434)]
    [InlineData(0, 0.5)]
    [InlineData(0.5, 0.6914624612740131)]
    [InlineData(3, 0.99865010196836991)]
    public void The_normal_cdf_matches_known_values_in_both_tails(double x, double expected) => Close(expected, Normal.Cdf(x));

    [Theory]
    [InlineData(1e-10, -6.3613409024040562)]
    [InlineData(0.001, -3.0902323061678135)]
    [InlineData(0.025, -1.9599639845400542)]
    [InlineData(0.3, -0.52440051270804078)]
    [InlineData(0.975, 1.9599639845400542)]
    [InlineData(0.999, 3.0902323061678135)]
    public void The_normal_quantile_matches_known_values(double p, double expected) => Close(expected, Normal.Quantile(p), 1e-11);

    [Fact]
    public void The_normal_quantile_inverts_the_cdf()
    {
        for (double p = 0.0005; p < 1; p += 0.0137)
        {
            Close(p, Normal.Cdf(Normal.Quantile(p)), 1e-12);
        }
    }

    [Theory]
    [InlineData(3.841458820694124, 1, 0.050000000000000058)]
    [InlineData(10.827566170662733, 1, 0.00099999999999999962)]
    [InlineData(5, 3, 0.17179714429673314)]
    [InlineData(20, 10, 0.029252688076961073)]
    [InlineData(0.5, 2, 0.77880078307140487)]
    [InlineData(100, 50, 3.4549313829848639e-5)]
    public void The_chi_square_survival_function_matches_known_values(double x, double k, double expected)
    {
        Close(expected, ChiSquared.Survival(x, k), 1e-11);
        Close(1 - expected, ChiSquared.Cdf(x, k), 1e-11);
    }

    [Theory]
    [InlineData(2.0, 5, 0.94903026058507082)]
    [InlineData(-1.5, 3.7, 0.10679908460100677)]
    [InlineData(0.3, 1, 0.59277357907774234)]
    [InlineData(-4, 30, 0.00019092281804187842)]
    public void The_student_t_cdf_matches_known_values_for_whole_and_fractional_degrees_of_freedom(double t, double df, double expected) =>
        Close(expected, StudentT.Cdf(t, df), 1e-11);

    [Theory]
    [InlineData(0.975, 1, 12.706204736174705)]
    [InlineData(0.975, 5, 2.5705818356363155)]
    [InlineData(0.975, 10, 2.2281388519862747)]
    [InlineData(0.995, 3.7, 4.8692522532278294)]
    [InlineData(0.025, 28.5, -2.0467893427202686)]
    public void The_student_t_quantile_matches_known_values(double p, double df, double expected) =>
        Close(expected, StudentT.Quantile(p, df), 1e-10);

    [Theory]
    [InlineData(0.1, 2.252712651734206)]
    [InlineData(0.5, 0.57236494292470009)]
    [InlineData(3.7, 1.4280723266653879)]
    [InlineData(10, 12.80182748008147)]
    [InlineData(171.5, 709.14316303092824)]
    public void Log_gamma_matches_known_values(double x, double expected) => Close(expected, SpecialFunctions.LogGamma(x), 1e-13);

    [Fact]
    public void The_incomplete_gamma_and_beta_functions_match_known_values()
    {
        Close(0.23863473215498608, SpecialFunctions.GammaP(2.5, 1.3), 1e-12);
        Close(0.00025512249585630073, SpecialFunctions.GammaQ(7, 20), 1e-11);
        Close(0.5248, SpecialFunctions.BetaRegularized(2, 3, 0.4), 1e-12);
        Close(0.68335708497998774, SpecialFunctions.BetaRegularized(0.5, 5, 0.1), 1e-12);
        Close(0.64474800855856804, SpecialFunctions.BetaRegularized(30, 40, 0.45), 1e-11);
    }

    [Fact]
    public void Out_of_range_arguments_are_refused_with_their_name()
    {
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => Normal.Quantile(1.5)).ParamName);
        Assert.Equal("degreesOfFreedom", Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.Cdf(1, 0)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentOutOfRangeException>(() => SpecialFunctions.LogGamma(-1)).ParamName);
    }
}
