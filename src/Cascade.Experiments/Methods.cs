namespace Cascade.Experiments;

/// <summary>The names results carry in their <c>Method</c>, so every number says which method made it (docs/experiments.md describes each).</summary>
public static class Methods
{
    /// <summary>Welch's unequal-variance t test for a difference of means.</summary>
    public const string WelchT = "welch-t";

    /// <summary>The two-proportion z test (pooled standard error for the p-value, unpooled for the interval).</summary>
    public const string TwoProportionZ = "two-proportion-z";

    /// <summary>A ratio metric (sum of numerators over sum of denominators per unit) with the delta-method variance, z test.</summary>
    public const string DeltaMethod = "delta-method";

    /// <summary>The mixture sequential probability ratio test with a normal mixing distribution: always-valid p-value and confidence sequence.</summary>
    public const string MixtureSprtNormal = "msprt-normal-mixture";

    /// <summary>CUPED: the metric adjusted by a pre-period covariate, z test on the adjusted estimates.</summary>
    public const string Cuped = "cuped";

    /// <summary>Sample-ratio mismatch: chi-square goodness of fit of the unit counts to the configured shares.</summary>
    public const string SrmChiSquare = "srm-chi2";

    /// <summary>Holm's step-down family-wise error correction.</summary>
    public const string Holm = "holm";

    /// <summary>The Benjamini–Hochberg step-up false-discovery-rate correction.</summary>
    public const string BenjaminiHochberg = "benjamini-hochberg";

    /// <summary>Inverse propensity scoring.</summary>
    public const string Ips = "ips";

    /// <summary>Self-normalised inverse propensity scoring.</summary>
    public const string SelfNormalizedIps = "snips";

    /// <summary>The doubly robust estimator (a reward model plus an importance-weighted correction).</summary>
    public const string DoublyRobust = "doubly-robust";
}
