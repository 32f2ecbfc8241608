using Cascade.Core;

namespace Cascade.Experiments;

/// <summary>The simulator's settings; defaults in one place, checked by <see cref="Validate"/>.</summary>
public sealed record SimulationOptions
{
    /// <summary>Simulated experiments. Default 1000.</summary>
    public int Runs { get; init; } = 1000;

    /// <summary>Days each experiment runs; the analysis looks once a day. Default 30.</summary>
    public int Days { get; init; } = 30;

    /// <summary>Users in each experiment (before the holdout of none). Default 10,000.</summary>
    public int Users { get; init; } = 10_000;

    /// <summary>
    /// Injected sample-ratio mismatch S: a share S of all units is moved from arm A to arm B after assignment (each
    /// unit assigned to A moves with probability 2S), so the configured 50 % / 50 % becomes (50 − 100S) % / (50 + 100S) %:
    /// S = 0.01 gives 49 % / 51 %. In [0, 0.5). Default 0.
    /// </summary>
    public double Srm { get; init; }

    /// <summary>The seed; the same seed and settings give the same figures. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>α of every test (two-sided). Default 0.05.</summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>The mSPRT mixing standard deviation relative to the control CTR. Default <see cref="MixtureSprt.DefaultRelativeMixingSd"/>.</summary>
    public double RelativeMixingSd { get; init; } = MixtureSprt.DefaultRelativeMixingSd;

    /// <summary>Worker threads; 0 for one per core. Default 0.</summary>
    public int Parallelism { get; init; }

    /// <summary>Checks every setting and returns this.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public SimulationOptions Validate()
    {
        Guard.Positive(Runs);
        Guard.Positive(Days);
        Guard.AtLeast(Users, 4);
        Guard.InRange(Srm, 0, 0.5, maxExclusive: true);
        Guard.InRange(Alpha, 0, 1, minExclusive: true, maxExclusive: true);
        Guard.Positive(RelativeMixingSd);
        Guard.NonNegative(Parallelism);
        return this;
    }
}
