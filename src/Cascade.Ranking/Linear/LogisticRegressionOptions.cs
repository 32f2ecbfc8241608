using Cascade.Core;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Linear;

/// <summary>
/// Hyper-parameters of <see cref="LogisticRegression"/> (FTRL-proximal, McMahan et al. 2013). The defaults are the
/// ones tuned on Frappe valid (docs/rankers.md).
/// </summary>
public sealed record LogisticRegressionOptions
{
    /// <summary>Per-coordinate learning rate scale α (step ≈ α / (β + √Σg²)).</summary>
    public double Alpha { get; init; } = 0.2;

    /// <summary>Smoothing β of the per-coordinate learning rate (1 is the paper's recommendation).</summary>
    public double Beta { get; init; } = 1.0;

    /// <summary>L1 strength λ1: coordinates with |z| ≤ λ1 are exactly zero (sparse models).</summary>
    public double L1 { get; init; } = 0.5;

    /// <summary>L2 strength λ2.</summary>
    public double L2 { get; init; } = 1.0;

    /// <summary>Maximum passes over the training rows.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Passes without a better validation logloss before stopping (the best pass is kept).</summary>
    public int Patience { get; init; } = 2;

    /// <summary>Seed of the row order of each pass.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value; returns this.</summary>
    public LogisticRegressionOptions Validate()
    {
        Guard.Positive(Alpha);
        Guard.NonNegative(Beta);
        Guard.NonNegative(L1);
        Guard.NonNegative(L2);
        Guard.Positive(Epochs);
        Guard.Positive(Patience);
        return this;
    }

    /// <summary>Options from text parameters <c>alpha, beta, l1, l2, epochs, patience</c> (missing keys keep the defaults).</summary>
    /// <param name="parameters">Lower-case keys, text values.</param>
    /// <param name="seed">The seed.</param>
    /// <exception cref="ArgumentException">An unknown key or a value out of range.</exception>
    /// <exception cref="FormatException">A value that does not parse.</exception>
    public static LogisticRegressionOptions FromParameters(IReadOnlyDictionary<string, string> parameters, int seed)
    {
        const string Kind = LogisticRegression.KindName;
        HyperParameters.CheckKnown(parameters, Kind, "alpha", "beta", "l1", "l2", "epochs", "patience");
        var d = new LogisticRegressionOptions();
        return new LogisticRegressionOptions
        {
            Alpha = HyperParameters.Double(parameters, Kind, "alpha", d.Alpha),
            Beta = HyperParameters.Double(parameters, Kind, "beta", d.Beta),
            L1 = HyperParameters.Double(parameters, Kind, "l1", d.L1),
            L2 = HyperParameters.Double(parameters, Kind, "l2", d.L2),
            Epochs = HyperParameters.Int(parameters, Kind, "epochs", d.Epochs),
            Patience = HyperParameters.Int(parameters, Kind, "patience", d.Patience),
            Seed = seed,
        }.Validate();
    }

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(Alpha);
        writer.Write(Beta);
        writer.Write(L1);
        writer.Write(L2);
        writer.Write(Epochs);
        writer.Write(Patience);
        writer.Write(Seed);
    }

    internal static LogisticRegressionOptions ReadFrom(BinaryReader reader) => new LogisticRegressionOptions
    {
        Alpha = reader.ReadDouble(),
        Beta = reader.ReadDouble(),
        L1 = reader.ReadDouble(),
        L2 = reader.ReadDouble(),
        Epochs = reader.ReadInt32(),
        Patience = reader.ReadInt32(),
        Seed = reader.ReadInt32(),
    }.Validate();
}
