using Cascade.Core;

namespace Cascade.Monitoring;

/// <summary>
/// The settings of drift detection, defaults in one place, checked by <see cref="Validate"/>. The defaults are
/// calibrated by <see cref="DriftSimulator"/> at hourly windows of about 5,000 impressions (docs/monitoring.md): every
/// test runs at <see cref="Alpha"/> = 10⁻⁴ per window, so a signal with three tests over 720 hourly windows (30 days)
/// expects at most 3 × 720 × 10⁻⁴ ≈ 0.22 false alarms (Bonferroni bound), while a 0.1 σ move of one feature's
/// distribution still crosses the Kolmogorov–Smirnov threshold in most single windows.
/// </summary>
public sealed record DriftOptions
{
    /// <summary>
    /// The length of a monitoring window, for whatever cuts the log into windows (the monitor judges the window it is
    /// given; its served-list and event baselines assume windows of this length). Default one hour.
    /// </summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The per-window level of every test whose crossing means drift. Default 10⁻⁴.</summary>
    public double Alpha { get; init; } = 1e-4;

    /// <summary>The per-window level of the same tests whose crossing means warning. Default 10⁻².</summary>
    public double WarningAlpha { get; init; } = 1e-2;

    /// <summary>Consecutive windows a signal must cross its drift threshold before its status is drift (the windows before read warning). Default 1.</summary>
    public int ConsecutiveWindows { get; init; } = 1;

    /// <summary>Values (or joined impressions, or served lists) a window needs before a signal is judged; fewer read insufficient-data. Default 500.</summary>
    public int MinSamples { get; init; } = 500;

    /// <summary>Served lists a window needs before the served-list metrics are judged. Default 50.</summary>
    public int MinLists { get; init; } = 50;

    /// <summary>Clicks and non-clicks each a window needs before AUC and calibration are judged. Default 30.</summary>
    public int MinClicks { get; init; } = 30;

    /// <summary>Quantile bins of a numeric feature for PSI. Default 10.</summary>
    public int PsiBins { get; init; } = 10;

    /// <summary>The share an empty PSI bin is given on either side, so ln(p/q) stays finite. Default 10⁻⁴.</summary>
    public double PsiEpsilon { get; init; } = 1e-4;

    /// <summary>PSI at or above which a feature warns. Default 0.1 (the usual "moderate shift").</summary>
    public double PsiWarning { get; init; } = 0.1;

    /// <summary>PSI at or above which a feature drifts. Default 0.25 (the usual "major shift").</summary>
    public double PsiDrift { get; init; } = 0.25;

    /// <summary>
    /// Window size from which effect sizes (normalised Wasserstein, Jensen–Shannon) replace the Kolmogorov–Smirnov and
    /// chi-square tests: at millions of values every test rejects for shifts too small to matter. Default 200,000.
    /// </summary>
    public int LargeWindow { get; init; } = 200_000;

    /// <summary>Wasserstein-1 distance over the reference standard deviation at or above which a large window drifts. Default 0.1 (a 0.1 σ move).</summary>
    public double WassersteinDrift { get; init; } = 0.1;

    /// <summary>The same for warning. Default 0.05.</summary>
    public double WassersteinWarning { get; init; } = 0.05;

    /// <summary>Jensen–Shannon distance (base 2, in [0, 1]) at or above which a large window drifts. Default 0.1.</summary>
    public double JensenShannonDrift { get; init; } = 0.1;

    /// <summary>The same for warning. Default 0.05.</summary>
    public double JensenShannonWarning { get; init; } = 0.05;

    /// <summary>The smallest rise of the missing-value rate over the reference's that may count as drift, whatever the test says. Default 0.01.</summary>
    public double MissingRateMinIncrease { get; init; } = 0.01;

    /// <summary>The unknown-category rate (values the reference never saw) at or above which a categorical feature drifts. Default 0.05.</summary>
    public double UnknownRateDrift { get; init; } = 0.05;

    /// <summary>The same for warning. Default 0.01.</summary>
    public double UnknownRateWarning { get; init; } = 0.01;

    /// <summary>
    /// Served-list metrics and event rates are compared with their mean and standard deviation over the reference's
    /// windows: |x − mean| / sd at or above this drifts. Default 5 (with 48 reference windows about 10⁻⁵ per window).
    /// </summary>
    public double BaselineSigmas { get; init; } = 5;

    /// <summary>The same for warning. Default 3.</summary>
    public double BaselineWarningSigmas { get; init; } = 3;

    /// <summary>Pairs of served lists sampled for personalisation. Default 500.</summary>
    public int PersonalisationPairs { get; init; } = 500;

    /// <summary>Equal-width bins of the predicted CTR for ECE and the calibration test. Default 10.</summary>
    public int CalibrationBins { get; init; } = 10;

    /// <summary>Points of the quantile sketch a numeric reference keeps for KS and Wasserstein. Default 1,001 (every 0.1 %).</summary>
    public int QuantilePoints { get; init; } = 1001;

    /// <summary>The most categories a categorical reference keeps; rarer ones are pooled. Default 200.</summary>
    public int MaxCategories { get; init; } = 200;

    /// <summary>Checks every setting and returns this.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public DriftOptions Validate()
    {
        Guard.Positive(Window);
        Guard.InRange(Alpha, 0, 1, minExclusive: true, maxExclusive: true);
        Guard.InRange(WarningAlpha, Alpha, 1, maxExclusive: true);
        Guard.Positive(ConsecutiveWindows);
        Guard.Positive(MinSamples);
        Guard.Positive(MinClicks);
        Guard.AtLeast(MinLists, 2);
        Guard.AtLeast(PsiBins, 2);
        Guard.InRange(PsiEpsilon, 0, 0.1, minExclusive: true);
        Guard.Positive(PsiWarning);
        Guard.InRange(PsiDrift, PsiWarning, double.MaxValue);
        Guard.AtLeast(LargeWindow, MinSamples);
        Guard.Positive(WassersteinWarning);
        Guard.InRange(WassersteinDrift, WassersteinWarning, double.MaxValue);
        Guard.InRange(JensenShannonWarning, 0, 1, minExclusive: true);
        Guard.InRange(JensenShannonDrift, JensenShannonWarning, 1);
        Guard.InRange(MissingRateMinIncrease, 0, 1);
        Guard.InRange(UnknownRateWarning, 0, 1, minExclusive: true);
        Guard.InRange(UnknownRateDrift, UnknownRateWarning, 1);
        Guard.Positive(BaselineWarningSigmas);
        Guard.InRange(BaselineSigmas, BaselineWarningSigmas, double.MaxValue);
        Guard.Positive(PersonalisationPairs);
        Guard.AtLeast(CalibrationBins, 2);
        Guard.AtLeast(QuantilePoints, 11);
        Guard.AtLeast(MaxCategories, 2);
        return this;
    }
}
