namespace Cascade.Monitoring;

/// <summary>
/// The distributions the drift tests read their p-values and critical values from: the standard normal, the
/// chi-square with a whole number of degrees of freedom and the Kolmogorov distribution. Drift tests only ever need
/// whole degrees of freedom (categories − 1, bins), so the chi-square uses its closed forms rather than the incomplete
/// gamma function. Accurate to about 1e-13 relative over the ranges the detectors use.
/// </summary>
public static class Probability
{
    private const double InvSqrtPi = 0.56418958354775628695;
    private const double InvSqrt2 = 0.70710678118654752440;

    /// <summary>Φ(<paramref name="x"/>) = P(Z ≤ x), with full relative precision in the lower tail.</summary>
    /// <param name="x">Any number.</param>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    /// <summary>1 − Φ(<paramref name="x"/>) = P(Z &gt; x), with full relative precision in the upper tail.</summary>
    /// <param name="x">Any number.</param>
    public static double NormalSurvival(double x) => 0.5 * Erfc(x * InvSqrt2);

    /// <summary>The two-sided p-value of a z statistic: P(|Z| ≥ |z|).</summary>
    /// <param name="z">The statistic.</param>
    public static double TwoSidedP(double z) => Erfc(Math.Abs(z) * InvSqrt2);

    /// <summary>Φ⁻¹(<paramref name="p"/>), by Newton's method on <see cref="NormalCdf"/> from a logistic start.</summary>
    /// <param name="p">A probability in (0, 1).</param>
    public static double NormalQuantile(double p)
    {
        if (!(p > 0 && p < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A normal quantile needs a probability strictly between 0 and 1.");
        }
        if (p > 0.5)
        {
            return -NormalQuantile(1 - p);
        }
        // Work in the lower tail, where Φ has full relative precision; the start is within 0.1 of the root.
        double x = p < 1e-8 ? -Math.Sqrt(-2 * Math.Log(p)) + 1 : Math.Log(p / (1 - p)) / 1.702;
        for (int i = 0; i < 100; i++)
        {
            double density = Math.Exp(-0.5 * x * x) * InvSqrtPi * InvSqrt2;
            double step = (NormalCdf(x) - p) / density;
            x -= Math.Clamp(step, -1, 1);
            if (Math.Abs(step) < 1e-15 * Math.Max(1, Math.Abs(x)))
            {
                break;
            }
        }
        return x;
    }

    /// <summary>erfc(<paramref name="x"/>): the power series of erf below 1.5 and the continued fraction of erfc above (both within 1e-15 relative of mpmath there).</summary>
    /// <param name="x">Any number.</param>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }
        if (x < 0)
        {
            return 2 - Erfc(-x);
        }
        if (x < 1.5)
        {
            // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)); below 1.5 the alternating terms cost at most one digit.
            double x2 = x * x;
            double power = x;
            double sum = x;
            for (int n = 1; n < 200; n++)
            {
                power *= -x2 / n;
                double term = power / ((2 * n) + 1);
                sum += term;
                if (Math.Abs(term) < 1e-17 * Math.Abs(sum))
                {
                    break;
                }
            }
            return 1 - (2 * InvSqrtPi * sum);
        }
        if (x > 27)
        {
            return 0;
        }
        // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from a deep tail backwards.
        double fraction = x;
        for (int k = 120; k >= 1; k--)
        {
            fraction = x + (k / 2.0 / fraction);
        }
        return Math.Exp(-x * x) * InvSqrtPi / fraction;
    }

    /// <summary>
    /// P(X &gt; <paramref name="x"/>) for X chi-square with <paramref name="degreesOfFreedom"/> degrees of freedom: the
    /// p-value of a chi-square statistic. Even k: e^(−x/2) Σ_{i&lt;k/2} (x/2)^i / i!; odd k: 2(1 − Φ(√x)) plus
    /// √(2x/π) e^(−x/2) Σ_{i=1}^{(k−1)/2} x^(i−1) / (1·3·…·(2i−1)).
    /// </summary>
    /// <param name="x">The statistic.</param>
    /// <param name="degreesOfFreedom">k, at least 1.</param>
    public static double ChiSquaredSurvival(double x, int degreesOfFreedom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreesOfFreedom, 1);
        if (!(x > 0))
        {
            return 1;
        }
        double half = x / 2;
        double sum = 0;
        double term;
        if (degreesOfFreedom % 2 == 0)
        {
            // Terms in log space so a large x with a large k neither overflows nor underflows early.
            double logHalf = Math.Log(half);
            double logTerm = -half;
            for (int i = 0; i < degreesOfFreedom / 2; i++)
            {
                if (i > 0)
                {
                    logTerm += logHalf - Math.Log(i);
                }
                sum += Math.Exp(logTerm);
            }
            return Math.Min(1, sum);
        }
        double root = Math.Sqrt(x);
        double tail = 2 * NormalSurvival(root);
        term = Math.Exp(Math.Log(root) - half + (0.5 * Math.Log(2 / Math.PI)));
        for (int i = 1; i <= (degreesOfFreedom - 1) / 2; i++)
        {
            if (i > 1)
            {
                term *= x / ((2 * i) - 1);
            }
            sum += term;
        }
        return Math.Min(1, tail + sum);
    }

    /// <summary>The x with P(X &gt; x) = <paramref name="p"/> for chi-square X: the critical value of a test at level p (bisection on the survival function).</summary>
    /// <param name="p">The level, in (0, 1).</param>
    /// <param name="degreesOfFreedom">k, at least 1.</param>
    public static double ChiSquaredCritical(double p, int degreesOfFreedom) =>
        InvertDecreasing(x => ChiSquaredSurvival(x, degreesOfFreedom), p, 0, degreesOfFreedom + 100 + (20 * Math.Sqrt(degreesOfFreedom)));

    /// <summary>
    /// P(K &gt; <paramref name="lambda"/>) for the Kolmogorov distribution: Q(λ) = 2 Σ_{k≥1} (−1)^(k−1) e^(−2k²λ²), the
    /// asymptotic p-value of √n·D; below λ = 0.3 it is 1 to 15 digits.
    /// </summary>
    /// <param name="lambda">The scaled statistic.</param>
    public static double KolmogorovSurvival(double lambda)
    {
        if (lambda < 0.3)
        {
            return 1;
        }
        double sum = 0;
        double sign = 1;
        for (int k = 1; k < 100; k++)
        {
            double term = Math.Exp(-2.0 * k * k * lambda * lambda);
            sum += sign * term;
            sign = -sign;
            if (term < 1e-18)
            {
                break;
            }
        }
        return Math.Clamp(2 * sum, 0, 1);
    }

    /// <summary>The λ with <see cref="KolmogorovSurvival"/>(λ) = <paramref name="p"/>.</summary>
    /// <param name="p">The level, in (0, 1).</param>
    public static double KolmogorovCritical(double p) => InvertDecreasing(KolmogorovSurvival, p, 0.3, 10);

    /// <summary>Bisection for a decreasing function f on [lo, hi]: the x with f(x) = target.</summary>
    private static double InvertDecreasing(Func<double, double> f, double target, double lo, double hi)
    {
        if (!(target > 0 && target < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "A critical value needs a level strictly between 0 and 1.");
        }
        while (f(hi) > target)
        {
            hi *= 2;
        }
        for (int i = 0; i < 200 && hi - lo > 1e-13 * Math.Max(1, hi); i++)
        {
            double mid = 0.5 * (lo + hi);
            if (f(mid) > target)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }
}
