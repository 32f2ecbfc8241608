using Cascade.Models.Serialization;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Calibration;

/// <summary>
/// Wraps any ranker with a calibrator: <see cref="Predict"/> writes <c>calibrator(s)</c>, where s is the inner
/// ranker's score, or its logit when the inner ranker already writes probabilities (so Platt scaling is a temperature
/// and shift on the logit). Kind name "calibrated"; its file holds the calibrator and the inner ranker's whole model
/// file.
/// </summary>
public sealed class CalibratedRanker : IRanker
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "calibrated";

    /// <summary>Wraps <paramref name="inner"/> (fitted or not) with <paramref name="calibrator"/> (fitted or not).</summary>
    /// <param name="inner">The ranker whose scores are calibrated.</param>
    /// <param name="calibrator">The calibrator.</param>
    public CalibratedRanker(IRanker inner, ICalibrator calibrator)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        Calibrator = calibrator ?? throw new ArgumentNullException(nameof(calibrator));
    }

    /// <summary>The wrapped ranker.</summary>
    public IRanker Inner { get; }

    /// <summary>The calibrator.</summary>
    public ICalibrator Calibrator { get; }

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public bool IsFitted => Inner.IsFitted && Calibrator.IsFitted;

    /// <inheritdoc />
    public FeatureSchema? Schema => Inner.Schema;

    /// <inheritdoc />
    public bool OutputsProbability => true;

    /// <summary>
    /// Fits the inner ranker on <paramref name="train"/> (early-stopping on <paramref name="valid"/>), then the
    /// calibrator on the inner ranker's scores of <paramref name="valid"/>. Measure calibration on other rows.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="valid"/> is null: calibration needs held-out rows.</exception>
    public void Fit(RankingDataset train, RankingDataset? valid = null, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(valid, nameof(valid));
        Inner.Fit(train, valid, progress, cancellationToken);
        FitCalibrator(valid);
    }

    /// <summary>Fits only the calibrator, on the fitted inner ranker's scores of <paramref name="heldOut"/>.</summary>
    /// <param name="heldOut">Labelled rows the inner ranker was not trained on.</param>
    public void FitCalibrator(RankingDataset heldOut)
    {
        var labels = heldOut.BinaryLabels();
        var scores = new float[heldOut.Rows];
        Inner.Predict(heldOut, scores);
        ToCalibratorInput(scores, Inner.OutputsProbability);
        Calibrator.Fit(scores, labels);
    }

    /// <inheritdoc />
    public void Predict(RankingDataset data, Span<float> scores)
    {
        if (!Calibrator.IsFitted)
        {
            throw new InvalidOperationException("The calibrator is not fitted; call Fit or FitCalibrator first.");
        }
        Inner.Predict(data, scores);
        ToCalibratorInput(scores, Inner.OutputsProbability);
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = Calibrator.Apply(scores[i]);
        }
    }

    /// <summary>Turns raw ranker outputs into calibrator inputs in place: logits of probabilities, other scores unchanged.</summary>
    /// <param name="scores">Ranker outputs.</param>
    /// <param name="probabilities">Whether they are probabilities.</param>
    public static void ToCalibratorInput(Span<float> scores, bool probabilities)
    {
        if (!probabilities)
        {
            return;
        }
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = (float)RankerMath.Logit(scores[i]);
        }
    }

    /// <inheritdoc />
    public void Save(Stream stream)
    {
        if (!IsFitted)
        {
            throw new InvalidOperationException("The calibrated ranker is not fitted.");
        }
        using var inner = new MemoryStream();
        Inner.Save(inner);
        ModelFile.Write(stream, KindName, Calibrators.PayloadVersion, writer =>
        {
            Calibrators.Write(writer, Calibrator);
            writer.Write(inner.Length);
            writer.Write(inner.GetBuffer(), 0, (int)inner.Length);
        });
    }

    /// <summary>Reads the payload of a "calibrated" model file.</summary>
    /// <param name="reader">Positioned at the payload.</param>
    /// <param name="version">The payload version from the file header.</param>
    /// <param name="loadInner">Loads the inner ranker's model file (e.g. <c>RankerCatalog.Load</c>).</param>
    /// <exception cref="InvalidDataException">An unknown version or corrupt content.</exception>
    public static CalibratedRanker ReadFrom(BinaryReader reader, ushort version, Func<Stream, IRanker> loadInner)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(loadInner);
        if (version != Calibrators.PayloadVersion)
        {
            throw new InvalidDataException($"Calibrated ranker payload version {version} is not supported; this build reads version {Calibrators.PayloadVersion}.");
        }
        var calibrator = Calibrators.Read(reader);
        long length = reader.ReadInt64();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException($"The inner model of a calibrated ranker claims {length} bytes; the file is corrupt.");
        }
        byte[] bytes = reader.ReadBytes((int)length);
        using var innerStream = new MemoryStream(bytes, writable: false);
        return new CalibratedRanker(loadInner(innerStream), calibrator);
    }

    /// <summary>Loads a "calibrated" model file.</summary>
    /// <param name="stream">A stream at the start of the file.</param>
    /// <param name="loadInner">Loads the inner ranker's model file (e.g. <c>RankerCatalog.Load</c>).</param>
    /// <exception cref="InvalidDataException">Not an intact calibrated ranker file.</exception>
    public static CalibratedRanker Load(Stream stream, Func<Stream, IRanker> loadInner)
    {
        ArgumentNullException.ThrowIfNull(loadInner);
        return ModelFile.ReadPayload(stream, KindName, (reader, version) => ReadFrom(reader, version, loadInner));
    }
}
