using Cascade.Core;

namespace Cascade.Models.Factorisation;

/// <summary>How implicit ALS solves each user's (and item's) regularised least-squares system.</summary>
public enum AlsSolver
{
    /// <summary>A few conjugate-gradient steps warm-started from the previous factors (Takács et al. 2011; the implicit library's default). O(f² + f·nnz) per row and step.</summary>
    ConjugateGradient = 0,

    /// <summary>The exact solution by Cholesky factorisation of the f × f system (Hu, Koren and Volinsky 2008). O(f²·nnz + f³) per row; the reference.</summary>
    Cholesky = 1,
}

/// <summary>Options of <see cref="ImplicitAls"/>; defaults are defined here only, chosen across data sets (docs/benchmarks.md, "Model defaults across data sets").</summary>
public sealed record ImplicitAlsOptions
{
    /// <summary>Number of latent factors (default 128).</summary>
    public int Factors { get; init; } = 128;

    /// <summary>Alternating sweeps (users then items); the most when early stopping is on (default 15).</summary>
    public int Iterations { get; init; } = 15;

    /// <summary>L2 regularisation λ of user and item factors (default 50).</summary>
    public double Regularisation { get; init; } = 50;

    /// <summary>Confidence scale α: an observed entry of value v has confidence 1 + α·v (default 5).</summary>
    public double Alpha { get; init; } = 5;

    /// <summary>Use the interaction values in the confidence; false treats every entry as value 1 (default false).</summary>
    public bool UseValues { get; init; }

    /// <summary>The per-row solver (default conjugate gradient).</summary>
    public AlsSolver Solver { get; init; } = AlsSolver.ConjugateGradient;

    /// <summary>Conjugate-gradient steps per row and sweep (default 3, as the implicit library).</summary>
    public int CgSteps { get; init; } = 3;

    /// <summary>Standard deviation of the N(0, σ²) initialisation (default 0.01).</summary>
    public double InitStd { get; init; } = 0.01;

    /// <summary>Seed of the initialisation and the validation split (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Worker threads; 0 uses every core (default 0). Results do not depend on it: rows are solved independently.</summary>
    public int Threads { get; init; }

    /// <summary>Share of each user's entries held out for early stopping; 0 turns it off (default 0).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Sweeps without a better validation nDCG@10 before stopping (default 3).</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public ImplicitAlsOptions Validate()
    {
        Guard.Positive(Factors);
        Guard.NonNegative(Iterations);
        Guard.Positive(Regularisation);
        Guard.NonNegative(Alpha);
        Guard.Defined(Solver);
        Guard.Positive(CgSteps);
        Guard.NonNegative(InitStd);
        Guard.NonNegative(Threads);
        Guard.InRange(ValidationFraction, 0, 1, maxExclusive: true);
        Guard.Positive(Patience);
        return this;
    }
}
