namespace Cascade.Experiments;

/// <summary>Fixed-horizon tests, valid when the data are looked at once, at a sample size fixed in advance.</summary>
public static class FixedHorizon
{
    /// <summary>The default confidence level of intervals.</summary>
    public const double DefaultConfidence = 0.95;

    /// <summary>
    /// Welch's t test of a difference in means (unequal variances), with the Welch–Satterthwaite degrees of freedom
    /// ν = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁−1) + (s₂²/n₂)²/(n₂−1)); the intervals use t at ν.
    /// </summary>
    /// <param name="control">The control arm's per-unit values, summarised.</param>
    /// <param name="treatment">The treatment arm's.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    public static ComparisonResult WelchT(SampleSummary control, SampleSummary treatment, double confidenceLevel = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(treatment);
        if (control.Count < 2 || treatment.Count < 2)
        {
            throw new ArgumentException($"Welch's t test needs at least 2 units per arm; got {control.Count} and {treatment.Count}.", nameof(control));
        }
        double vc = control.VarianceOfMean;
        double vt = treatment.VarianceOfMean;
        double denominator = (vc * vc / (control.Count - 1)) + (vt * vt / (treatment.Count - 1));
        double df = denominator > 0 ? (vc + vt) * (vc + vt) / denominator : control.Count + treatment.Count - 2;
        return ComparisonResult.FromEstimates(Methods.WelchT, control.Mean, vc, treatment.Mean, vt, confidenceLevel, df);
    }

    /// <summary>
    /// The two-proportion z test: z = (p̂₂ − p̂₁) / √(p̄(1−p̄)(1/n₁ + 1/n₂)) with the pooled p̄ for the p-value, and the
    /// unpooled standard error √(p̂₁(1−p̂₁)/n₁ + p̂₂(1−p̂₂)/n₂) for the intervals (Wald).
    /// </summary>
    /// <param name="controlSuccesses">Successes in control.</param>
    /// <param name="controlTrials">Trials in control, at least 1.</param>
    /// <param name="treatmentSuccesses">Successes in treatment.</param>
    /// <param name="treatmentTrials">Trials in treatment, at least 1.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    public static ComparisonResult TwoProportionZ(long controlSuccesses, long controlTrials, long treatmentSuccesses, long treatmentTrials, double confidenceLevel = DefaultConfidence)
    {
        CheckProportion(controlSuccesses, controlTrials, nameof(controlSuccesses));
        CheckProportion(treatmentSuccesses, treatmentTrials, nameof(treatmentSuccesses));
        double p1 = (double)controlSuccesses / controlTrials;
        double p2 = (double)treatmentSuccesses / treatmentTrials;
        double pooled = (double)(controlSuccesses + treatmentSuccesses) / (controlTrials + treatmentTrials);
        double pooledSe = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / controlTrials) + (1.0 / treatmentTrials)));
        return ComparisonResult.FromEstimates(Methods.TwoProportionZ, p1, p1 * (1 - p1) / controlTrials, p2, p2 * (1 - p2) / treatmentTrials,
            confidenceLevel, degreesOfFreedom: null, testStandardError: pooledSe);
    }

    private static void CheckProportion(long successes, long trials, string name)
    {
        if (trials < 1 || successes < 0 || successes > trials)
        {
            throw new ArgumentOutOfRangeException(name, $"A proportion needs 0 <= successes <= trials and trials >= 1; got {successes} of {trials}.");
        }
    }
}
