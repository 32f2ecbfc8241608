using Cascade.Models.Serialization;

namespace Cascade.Ranking.Factorisation;

/// <summary>
/// Field-aware factorisation machine (Juan et al., RecSys 2016): like <see cref="FactorisationMachine"/>, but each
/// feature has one latent vector per field, and the interaction of features a and b uses a's vector for b's field and
/// b's vector for a's field: O(k·n²) per row. Each categorical field and each numeric feature is a field. Trained with
/// mini-batch Adagrad on logloss and L2, early-stopped on validation logloss. Kind name "ffm".
/// </summary>
public sealed class FieldAwareFactorisationMachine : IRanker
{
    /// <summary>The kind name in model files and <c>--models</c>.</summary>
    public const string KindName = "ffm";

    private readonly FactorisationCore _core;

    /// <summary>Creates an unfitted model.</summary>
    /// <param name="options">Hyper-parameters (<see cref="FactorisationOptions.Ffm"/> when null).</param>
    public FieldAwareFactorisationMachine(FactorisationOptions? options = null)
        : this(new FactorisationCore(KindName, (options ?? FactorisationOptions.Ffm).Validate(), CreateKernel))
    {
    }

    private FieldAwareFactorisationMachine(FactorisationCore core)
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

    /// <summary>Reads the payload of an "ffm" model file (for the ranker catalog).</summary>
    /// <param name="reader">Positioned at the payload.</param>
    /// <param name="version">The payload version from the file header.</param>
    /// <exception cref="InvalidDataException">An unknown version or inconsistent content.</exception>
    public static FieldAwareFactorisationMachine ReadFrom(BinaryReader reader, ushort version) =>
        new(FactorisationCore.ReadFrom(KindName, reader, version, CreateKernel));

    /// <summary>Loads an "ffm" model file.</summary>
    /// <param name="stream">A stream at the start of the file.</param>
    /// <exception cref="InvalidDataException">Not an intact "ffm" model file.</exception>
    public static FieldAwareFactorisationMachine Load(Stream stream) => ModelFile.ReadPayload(stream, KindName, ReadFrom);

    private static FfmKernel CreateKernel(Training.SparseEncoder encoder, FactorisationOptions options) => new(encoder.Width, options.Factors);
}
