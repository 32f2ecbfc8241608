using Cascade.Core;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Linear;

/// <summary>Hyper-parameters of <see cref="ListNetRanker"/>; defaults are defined here only.</summary>
public sealed record ListNetOptions
{
    /// <summary>Adam step size (default 0.02).</summary>
    public double LearningRate { get; init; } = 0.02;

    /// <summary>L2 strength pulling every weight towards its starting value (default 1e-3).</summary>
    public double L2 { get; init; } = 1e-3;

    /// <summary>Maximum passes over the training groups (default 50).</summary>
    public int Epochs { get; init; } = 50;

    /// <summary>Passes without a better validation nDCG before stopping; the best pass is kept (default 5).</summary>
    public int Patience { get; init; } = 5;

    /// <summary>Groups per gradient step (default 16).</summary>
    public int Batch { get; init; } = 16;

    /// <summary>Cut-off of the validation nDCG (default 10).</summary>
    public int NdcgAt { get; init; } = 10;

    /// <summary>
    /// A numeric feature the model starts from with weight <see cref="InitWeight"/> (e.g. a retrieval model's score),
    /// several joined by '+' (each with that weight: "dlae.z+als.z" starts as the score fusion of two sources), or null
    /// to start from zero. Pass 0 — that feature's order alone — is a candidate for the kept pass, so the
    /// ranker never serves an order worse on validation than its starting feature.
    /// </summary>
    public string? InitFeature { get; init; }

    /// <summary>Starting weight of <see cref="InitFeature"/> on its standardised value (default 1).</summary>
    public double InitWeight { get; init; } = 1;

    /// <summary>
    /// How sure the validation groups must be before a learned pass replaces the starting weights (default 0: any gain
    /// in mean nDCG@k). With z &gt; 0 the best pass is kept only when its nDCG@k gain over pass 0, paired over the
    /// validation groups, is at least z standard errors (1.96: a one-sided test at 2.5 %); otherwise the starting
    /// order is served. The best of many passes on a few hundred groups looks better than it is; this guards
    /// against keeping noise.
    /// </summary>
    public double MinGainZ { get; init; }

    /// <summary>Seed of the group order of each pass.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value; returns this.</summary>
    public ListNetOptions Validate()
    {
        Guard.Positive(LearningRate);
        Guard.NonNegative(L2);
        Guard.Finite(InitWeight);
        Guard.NonNegative(MinGainZ);
        Guard.Positive(Epochs);
        Guard.Positive(Patience);
        Guard.Positive(Batch);
        Guard.Positive(NdcgAt);
        return this;
    }

    /// <summary>Options from text parameters <c>lr, l2, epochs, patience, batch, ndcg_at, init, init_weight, min_gain_z</c> (missing keys keep the defaults).</summary>
    /// <param name="parameters">Lower-case keys, text values.</param>
    /// <param name="seed">The seed.</param>
    /// <exception cref="ArgumentException">An unknown key or a value out of range.</exception>
    /// <exception cref="FormatException">A value that does not parse.</exception>
    public static ListNetOptions FromParameters(IReadOnlyDictionary<string, string> parameters, int seed)
    {
        const string Kind = ListNetRanker.KindName;
        HyperParameters.CheckKnown(parameters, Kind, "lr", "l2", "epochs", "patience", "batch", "ndcg_at", "init", "init_weight", "min_gain_z");
        var d = new ListNetOptions();
        return new ListNetOptions
        {
            LearningRate = HyperParameters.Double(parameters, Kind, "lr", d.LearningRate),
            L2 = HyperParameters.Double(parameters, Kind, "l2", d.L2),
            Epochs = HyperParameters.Int(parameters, Kind, "epochs", d.Epochs),
            Patience = HyperParameters.Int(parameters, Kind, "patience", d.Patience),
            Batch = HyperParameters.Int(parameters, Kind, "batch", d.Batch),
            NdcgAt = HyperParameters.Int(parameters, Kind, "ndcg_at", d.NdcgAt),
            InitFeature = parameters.TryGetValue("init", out string? init) && init.Length > 0 ? init : null,
            InitWeight = HyperParameters.Double(parameters, Kind, "init_weight", d.InitWeight),
            MinGainZ = HyperParameters.Double(parameters, Kind, "min_gain_z", d.MinGainZ),
            Seed = seed,
        }.Validate();
    }

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(LearningRate);
        writer.Write(L2);
        writer.Write(Epochs);
        writer.Write(Patience);
        writer.Write(Batch);
        writer.Write(NdcgAt);
        writer.Write(InitFeature ?? "");
        writer.Write(InitWeight);
        writer.Write(Seed);
        writer.Write(MinGainZ);
    }

    internal static ListNetOptions ReadFrom(BinaryReader reader, ushort version)
    {
        double learningRate = reader.ReadDouble(), l2 = reader.ReadDouble();
        int epochs = reader.ReadInt32(), patience = reader.ReadInt32(), batch = reader.ReadInt32(), ndcgAt = reader.ReadInt32();
        string init = reader.ReadString();
        double initWeight = reader.ReadDouble();
        int seed = reader.ReadInt32();
        double minGainZ = version >= 2 ? reader.ReadDouble() : 0;
        return new ListNetOptions
        {
            LearningRate = learningRate,
            L2 = l2,
            Epochs = epochs,
            Patience = patience,
            Batch = batch,
            NdcgAt = ndcgAt,
            InitFeature = init.Length > 0 ? init : null,
            InitWeight = initWeight,
            MinGainZ = minGainZ,
            Seed = seed,
        }.Validate();
    }
}
