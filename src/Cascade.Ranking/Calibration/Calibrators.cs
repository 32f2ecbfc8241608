using Cascade.Models.Serialization;

namespace Cascade.Ranking.Calibration;

/// <summary>Creates calibrators by name and reads and writes them, alone or inside a <see cref="CalibratedRanker"/>.</summary>
public static class Calibrators
{
    /// <summary>The payload version of calibrator files and of the calibrator inside a calibrated ranker.</summary>
    internal const ushort PayloadVersion = 1;

    /// <summary>The kind name of a file holding a calibrator alone.</summary>
    private const string FileKindName = "calibrator";

    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [PlattCalibrator.KindName, IsotonicCalibrator.KindName];

    /// <summary>An unfitted calibrator of the named kind.</summary>
    /// <param name="kind">"platt" or "isotonic" (case-insensitive).</param>
    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static ICalibrator Create(string kind) => kind?.ToLowerInvariant() switch
    {
        PlattCalibrator.KindName => new PlattCalibrator(),
        IsotonicCalibrator.KindName => new IsotonicCalibrator(),
        _ => throw new ArgumentException($"Unknown calibrator '{kind}'; use {string.Join(" or ", Names)}.", nameof(kind)),
    };

    /// <summary>Writes the kind name and the state of <paramref name="calibrator"/>.</summary>
    /// <param name="writer">Destination.</param>
    /// <param name="calibrator">A fitted calibrator.</param>
    public static void Write(BinaryWriter writer, ICalibrator calibrator)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(calibrator);
        if (!calibrator.IsFitted)
        {
            throw new InvalidOperationException("The calibrator is not fitted.");
        }
        writer.Write(calibrator.Kind);
        calibrator.WriteTo(writer);
    }

    /// <summary>Reads a calibrator written by <see cref="Write"/>.</summary>
    /// <param name="reader">Source.</param>
    /// <exception cref="InvalidDataException">An unknown kind or corrupt state.</exception>
    public static ICalibrator Read(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string kind = reader.ReadString();
        return kind switch
        {
            PlattCalibrator.KindName => PlattCalibrator.ReadFrom(reader),
            IsotonicCalibrator.KindName => IsotonicCalibrator.ReadFrom(reader),
            _ => throw new InvalidDataException($"Unknown calibrator kind '{kind}'; this build reads {string.Join(", ", Names)}."),
        };
    }

    /// <summary>Saves a fitted calibrator alone, as a Cascade model file of kind "calibrator".</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="calibrator">A fitted calibrator.</param>
    public static void Save(Stream stream, ICalibrator calibrator) =>
        ModelFile.Write(stream, FileKindName, PayloadVersion, writer => Write(writer, calibrator));

    /// <summary>Loads a calibrator saved by <see cref="Save"/>.</summary>
    /// <param name="stream">A stream at the start of the file.</param>
    /// <exception cref="InvalidDataException">Not an intact calibrator file.</exception>
    public static ICalibrator Load(Stream stream) => ModelFile.ReadPayload(stream, FileKindName, static (reader, version) =>
        version == PayloadVersion ? Read(reader)
            : throw new InvalidDataException($"Calibrator payload version {version} is not supported; this build reads version {PayloadVersion}."));
}

/// <summary>Argument checks shared by the calibrators.</summary>
internal static class CalibrationData
{
    public static void Check(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length || scores.IsEmpty)
        {
            throw new ArgumentException($"Calibration needs equally long, non-empty scores and labels; got {scores.Length} scores and {labels.Length} labels.", nameof(scores));
        }
        for (int i = 0; i < scores.Length; i++)
        {
            if (!float.IsFinite(scores[i]))
            {
                throw new ArgumentException($"Score {i} is {scores[i]}; calibration needs finite scores.", nameof(scores));
            }
        }
    }
}
