namespace Cascade.Experiments;

/// <summary>
/// A treatment-versus-control comparison of one metric: the estimates, the absolute lift (treatment − control) and the
/// relative lift (treatment / control − 1) with their intervals, the test statistic and its two-sided p-value.
/// </summary>
/// <param name="Method">Which method made it (<see cref="Methods"/>).</param>
/// <param name="ControlEstimate">The control arm's estimate of the metric.</param>
/// <param name="TreatmentEstimate">The treatment arm's estimate.</param>
/// <param name="AbsoluteLift">Treatment − control.</param>
/// <param name="AbsoluteInterval">The confidence interval of the absolute lift.</param>
/// <param name="StandardError">The standard error of the absolute lift.</param>
/// <param name="RelativeLift">Treatment / control − 1.</param>
/// <param name="RelativeInterval">The confidence interval of the relative lift (delta method on the ratio of the estimates).</param>
/// <param name="Statistic">The test statistic (t or z).</param>
/// <param name="DegreesOfFreedom">The degrees of freedom of a t statistic; null for z.</param>
/// <param name="PValue">The two-sided p-value of no difference.</param>
/// <param name="ConfidenceLevel">The level of the intervals, e.g. 0.95.</param>
public sealed record ComparisonResult(
    string Method,
    double ControlEstimate,
    double TreatmentEstimate,
    double AbsoluteLift,
    Interval AbsoluteInterval,
    double StandardError,
    double RelativeLift,
    Interval RelativeInterval,
    double Statistic,
    double? DegreesOfFreedom,
    double PValue,
    double ConfidenceLevel)
{
    /// <summary>
    /// Builds a comparison from two independent estimates and the variances of those estimates; the statistic is
    /// referred to Student's t with <paramref name="degreesOfFreedom"/> or, when null, to the standard normal.
    /// </summary>
    /// <param name="method">Which method made it.</param>
    /// <param name="control">The control estimate.</param>
    /// <param name="controlVariance">The variance of the control estimate.</param>
    /// <param name="treatment">The treatment estimate.</param>
    /// <param name="treatmentVariance">The variance of the treatment estimate.</param>
    /// <param name="confidenceLevel">The interval level, in (0, 1).</param>
    /// <param name="degreesOfFreedom">Degrees of freedom for t; null for z.</param>
    /// <param name="testStandardError">The standard error for the test statistic when it differs from the interval's (the pooled one of the two-proportion test); null to use the interval's.</param>
    public static ComparisonResult FromEstimates(string method, double control, double controlVariance, double treatment, double treatmentVariance,
        double confidenceLevel, double? degreesOfFreedom = null, double? testStandardError = null)
    {
        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "The confidence level must lie in (0, 1), e.g. 0.95.");
        }
        double upperTail = 1 - ((1 - confidenceLevel) / 2);
        double critical = degreesOfFreedom is { } df ? StudentT.Quantile(upperTail, df) : Normal.Quantile(upperTail);
        double lift = treatment - control;
        double se = Math.Sqrt(controlVariance + treatmentVariance);
        double testSe = testStandardError ?? se;
        double statistic = testSe > 0 ? lift / testSe : (lift == 0 ? 0 : Math.Sign(lift) * double.PositiveInfinity);
        double p = degreesOfFreedom is { } d ? StudentT.TwoSidedPValue(statistic, d) : Math.Min(1, 2 * Normal.Survival(Math.Abs(statistic)));
        // Relative lift r = T/C − 1; delta method: Var(T/C) ≈ Var(T)/C² + T² Var(C)/C⁴ (independent arms).
        double relative = control != 0 ? (treatment / control) - 1 : double.NaN;
        double relativeSe = control != 0
            ? Math.Sqrt((treatmentVariance / (control * control)) + (treatment * treatment * controlVariance / Math.Pow(control, 4)))
            : double.NaN;
        return new ComparisonResult(method, control, treatment, lift, Interval.Around(lift, critical * se), se,
            relative, Interval.Around(relative, critical * relativeSe), statistic, degreesOfFreedom, p, confidenceLevel);
    }

    /// <summary>Whether the p-value is below <paramref name="alpha"/>.</summary>
    /// <param name="alpha">The significance level.</param>
    public bool IsSignificant(double alpha) => PValue < alpha;
}
