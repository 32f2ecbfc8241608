using Cascade.Core;

namespace Cascade.Features;

/// <summary>Where the examples of a training set come from.</summary>
public enum ExampleSource
{
    /// <summary>Impressions when the app's log has any, otherwise sampled negatives.</summary>
    Auto = 0,

    /// <summary>One row per impression, labelled by a later positive event on the same item.</summary>
    Impressions = 1,

    /// <summary>One row per positive event (label 1) and sampled items the user had not acted on (label 0).</summary>
    SampledNegatives = 2,
}

/// <summary>How a <see cref="TrainingSetBuilder"/> makes and labels examples. Defaults are defined here once.</summary>
public sealed record TrainingSetOptions
{
    /// <summary>Where examples come from. Default <see cref="ExampleSource.Auto"/>.</summary>
    public ExampleSource Source { get; init; } = ExampleSource.Auto;

    /// <summary>
    /// An impression at T is labelled 1 when the same user has a positive event on the same item at a time in
    /// [T, T + window] (and, when both carry one, the same request id). Default 30 minutes.
    /// </summary>
    public long AttributionWindowMs { get; init; } = 30 * 60_000L;

    /// <summary>Sampled negatives per positive event (<see cref="ExampleSource.SampledNegatives"/>), 1–1,000. Default 4.</summary>
    public int NegativesPerPositive { get; init; } = 4;

    /// <summary>Seed of the negative sampler; the same log and seed give the same rows. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Share of groups kept, in (0, 1]: a request's impressions, or a positive with its negatives, are kept or
    /// dropped together, decided by a hash of the group and <see cref="Seed"/> (the same log keeps the same groups).
    /// Dropped examples still feed the features of later ones. Default 1.
    /// </summary>
    public double ExampleFraction { get; init; } = 1;

    /// <summary>Only events at or after this time become examples (earlier ones still feed the features). Default: all.</summary>
    public long FromMs { get; init; } = long.MinValue;

    /// <summary>Only events before this time become examples. Default: all.</summary>
    public long ToMs { get; init; } = long.MaxValue;

    /// <summary>Checks every option and returns this instance.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it and its value.</exception>
    public TrainingSetOptions Validate()
    {
        Guard.Defined(Source);
        Guard.NonNegative(AttributionWindowMs);
        Guard.InRange(NegativesPerPositive, 1, 1000);
        Guard.InRange(ExampleFraction, 0, 1, minExclusive: true);
        if (FromMs >= ToMs)
        {
            Guard.ThrowInvalid(nameof(FromMs), $"FromMs ({FromMs}) must be before ToMs ({ToMs}).");
        }
        return this;
    }
}
