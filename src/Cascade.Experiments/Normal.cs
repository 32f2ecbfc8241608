namespace Cascade.Experiments;

/// <summary>The standard normal distribution: CDF, survival function and quantile.</summary>
public static class Normal
{
    // Acklam's rational approximation of the quantile (relative error below 1.15e-9), refined by one Halley step.
    private static readonly double[] A = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
    private static readonly double[] B = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
    private static readonly double[] C = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
    private static readonly double[] D = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
    private const double LowBreak = 0.02425;

    /// <summary>Φ(<paramref name="x"/>) = P(Z ≤ x), through erfc(t) = Q(½, t²), so both tails keep full relative precision.</summary>
    /// <param name="x">Any number.</param>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }
        if (double.IsInfinity(x))
        {
            return x > 0 ? 1 : 0;
        }
        double half = 0.5 * SpecialFunctions.GammaQ(0.5, x * x / 2);
        return x < 0 ? half : 1 - half;
    }

    /// <summary>1 − Φ(<paramref name="x"/>) = P(Z &gt; x), precise in the upper tail.</summary>
    /// <param name="x">Any number.</param>
    public static double Survival(double x) => Cdf(-x);

    /// <summary>The density φ(<paramref name="x"/>).</summary>
    /// <param name="x">Any number.</param>
    public static double Density(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>Φ⁻¹(<paramref name="p"/>): the z with Φ(z) = p.</summary>
    /// <param name="p">A probability in (0, 1); 0 and 1 give −∞ and +∞.</param>
    public static double Quantile(double p)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A normal quantile needs a probability in [0, 1].");
        }
        if (p == 0)
        {
            return double.NegativeInfinity;
        }
        if (p == 1)
        {
            return double.PositiveInfinity;
        }
        double x;
        if (p < LowBreak)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            x = (((((((((C[0] * q) + C[1]) * q) + C[2]) * q) + C[3]) * q) + C[4]) * q + C[5]) / ((((((((D[0] * q) + D[1]) * q) + D[2]) * q) + D[3]) * q) + 1);
        }
        else if (p <= 1 - LowBreak)
        {
            double q = p - 0.5;
            double r = q * q;
            x = (((((((((A[0] * r) + A[1]) * r) + A[2]) * r) + A[3]) * r) + A[4]) * r + A[5]) * q / ((((((((((B[0] * r) + B[1]) * r) + B[2]) * r) + B[3]) * r) + B[4]) * r) + 1);
        }
        else
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            x = -(((((((((C[0] * q) + C[1]) * q) + C[2]) * q) + C[3]) * q) + C[4]) * q + C[5]) / ((((((((D[0] * q) + D[1]) * q) + D[2]) * q) + D[3]) * q) + 1);
        }
        // One Halley step on Φ(x) − p brings the error to the precision of Φ itself.
        double error = x < 0 ? Cdf(x) - p : -(Survival(x) - (1 - p));
        double u = error * Math.Sqrt(2 * Math.PI) * Math.Exp(x * x / 2);
        return x - (u / (1 + (x * u / 2)));
    }
}
