namespace Cascade.Experiments;

/// <summary>Student's t distribution with ν degrees of freedom (ν may be fractional, as Welch's is).</summary>
public static class StudentT
{
    /// <summary>P(T ≤ <paramref name="t"/>), from P(|T| &gt; |t|) = I_{ν/(ν+t²)}(ν/2, ½).</summary>
    /// <param name="t">Any number.</param>
    /// <param name="degreesOfFreedom">ν, above 0; infinity gives the normal.</param>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Student's t needs degrees of freedom above 0.");
        }
        if (double.IsNaN(t))
        {
            return double.NaN;
        }
        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return Normal.Cdf(t);
        }
        if (double.IsInfinity(t))
        {
            return t > 0 ? 1 : 0;
        }
        double tail = 0.5 * SpecialFunctions.BetaRegularized(degreesOfFreedom / 2, 0.5, degreesOfFreedom / (degreesOfFreedom + (t * t)));
        return t < 0 ? tail : 1 - tail;
    }

    /// <summary>P(|T| ≥ |<paramref name="t"/>|): the two-sided p-value of a t statistic.</summary>
    /// <param name="t">The statistic.</param>
    /// <param name="degreesOfFreedom">ν, above 0.</param>
    public static double TwoSidedPValue(double t, double degreesOfFreedom) => Math.Min(1, 2 * Cdf(-Math.Abs(t), degreesOfFreedom));

    /// <summary>The t with P(T ≤ t) = <paramref name="p"/>: Newton steps on the CDF from the normal quantile, kept inside a bisection bracket.</summary>
    /// <param name="p">A probability in (0, 1).</param>
    /// <param name="degreesOfFreedom">ν, above 0.</param>
    public static double Quantile(double p, double degreesOfFreedom)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A t quantile needs a probability in (0, 1).");
        }
        if (!(degreesOfFreedom > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "Student's t needs degrees of freedom above 0.");
        }
        if (double.IsPositiveInfinity(degreesOfFreedom))
        {
            return Normal.Quantile(p);
        }
        if (p > 0.5)
        {
            return -Quantile(1 - p, degreesOfFreedom);
        }
        if (p == 0.5)
        {
            return 0;
        }
        // Bracket [lo, 0] with Cdf(lo) < p by doubling, then Newton inside the bracket.
        double lo = Math.Min(-1, 2 * Normal.Quantile(p));
        while (Cdf(lo, degreesOfFreedom) > p)
        {
            lo *= 2;
        }
        double hi = 0;
        double x = Math.Max(lo, Math.Min(hi, Normal.Quantile(p)));
        double logNorm = SpecialFunctions.LogGamma((degreesOfFreedom + 1) / 2) - SpecialFunctions.LogGamma(degreesOfFreedom / 2) - (0.5 * Math.Log(degreesOfFreedom * Math.PI));
        for (int i = 0; i < 200; i++)
        {
            double f = Cdf(x, degreesOfFreedom) - p;
            if (f > 0)
            {
                hi = x;
            }
            else
            {
                lo = x;
            }
            double density = Math.Exp(logNorm - ((degreesOfFreedom + 1) / 2 * Math.Log(1 + (x * x / degreesOfFreedom))));
            double next = x - (f / density);
            if (!(next > lo && next < hi))
            {
                next = (lo + hi) / 2;
            }
            if (Math.Abs(next - x) <= 1e-14 * Math.Max(1, Math.Abs(x)))
            {
                return next;
            }
            x = next;
        }
        return x;
    }
}
