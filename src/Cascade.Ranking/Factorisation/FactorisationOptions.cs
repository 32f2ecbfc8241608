using Cascade.Core;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Factorisation;

/// <summary>
/// Hyper-parameters of <see cref="FactorisationMachine"/> and <see cref="FieldAwareFactorisationMachine"/>: mini-batch
/// Adagrad on logloss with L2 on the touched parameters, early-stopped on validation logloss. <see cref="Fm"/> and
/// <see cref="Ffm"/> are the defaults of each kind (tuned on Frappe valid, see docs/rankers.md).
/// </summary>
public sealed record FactorisationOptions
{
    /// <summary>Defaults of the factorisation machine ("fm").</summary>
    public static FactorisationOptions Fm { get; } = new();

    /// <summary>Defaults of the field-aware factorisation machine ("ffm").</summary>
    public static FactorisationOptions Ffm { get; } = new() { Factors = 16, LearningRate = 0.2, BatchSize = 128 };

    /// <summary>Latent factors k per feature (per feature and field for FFM).</summary>
    public int Factors { get; init; } = 32;

    /// <summary>Adagrad learning rate.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>L2 strength on the linear weights (applied to the weights a batch touches).</summary>
    public double L2Linear { get; init; } = 1e-5;

    /// <summary>L2 strength on the latent factors (applied to the factors a batch touches).</summary>
    public double L2Factors { get; init; } = 2e-5;

    /// <summary>Rows per mini-batch; the batch gradient is the mean over its rows.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Maximum passes over the training rows.</summary>
    public int Epochs { get; init; } = 40;

    /// <summary>Passes without a better validation logloss before stopping (the best pass is kept).</summary>
    public int Patience { get; init; } = 2;

    /// <summary>Standard deviation of the Gaussian initial factors.</summary>
    public double InitScale { get; init; } = 0.05;

    /// <summary>Threads computing a batch's gradient; results are deterministic for a fixed seed and thread count.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Seed of the initial factors and of the row order.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value; returns this.</summary>
    public FactorisationOptions Validate()
    {
        Guard.InRange(Factors, 1, 1024);
        Guard.Positive(LearningRate);
        Guard.NonNegative(L2Linear);
        Guard.NonNegative(L2Factors);
        Guard.NonNegative(InitScale);
        Guard.Positive(BatchSize);
        Guard.Positive(Epochs);
        Guard.Positive(Patience);
        Guard.InRange(Threads, 1, 256);
        return this;
    }

    /// <summary>
    /// Options from text parameters <c>k, lr, l2, l2v, batch, epochs, patience, init, threads</c>; missing keys keep
    /// <paramref name="defaults"/>.
    /// </summary>
    /// <param name="defaults"><see cref="Fm"/> or <see cref="Ffm"/>.</param>
    /// <param name="kind">The kind name, for messages.</param>
    /// <param name="parameters">Lower-case keys, text values.</param>
    /// <param name="seed">The seed.</param>
    /// <exception cref="ArgumentException">An unknown key or a value out of range.</exception>
    /// <exception cref="FormatException">A value that does not parse.</exception>
    public static FactorisationOptions FromParameters(FactorisationOptions defaults, string kind, IReadOnlyDictionary<string, string> parameters, int seed)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        HyperParameters.CheckKnown(parameters, kind, "k", "lr", "l2", "l2v", "batch", "epochs", "patience", "init", "threads");
        return new FactorisationOptions
        {
            Factors = HyperParameters.Int(parameters, kind, "k", defaults.Factors),
            LearningRate = HyperParameters.Double(parameters, kind, "lr", defaults.LearningRate),
            L2Linear = HyperParameters.Double(parameters, kind, "l2", defaults.L2Linear),
            L2Factors = HyperParameters.Double(parameters, kind, "l2v", defaults.L2Factors),
            BatchSize = HyperParameters.Int(parameters, kind, "batch", defaults.BatchSize),
            Epochs = HyperParameters.Int(parameters, kind, "epochs", defaults.Epochs),
            Patience = HyperParameters.Int(parameters, kind, "patience", defaults.Patience),
            InitScale = HyperParameters.Double(parameters, kind, "init", defaults.InitScale),
            Threads = HyperParameters.Int(parameters, kind, "threads", defaults.Threads),
            Seed = seed,
        }.Validate();
    }

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(Factors);
        writer.Write(LearningRate);
        writer.Write(L2Linear);
        writer.Write(L2Factors);
        writer.Write(BatchSize);
        writer.Write(Epochs);
        writer.Write(Patience);
        writer.Write(InitScale);
        writer.Write(Threads);
        writer.Write(Seed);
    }

    internal static FactorisationOptions ReadFrom(BinaryReader reader) => new FactorisationOptions
    {
        Factors = reader.ReadInt32(),
        LearningRate = reader.ReadDouble(),
        L2Linear = reader.ReadDouble(),
        L2Factors = reader.ReadDouble(),
        BatchSize = reader.ReadInt32(),
        Epochs = reader.ReadInt32(),
        Patience = reader.ReadInt32(),
        InitScale = reader.ReadDouble(),
        Threads = reader.ReadInt32(),
        Seed = reader.ReadInt32(),
    }.Validate();
}
