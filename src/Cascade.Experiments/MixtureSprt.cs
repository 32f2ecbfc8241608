namespace Cascade.Experiments;

/// <summary>
/// One look of the mixture sequential probability ratio test: the estimate and its variance at this look, the mixture
/// likelihood ratio, the always-valid p-value and confidence sequence (both running over all looks so far).
/// </summary>
/// <param name="Method">Always <see cref="Methods.MixtureSprtNormal"/>.</param>
/// <param name="Estimate">The estimated difference (treatment − control) at this look.</param>
/// <param name="Variance">The variance of the estimate at this look.</param>
/// <param name="MixingVariance">τ², the variance of the normal mixing distribution over the true difference.</param>
/// <param name="LikelihoodRatio">Λ, the mixture likelihood ratio of this look against no difference.</param>
/// <param name="PValue">The always-valid p-value: min over the looks so far of min(1, 1/Λ).</param>
/// <param name="ConfidenceSequence">The always-valid interval for the difference: the intersection of every look's interval so far.</param>
/// <param name="Alpha">The level α of the test and of the confidence sequence (1 − α coverage at all looks at once).</param>
/// <param name="Looks">How many looks have been made, this one included.</param>
public sealed record SequentialResult(
    string Method,
    double Estimate,
    double Variance,
    double MixingVariance,
    double LikelihoodRatio,
    double PValue,
    Interval ConfidenceSequence,
    double Alpha,
    int Looks)
{
    /// <summary>Whether the test rejects no difference at level <see cref="Alpha"/>: the always-valid p-value is at most α.</summary>
    public bool Rejects => PValue <= Alpha;
}

/// <summary>
/// The mixture SPRT with a normal mixing distribution (Johari, Koomen, Pekelis, Walsh, "Peeking at A/B tests", KDD 2017;
/// Johari, Pekelis, Walsh, "Always valid inference", 2017). With an estimate Δ of the difference θ that is
/// approximately N(θ, V) at every look, and the mixture θ ~ N(θ₀, τ²), the likelihood ratio against θ₀ is
/// Λ = √(V/(V+τ²)) · exp(τ²(Δ−θ₀)² / (2V(V+τ²))). By Ville's inequality P(some look has Λ ≥ 1/α) ≤ α under θ₀, so
/// p = min over looks of 1/Λ is valid however often one looks, and {θ : Λ(θ) &lt; 1/α} is a confidence sequence:
/// |Δ − θ| &lt; √( V(V+τ²)/τ² · (2 ln(1/α) + ln((V+τ²)/V)) ).
/// </summary>
public static class MixtureSprt
{
    /// <summary>
    /// The default mixing standard deviation relative to the control metric: τ = 0.05 × control. The mixture's power
    /// is best for effects of the order of τ; recommendation changes move CTR by a few per cent, so the default spreads
    /// the mixture over relative lifts of about ±5 % (docs/experiments.md).
    /// </summary>
    public const double DefaultRelativeMixingSd = 0.05;

    /// <summary>The mixing variance τ² for a control metric level and a relative mixing standard deviation.</summary>
    /// <param name="controlLevel">The control arm's metric (e.g. its CTR).</param>
    /// <param name="relativeMixingSd">τ as a share of the control level.</param>
    public static double MixingVariance(double controlLevel, double relativeMixingSd = DefaultRelativeMixingSd)
    {
        double tau = relativeMixingSd * controlLevel;
        return tau * tau;
    }

    /// <summary>Makes one look; pass the previous look's result to carry the running p-value and interval.</summary>
    /// <param name="estimate">Δ at this look.</param>
    /// <param name="variance">V, the variance of Δ at this look (above 0).</param>
    /// <param name="mixingVariance">τ² (above 0).</param>
    /// <param name="alpha">The level α, in (0, 1).</param>
    /// <param name="previous">The previous look's result, or null at the first look.</param>
    /// <param name="nullValue">θ₀, the difference under the null; usually 0.</param>
    public static SequentialResult Look(double estimate, double variance, double mixingVariance, double alpha = 0.05, SequentialResult? previous = null, double nullValue = 0)
    {
        if (!(variance > 0) || double.IsInfinity(variance))
        {
            throw new ArgumentOutOfRangeException(nameof(variance), variance, "The variance of the estimate must be finite and above 0.");
        }
        if (!(mixingVariance > 0) || double.IsInfinity(mixingVariance))
        {
            throw new ArgumentOutOfRangeException(nameof(mixingVariance), mixingVariance, "The mixing variance τ² must be finite and above 0.");
        }
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must lie in (0, 1).");
        }
        double sum = variance + mixingVariance;
        double deviation = estimate - nullValue;
        double logLambda = (0.5 * Math.Log(variance / sum)) + (mixingVariance * deviation * deviation / (2 * variance * sum));
        double p = Math.Min(1, Math.Exp(-logLambda));
        double halfWidth = Math.Sqrt(variance * sum / mixingVariance * ((2 * Math.Log(1 / alpha)) + Math.Log(sum / variance)));
        var interval = Interval.Around(estimate, halfWidth);
        int looks = 1;
        if (previous is not null)
        {
            p = Math.Min(p, previous.PValue);
            interval = new Interval(Math.Max(interval.Lower, previous.ConfidenceSequence.Lower), Math.Min(interval.Upper, previous.ConfidenceSequence.Upper));
            looks = previous.Looks + 1;
        }
        return new SequentialResult(Methods.MixtureSprtNormal, estimate, variance, mixingVariance, Math.Exp(logLambda), p, interval, alpha, looks);
    }
}
