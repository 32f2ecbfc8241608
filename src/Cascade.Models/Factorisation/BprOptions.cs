using Cascade.Core;

namespace Cascade.Models.Factorisation;

/// <summary>How BPR draws the negative item of a training triple.</summary>
public enum NegativeSampling
{
    /// <summary>Every item the user has not interacted with is equally likely (Rendle et al. 2009).</summary>
    Uniform = 0,

    /// <summary>Items are drawn with probability ∝ popularity^<see cref="BprOptions.PopularityExponent"/>, so popular items are pushed down harder (as word2vec's unigram^0.75).</summary>
    Popularity = 1,
}

/// <summary>Options of <see cref="Bpr"/>; defaults are defined here only: Cornac's BPR in the Microsoft Recommenders benchmark, with λ 0.01 and 200 epochs chosen across data sets (docs/benchmarks.md, "Model defaults across data sets").</summary>
public sealed record BprOptions
{
    /// <summary>Number of latent factors (default 200).</summary>
    public int Factors { get; init; } = 200;

    /// <summary>Passes over the data; each draws as many triples as there are entries (default 200).</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>SGD learning rate (default 0.01).</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>L2 regularisation of factors and item biases (default 0.01).</summary>
    public double Regularisation { get; init; } = 0.01;

    /// <summary>Negative sampling scheme (default uniform).</summary>
    public NegativeSampling Sampling { get; init; } = NegativeSampling.Uniform;

    /// <summary>Exponent of popularity-aware sampling (default 0.75).</summary>
    public double PopularityExponent { get; init; } = 0.75;

    /// <summary>Seed of the initialisation and the sampling (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Worker threads updating shared factors without locks (Hogwild!, Recht et al. 2011); 0 uses every core (default 1).
    /// With one thread a seed fixes the result; with more, updates interleave and runs differ slightly.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>Share of each user's entries held out for early stopping; 0 turns it off (default 0).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Epochs between validation checks (default 5).</summary>
    public int ValidateEvery { get; init; } = 5;

    /// <summary>Checks without a better validation nDCG@10 before stopping (default 3).</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public BprOptions Validate()
    {
        Guard.Positive(Factors);
        Guard.NonNegative(Epochs);
        Guard.Positive(LearningRate);
        Guard.NonNegative(Regularisation);
        Guard.Defined(Sampling);
        Guard.NonNegative(PopularityExponent);
        Guard.NonNegative(Threads);
        Guard.InRange(ValidationFraction, 0, 1, maxExclusive: true);
        Guard.Positive(ValidateEvery);
        Guard.Positive(Patience);
        return this;
    }
}
