namespace Cascade.Experiments;

/// <summary>The result of a sample-ratio-mismatch check.</summary>
/// <param name="Method">Always <see cref="Methods.SrmChiSquare"/>.</param>
/// <param name="Observed">The observed unit counts per arm.</param>
/// <param name="Expected">The counts the configured shares expect.</param>
/// <param name="ChiSquare">Σ (observed − expected)² / expected.</param>
/// <param name="DegreesOfFreedom">Arms − 1.</param>
/// <param name="PValue">P(χ² ≥ statistic) under the configured shares.</param>
/// <param name="Threshold">The alarm threshold on the p-value.</param>
public sealed record SrmResult(string Method, long[] Observed, double[] Expected, double ChiSquare, int DegreesOfFreedom, double PValue, double Threshold)
{
    /// <summary>Whether the counts do not match the shares (p &lt; threshold): the experiment's results are not to be trusted.</summary>
    public bool Mismatch => PValue < Threshold;
}

/// <summary>
/// The sample-ratio-mismatch check (Fabijan et al., "Diagnosing sample ratio mismatch in online controlled
/// experiments", KDD 2019): a chi-square goodness-of-fit test of the units counted in each arm against the configured
/// traffic shares. A mismatch means assignment or logging is broken, and a verdict is blocked.
/// </summary>
public static class SampleRatioMismatch
{
    /// <summary>The default alarm threshold: p &lt; 0.001.</summary>
    public const double DefaultThreshold = 0.001;

    /// <summary>Checks <paramref name="counts"/> against <paramref name="shares"/>.</summary>
    /// <param name="counts">Units per arm (two or more arms).</param>
    /// <param name="shares">Configured share per arm; normalised to sum to 1.</param>
    /// <param name="threshold">The p-value under which the check alarms.</param>
    public static SrmResult Check(IReadOnlyList<long> counts, IReadOnlyList<double> shares, double threshold = DefaultThreshold)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(shares);
        if (counts.Count < 2 || counts.Count != shares.Count)
        {
            throw new ArgumentException($"An SRM check needs two or more arms with one share each; got {counts.Count} counts and {shares.Count} shares.", nameof(shares));
        }
        double shareSum = 0;
        foreach (double s in shares)
        {
            if (!(s > 0))
            {
                throw new ArgumentOutOfRangeException(nameof(shares), s, "Every arm's share must be above 0.");
            }
            shareSum += s;
        }
        long total = counts.Sum();
        var expected = new double[counts.Count];
        double chi = 0;
        for (int i = 0; i < counts.Count; i++)
        {
            expected[i] = total * shares[i] / shareSum;
            double d = counts[i] - expected[i];
            chi += expected[i] > 0 ? d * d / expected[i] : 0;
        }
        int df = counts.Count - 1;
        double p = total > 0 ? ChiSquared.Survival(chi, df) : 1;
        return new SrmResult(Methods.SrmChiSquare, [.. counts], expected, chi, df, p, threshold);
    }
}
