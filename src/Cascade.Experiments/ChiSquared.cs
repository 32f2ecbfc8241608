namespace Cascade.Experiments;

/// <summary>The chi-square distribution with k degrees of freedom, through the regularized incomplete gamma function.</summary>
public static class ChiSquared
{
    /// <summary>P(X ≤ <paramref name="x"/>) = P(k/2, x/2).</summary>
    /// <param name="x">The statistic, at least 0.</param>
    /// <param name="degreesOfFreedom">k, above 0.</param>
    public static double Cdf(double x, double degreesOfFreedom) =>
        x <= 0 ? 0 : SpecialFunctions.GammaP(degreesOfFreedom / 2, x / 2);

    /// <summary>P(X &gt; <paramref name="x"/>) = Q(k/2, x/2): the p-value of a chi-square statistic.</summary>
    /// <param name="x">The statistic, at least 0.</param>
    /// <param name="degreesOfFreedom">k, above 0.</param>
    public static double Survival(double x, double degreesOfFreedom) =>
        x <= 0 ? 1 : SpecialFunctions.GammaQ(degreesOfFreedom / 2, x / 2);
}
