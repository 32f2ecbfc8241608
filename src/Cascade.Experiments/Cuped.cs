namespace Cascade.Experiments;

/// <summary>
/// The per-unit data of one arm for CUPED: the arm's estimate of the metric, the per-unit values whose mean deviation
/// drives it (the values themselves for a mean metric; <see cref="RatioSummary.Linearize"/> for a ratio metric), and
/// each unit's pre-experiment covariate.
/// </summary>
/// <param name="Estimate">The arm's metric estimate (a mean, or a ratio Σx/Σy).</param>
/// <param name="Values">Per-unit values: Var(values)/n is the variance of <paramref name="Estimate"/>.</param>
/// <param name="Covariates">Per-unit pre-period covariates, aligned with <paramref name="Values"/>.</param>
public sealed record CupedArm(double Estimate, double[] Values, double[] Covariates)
{
    /// <summary>A mean metric: the estimate is the mean of <paramref name="values"/>.</summary>
    /// <param name="values">Per-unit metric values.</param>
    /// <param name="covariates">Per-unit pre-period covariates.</param>
    public static CupedArm ForMean(double[] values, double[] covariates) => new(values.Average(), values, covariates);

    /// <summary>A ratio metric Σx/Σy: the estimate is the ratio and the values its linearisation.</summary>
    /// <param name="numerators">Per-unit numerators (clicks).</param>
    /// <param name="denominators">Per-unit denominators (impressions).</param>
    /// <param name="covariates">Per-unit pre-period covariates.</param>
    public static CupedArm ForRatio(double[] numerators, double[] denominators, double[] covariates)
    {
        var summary = RatioSummary.FromUnits(numerators, denominators);
        return new CupedArm(summary.Ratio, RatioSummary.Linearize(numerators, denominators, summary.Ratio), covariates);
    }
}

/// <summary>A CUPED comparison: θ, the variance reduction it bought, and the comparison on the adjusted estimates.</summary>
/// <param name="Method">Always <see cref="Methods.Cuped"/>.</param>
/// <param name="Theta">θ = cov(Y, X) / var(X), pooled within arms.</param>
/// <param name="VarianceReduction">1 − Var(adjusted difference) / Var(unadjusted difference).</param>
/// <param name="Comparison">The z comparison of the adjusted estimates.</param>
public sealed record CupedResult(string Method, double Theta, double VarianceReduction, ComparisonResult Comparison);

/// <summary>
/// CUPED (Deng, Xu, Kohavi, Walker, "Improving the sensitivity of online controlled experiments by utilizing
/// pre-experiment data", WSDM 2013): each arm's estimate becomes Ŷ − θ(X̄_arm − X̄), with X the pre-period covariate,
/// X̄ its mean over both arms and θ = cov(Y, X)/var(X) pooled within arms. The covariate is unaffected by the treatment,
/// so the adjustment is unbiased; the variance of each arm's estimate falls by the factor 1 − ρ².
/// </summary>
public static class Cuped
{
    /// <summary>Compares two arms with CUPED.</summary>
    /// <param name="control">The control arm.</param>
    /// <param name="treatment">The treatment arm.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    public static CupedResult Compare(CupedArm control, CupedArm treatment, double confidenceLevel = FixedHorizon.DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(treatment);
        Check(control, nameof(control));
        Check(treatment, nameof(treatment));
        var c = Moments.Of(control);
        var t = Moments.Of(treatment);
        double covariateVariance = c.Sxx + t.Sxx;
        double theta = covariateVariance > 0 ? (c.Sxy + t.Sxy) / covariateVariance : 0;
        double pooledMean = ((c.MeanX * c.N) + (t.MeanX * t.N)) / (c.N + t.N);
        double controlAdjusted = control.Estimate - (theta * (c.MeanX - pooledMean));
        double treatmentAdjusted = treatment.Estimate - (theta * (t.MeanX - pooledMean));
        double controlVariance = c.AdjustedVariance(theta) / c.N;
        double treatmentVariance = t.AdjustedVariance(theta) / t.N;
        double unadjusted = (c.Syy / (c.N - 1) / c.N) + (t.Syy / (t.N - 1) / t.N);
        double reduction = unadjusted > 0 ? 1 - ((controlVariance + treatmentVariance) / unadjusted) : 0;
        var comparison = ComparisonResult.FromEstimates(Methods.Cuped, controlAdjusted, controlVariance, treatmentAdjusted, treatmentVariance, confidenceLevel);
        return new CupedResult(Methods.Cuped, theta, reduction, comparison);
    }

    private static void Check(CupedArm arm, string name)
    {
        if (arm.Values.Length != arm.Covariates.Length || arm.Values.Length < 2)
        {
            throw new ArgumentException($"CUPED needs at least 2 units and one covariate per value; {name} has {arm.Values.Length} values and {arm.Covariates.Length} covariates.", name);
        }
    }

    /// <summary>Centred sums of one arm: Σ(y−ȳ)², Σ(x−x̄)², Σ(x−x̄)(y−ȳ).</summary>
    private readonly record struct Moments(int N, double MeanX, double Syy, double Sxx, double Sxy)
    {
        public static Moments Of(CupedArm arm)
        {
            int n = arm.Values.Length;
            double meanY = 0, meanX = 0;
            for (int i = 0; i < n; i++)
            {
                meanY += arm.Values[i];
                meanX += arm.Covariates[i];
            }
            meanY /= n;
            meanX /= n;
            double syy = 0, sxx = 0, sxy = 0;
            for (int i = 0; i < n; i++)
            {
                double dy = arm.Values[i] - meanY;
                double dx = arm.Covariates[i] - meanX;
                syy += dy * dy;
                sxx += dx * dx;
                sxy += dx * dy;
            }
            return new Moments(n, meanX, syy, sxx, sxy);
        }

        /// <summary>The sample variance of y − θx.</summary>
        public double AdjustedVariance(double theta) => Math.Max(0, Syy - (2 * theta * Sxy) + (theta * theta * Sxx)) / (N - 1);
    }
}
