using Cascade.Core;

namespace Cascade.Models.Neural;

/// <summary>Options of <see cref="TwoTower"/>; defaults are defined here only.</summary>
public sealed record TwoTowerOptions
{
    /// <summary>Width of every embedding and of the tower outputs (default 64).</summary>
    public int Dimension { get; init; } = 64;

    /// <summary>Passes over the training entries; the most when early stopping is on (default 20).</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Examples per mini-batch; the other positives of a batch are each example's negatives (default 256).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Adam step size (default 0.005).</summary>
    public double LearningRate { get; init; } = 0.005;

    /// <summary>
    /// Decoupled (AdamW) weight decay of the touched parameters (default 1): without it the id embeddings memorise the
    /// training entries within a few epochs and the ranking of unseen items decays.
    /// </summary>
    public double WeightDecay { get; init; } = 1;

    /// <summary>Softmax temperature τ: logits are u·v/τ (default 1).</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>Subtract log q(item) from each in-batch logit, q the item's sampling probability (Yi et al. 2019) (default true).</summary>
    public bool LogQCorrection { get; init; } = true;

    /// <summary>
    /// Items drawn uniformly per mini-batch and shared by its examples as extra negatives, next to the in-batch ones
    /// (mixed negative sampling, Yang et al. 2020); log q then corrects for the mixture (default 0: in-batch only).
    /// </summary>
    public int Negatives { get; init; }

    /// <summary>Scale both tower outputs to unit length, so logits are cosines / τ plus the item bias (default false).</summary>
    public bool NormaliseOutputs { get; init; }

    /// <summary>
    /// Probability of dropping each history item from a training example's pooled history, so the towers cannot rely on
    /// memorised (history, item) pairs (default 0).
    /// </summary>
    public double HistoryDropout { get; init; }

    /// <summary>
    /// α of the history pooling: the n history embeddings are summed with weight n^−α; 1 is their mean, 0.5 keeps the
    /// user vector's length from shrinking with long histories (FISM, Kabbur et al. 2013) (default 1).
    /// </summary>
    public double PoolingExponent { get; init; } = 1;

    /// <summary>Most recent items pooled into the user tower (default 50).</summary>
    public int MaxHistory { get; init; } = 50;

    /// <summary>Probability of dropping the user-id embedding from a training example, so the history and attributes alone learn to serve new users (default 0.2).</summary>
    public double UserIdDropout { get; init; } = 0.2;

    /// <summary>Standard deviation of the N(0, σ²) initialisation of embeddings; the projections start as the identity (default 0.1).</summary>
    public double InitStd { get; init; } = 0.1;

    /// <summary>Seed of initialisation, shuffling and dropout (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Share of each user's entries held out for early stopping; 0 turns it off (default 0).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>Epochs without a better validation nDCG@10 before stopping (default 3).</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public TwoTowerOptions Validate()
    {
        Guard.Positive(Dimension);
        Guard.NonNegative(Epochs);
        Guard.AtLeast(BatchSize, 2); // in-batch negatives need company
        Guard.Positive(LearningRate);
        Guard.NonNegative(WeightDecay);
        Guard.Positive(Temperature);
        Guard.NonNegative(Negatives);
        Guard.InRange(HistoryDropout, 0, 1, maxExclusive: true);
        Guard.Probability(PoolingExponent);
        Guard.NonNegative(MaxHistory);
        Guard.Probability(UserIdDropout);
        Guard.NonNegative(InitStd);
        Guard.InRange(ValidationFraction, 0, 1, maxExclusive: true);
        Guard.Positive(Patience);
        return this;
    }
}
