namespace Cascade.Experiments;

/// <summary>Ratio metrics (CTR = Σ clicks / Σ impressions over the arm's users) compared with the delta-method variance.</summary>
public static class RatioMetric
{
    /// <summary>
    /// Compares two arms' ratios with a z test on R_T − R_C, Var = Var(R_T) + Var(R_C) from the delta method; the
    /// relative lift's interval applies the delta method once more to R_T / R_C.
    /// </summary>
    /// <param name="control">The control arm's sums.</param>
    /// <param name="treatment">The treatment arm's sums.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    public static ComparisonResult Compare(RatioSummary control, RatioSummary treatment, double confidenceLevel = FixedHorizon.DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(treatment);
        if (control.Units < 2 || treatment.Units < 2 || !(control.SumDenominator > 0) || !(treatment.SumDenominator > 0))
        {
            throw new ArgumentException($"A ratio metric needs at least 2 units and a positive denominator per arm; got {control.Units} units (Σ {control.SumDenominator}) and {treatment.Units} units (Σ {treatment.SumDenominator}).", nameof(control));
        }
        return ComparisonResult.FromEstimates(Methods.DeltaMethod, control.Ratio, control.VarianceOfRatio, treatment.Ratio, treatment.VarianceOfRatio, confidenceLevel);
    }
}
