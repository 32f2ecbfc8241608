using Cascade.Core;

namespace Cascade.Monitoring;

/// <summary>What the simulator changes at the injection window.</summary>
public enum ShiftKind
{
    /// <summary>Nothing: every alarm is a false alarm.</summary>
    None,

    /// <summary>One numeric feature's distribution moves by <see cref="DriftSimulationOptions.CovariateShift"/> standard deviations (the feature rotates with the run).</summary>
    Covariate,

    /// <summary>The click model changes while the inputs and the ranker stay: the ranker's scores are no longer right.</summary>
    Concept,

    /// <summary>The served lists lean on popular items: the popular share of slots rises from <see cref="DriftSimulationOptions.PopularShare"/> to <see cref="DriftSimulationOptions.ShiftedPopularShare"/>.</summary>
    Popularity,
}

/// <summary>The drift simulator's settings; defaults in one place, checked by <see cref="Validate"/>.</summary>
public sealed record DriftSimulationOptions
{
    /// <summary>Simulated days of hourly windows per run. Default 30 (720 windows).</summary>
    public int Days { get; init; } = 30;

    /// <summary>What changes at <see cref="InjectAt"/>. Default none.</summary>
    public ShiftKind Shift { get; init; } = ShiftKind.None;

    /// <summary>Independent runs (each with its own reference and traffic). Default 10.</summary>
    public int Runs { get; init; } = 10;

    /// <summary>The seed; the same seed and settings give the same figures. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Mean impressions per hourly window (Poisson), served as lists of <see cref="ListLength"/>. Default 5,000: about
    /// 120,000 impressions a day, a small production deployment; detection power grows with it.
    /// </summary>
    public int EventsPerWindow { get; init; } = 5000;

    /// <summary>Items per served list. Default 10.</summary>
    public int ListLength { get; init; } = 10;

    /// <summary>Items in the catalog (Zipf popularity, exponent 1). Default 5,000.</summary>
    public int CatalogSize { get; init; } = 5000;

    /// <summary>Hourly windows of unshifted traffic the reference is built from (the "training snapshot"). Default 48.</summary>
    public int ReferenceWindows { get; init; } = 48;

    /// <summary>The window (0-based) from which the shift applies; null for the middle of the run. Default null.</summary>
    public int? InjectAt { get; init; }

    /// <summary>The covariate shift: the shifted feature's latent normal moves by this many standard deviations. Default 0.1 (a 10 % shift).</summary>
    public double CovariateShift { get; init; } = 0.1;

    /// <summary>The share of served slots filled from the popularity distribution (the rest from the user's own segment). Default 0.3.</summary>
    public double PopularShare { get; init; } = 0.3;

    /// <summary>The same after a popularity shift. Default 0.4.</summary>
    public double ShiftedPopularShare { get; init; } = 0.4;

    /// <summary>Worker threads over runs; 0 for one per core. Default 0.</summary>
    public int Parallelism { get; init; }

    /// <summary>The detectors' settings. Default <see cref="DriftOptions"/>' defaults.</summary>
    public DriftOptions Drift { get; init; } = new();

    /// <summary>Hourly windows per run.</summary>
    public int Windows => Days * 24;

    /// <summary>The window the shift starts at: <see cref="InjectAt"/>, or the middle of the run.</summary>
    public int InjectionWindow => InjectAt ?? (Windows / 2);

    /// <summary>Checks every setting and returns this.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public DriftSimulationOptions Validate()
    {
        Guard.Positive(Days);
        Guard.InRange((long)Shift, 0, 3, nameof(Shift));
        Guard.Positive(Runs);
        Guard.AtLeast(EventsPerWindow, 100);
        Guard.InRange(ListLength, 1, 100);
        Guard.AtLeast(CatalogSize, 300);
        Guard.AtLeast(ReferenceWindows, 2);
        if (InjectAt is { } at)
        {
            Guard.InRange(at, 0, Windows - 1, nameof(InjectAt));
        }
        Guard.Positive(CovariateShift);
        Guard.InRange(PopularShare, 0, 1);
        Guard.InRange(ShiftedPopularShare, 0, 1);
        Guard.NonNegative(Parallelism);
        ArgumentNullException.ThrowIfNull(Drift);
        Drift.Validate();
        return this;
    }
}
