using Cascade.Models.Serialization;

namespace Cascade.Ranking.Factorisation;

/// <summary>
/// Factorisation machine (Rendle 2010) for click-through prediction: a bias, a weight per feature and a latent vector
/// of <see cref="FactorisationOptions.Factors"/> per feature whose dot products model every pairwise interaction,
/// computed in O(k·n) per row. Trained with mini-batch Adagrad on logloss and L2, early-stopped on validation logloss.
/// Features: categorical one-hots and standardised numeric features with "missing" indicators (docs/rankers.md).
/// Kind name "fm".
/// </summary>
public sealed class FactorisationMachine : IRanker
{
    /// <summary>The kind name in model files and <c>--models</c>.</summary>
    public const string KindName = "fm";

    private readonly FactorisationCore _core;

    /// <summary>Creates an unfitted model.</summary>
    /// <param name="options">Hyper-parameters (<see cref="FactorisationOptions.Fm"/> when null).</param>
    public FactorisationMachine(FactorisationOptions? options = null)
        : this(new FactorisationCore(KindName, (options ?? FactorisationOptions.Fm).Validate(), CreateKernel))
    {
    }

    private FactorisationMachine(FactorisationCore core)
    {
        _core = core;
    }

    /// <summary>The hyper-parameters.</summary>
    public FactorisationOptions Options => _core.Options;

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public bool IsFitted => _core.Encoder is not null;

    /// <inheritdoc />
    public FeatureSchema? Schema => _core.Encoder?.Schema;

    /// <inheritdoc />
    public bool OutputsProbability => true;

    /// <summary>The pass whose parameters were kept by the last fit (0 before fitting).</summary>
    public int BestEpoch => _core.BestEpoch;

    internal FactorisationCore Core => _core;

    /// <inheritdoc />
    public void Fit(RankingDataset train, RankingDataset? valid = null, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default) =>
        _core.Fit(train, valid, progress, cancellationToken);

    /// <inheritdoc />
    public void Predict(RankingDataset data, Span<float> scores) => _core.Predict(data, scores);

    /// <inheritdoc />
    public void Save(Stream stream) => _core.Save(stream);

    /// <summary>Reads the payload of an "fm" model file (for the ranker catalog).</summary>
    /// <param name="reader">Positioned at the payload.</param>
    /// <param name="version">The payload version from the file header.</param>
    /// <exception cref="InvalidDataException">An unknown version or inconsistent content.</exception>
    public static FactorisationMachine ReadFrom(BinaryReader reader, ushort version) =>
        new(FactorisationCore.ReadFrom(KindName, reader, version, CreateKernel));

    /// <summary>Loads an "fm" model file.</summary>
    /// <param name="stream">A stream at the start of the file.</param>
    /// <exception cref="InvalidDataException">Not an intact "fm" model file.</exception>
    public static FactorisationMachine Load(Stream stream) => ModelFile.ReadPayload(stream, KindName, ReadFrom);

    private static FmKernel CreateKernel(Training.SparseEncoder encoder, FactorisationOptions options) => new(options.Factors);
}
