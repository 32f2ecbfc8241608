using Cascade.Models.Serialization;
using Cascade.Ranking;
using Cascade.Ranking.Calibration;

namespace Cascade.Pipeline.Ranking;

/// <summary>One ranker kind: how to create it from command-line parameters and how to read its model file payload.</summary>
/// <param name="Name">Kind name, lower case, as in model files and <c>--models</c>.</param>
/// <param name="Description">One line for help text: what it is and its parameters with defaults.</param>
/// <param name="Create">Creates an unfitted ranker from parameters (lower-case keys, text values) and a seed; throws <see cref="FormatException"/> or <see cref="ArgumentException"/> on a bad parameter.</param>
/// <param name="Read">Reads the payload of a model file of this kind and payload version.</param>
public sealed record RankerKind(string Name, string Description, Func<IReadOnlyDictionary<string, string>, int, IRanker> Create, Func<BinaryReader, ushort, IRanker> Read);

/// <summary>Every ranker this build knows, by name: the CTR tool, the pipeline configuration and model loading use it.</summary>
public static class RankerCatalog
{
    private static readonly RankerKind[] Kinds =
    [
        new(CalibratedRanker.KindName, "a ranker with a calibrator (written by cascade ctr --save); not created by name: use --calibrate",
            (_, _) => throw new ArgumentException("'calibrated' is not created by name: pick a ranker and --calibrate platt|isotonic."),
            (reader, version) => CalibratedRanker.ReadFrom(reader, version, Load)),
        new(Cascade.Ranking.Trees.GradientBoostedTrees.KindName, "gradient-boosted trees, histogram, leaf-wise: objective=binary|lambdarank, trees=100, learning_rate=0.1, max_leaves=31, max_depth=0, min_data_in_leaf=20, lambda=1, subsample=1, colsample=1, max_bin=255, early_stopping=20, threads=cores",
            (p, seed) => new Cascade.Ranking.Trees.GradientBoostedTrees(Cascade.Ranking.Trees.GbdtOptions.FromParameters(p, seed)),
            Cascade.Ranking.Trees.GradientBoostedTrees.ReadFrom),
        new("lr", "logistic regression, FTRL-proximal: alpha=0.2, beta=1, l1=0.5, l2=1, epochs=20, patience=2",
            (p, seed) => new Cascade.Ranking.Linear.LogisticRegression(Cascade.Ranking.Linear.LogisticRegressionOptions.FromParameters(p, seed)),
            Cascade.Ranking.Linear.LogisticRegression.ReadFrom),
        new(Cascade.Ranking.Linear.ListNetRanker.KindName, "linear learning-to-rank, ListNet top-one loss per group, sparse Adam, early stopping on validation nDCG: lr=0.02, l2=0.001, epochs=50, patience=5, batch=16, ndcg_at=10, init=FEATURE (start from that feature's order), init_weight=1",
            (p, seed) => new Cascade.Ranking.Linear.ListNetRanker(Cascade.Ranking.Linear.ListNetOptions.FromParameters(p, seed)),
            Cascade.Ranking.Linear.ListNetRanker.ReadFrom),
        new("fm", "factorisation machine, Adagrad: k=32, lr=0.1, l2=1e-5, l2v=2e-5, batch=32, epochs=40, patience=2, init=0.05, threads=1",
            (p, seed) => new Cascade.Ranking.Factorisation.FactorisationMachine(Cascade.Ranking.Factorisation.FactorisationOptions.FromParameters(Cascade.Ranking.Factorisation.FactorisationOptions.Fm, "fm", p, seed)),
            Cascade.Ranking.Factorisation.FactorisationMachine.ReadFrom),
        new("ffm", "field-aware factorisation machine, Adagrad: k=16, lr=0.2, l2=1e-5, l2v=2e-5, batch=128, epochs=40, patience=2, init=0.05, threads=1",
            (p, seed) => new Cascade.Ranking.Factorisation.FieldAwareFactorisationMachine(Cascade.Ranking.Factorisation.FactorisationOptions.FromParameters(Cascade.Ranking.Factorisation.FactorisationOptions.Ffm, "ffm", p, seed)),
            Cascade.Ranking.Factorisation.FieldAwareFactorisationMachine.ReadFrom),
        new("dcnv2", "Deep & Cross Network v2, Adam: dim=10, cross=4, hidden=400-400-400, structure=parallel, bn=true, dropout=0.4, lr=0.001, batch=4096, l2table=0.05, l2emb=0, epochs=100, patience=2, lrdecay=0.1, metric=auc, threads=cores",
            (p, seed) => new Cascade.Ranking.Neural.DeepCrossNetworkV2(Cascade.Ranking.Neural.DcnV2Options.FromParameters(p, seed)),
            Cascade.Ranking.Neural.DeepCrossNetworkV2.ReadFrom),
        new(Cascade.Ranking.Onnx.OnnxRanker.KindName, "a model trained elsewhere, scored by ONNX Runtime (learns nothing): model=FILE.onnx, input.NAME=col+col (default: the model's metadata), output=first, probability=false, missing=NaN, threads=1",
            (p, _) => new Cascade.Ranking.Onnx.OnnxRanker(Cascade.Ranking.Onnx.OnnxRankerOptions.FromParameters(p)),
            Cascade.Ranking.Onnx.OnnxRanker.ReadFrom),
    ];

    /// <summary>The names of every ranker kind.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Kinds.Select(k => k.Name)];

    /// <summary>Help text: one line per kind.</summary>
    public static string Describe() => string.Join(Environment.NewLine, Kinds.Select(k => $"  {k.Name,-8} {k.Description}"));

    /// <summary>Creates an unfitted ranker.</summary>
    /// <param name="name">Kind name (case-insensitive).</param>
    /// <param name="parameters">Hyper-parameters by lower-case key.</param>
    /// <param name="seed">Random seed.</param>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static IRanker Create(string name, IReadOnlyDictionary<string, string>? parameters = null, int seed = 42) =>
        Find(name).Create(parameters ?? new Dictionary<string, string>(), seed);

    /// <summary>Loads a ranker model file, dispatching on its kind.</summary>
    /// <param name="stream">A stream at the start of a model file.</param>
    /// <exception cref="InvalidDataException">Corrupt file, unknown kind or inconsistent payload.</exception>
    public static IRanker Load(Stream stream) => ModelFile.ReadPayload(stream, static (kind, version, reader) =>
        (Kinds.FirstOrDefault(k => k.Name == kind)
            ?? throw new InvalidDataException($"Unknown ranker kind '{kind}'; this build reads {string.Join(", ", Names)}.")).Read(reader, version));

    /// <summary>Loads a ranker model file from a path.</summary>
    /// <param name="path">Model file path.</param>
    public static IRanker Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    private static RankerKind Find(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Kinds.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown ranker '{name}'. Known rankers: {string.Join(", ", Names)}.", nameof(name));
    }
}
