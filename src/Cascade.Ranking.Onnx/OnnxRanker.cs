using System.Diagnostics.CodeAnalysis;
using Cascade.Models.Serialization;

namespace Cascade.Ranking.Onnx;

/// <summary>
/// A ranker that brings its own model: an ONNX graph trained elsewhere (a DCN or a two-tower in PyTorch, or Cascade's
/// own <c>export-onnx</c>) scores the rows through ONNX Runtime. Each model input is filled from named feature columns:
/// an int64 input takes categorical codes, a float input numeric values (or codes as numbers).
/// </summary>
/// <remarks>
/// <see cref="Fit"/> learns nothing: it loads the model and binds the mapping to the data's schema, refusing a missing
/// file, an unknown column, an input without a mapping or a shape that does not match, each with the parameter's name.
/// The saved ranker (kind "onnx") carries the model's bytes, so a bundle needs no file beside it.
/// </remarks>
public sealed class OnnxRanker : IRanker, IDisposable
{
    /// <summary>Kind name in model files and the ranker catalog.</summary>
    public const string KindName = "onnx";

    /// <summary>Payload version this build writes and reads.</summary>
    public const ushort PayloadVersion = 1;

    private OnnxBinding? _binding;

    /// <summary>Creates an unbound ranker (nothing is read until <see cref="Fit"/>).</summary>
    /// <param name="options">The model file and the mapping.</param>
    public OnnxRanker(OnnxRankerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The settings.</summary>
    public OnnxRankerOptions Options { get; }

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    [MemberNotNullWhen(true, nameof(Schema))]
    public bool IsFitted => Schema is not null;

    /// <inheritdoc />
    public FeatureSchema? Schema { get; private set; }

    /// <inheritdoc />
    public bool OutputsProbability => _binding?.Probability ?? Options.Probability ?? false;

    /// <summary>The model's inputs as bound: name, element type and the columns that fill it.</summary>
    public IReadOnlyList<string> DescribeInputs() => _binding?.Describe() ?? [];

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The model file is missing or unreadable, or the mapping does not fit the data or the model.</exception>
    public void Fit(RankingDataset train, RankingDataset? valid = null, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        string path = Options.ModelPath;
        if (!File.Exists(path))
        {
            string from = Path.IsPathRooted(path) ? "" : $" (relative paths are read from {Directory.GetCurrentDirectory()})";
            throw new ArgumentException($"Ranker 'onnx': parameter '{OnnxRankerOptions.ModelKey}' names '{path}', which does not exist{from}.", nameof(train));
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Ranker 'onnx': parameter '{OnnxRankerOptions.ModelKey}' names '{path}', which cannot be read: {e.Message}", nameof(train), e);
        }
        Bind(bytes, train.Schema);
        progress?.Report(new RankerProgress(1, 1, double.NaN, double.NaN, ""));
    }

    /// <inheritdoc />
    public void Predict(RankingDataset data, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(data);
        var binding = _binding;
        if (binding is null || Schema is null)
        {
            throw new InvalidOperationException("The ONNX ranker is not bound to a model; call Fit or load a saved ranker first.");
        }
        if (!ReferenceEquals(data.Schema, Schema) && !data.Schema.Equals(Schema))
        {
            throw new ArgumentException("The data's schema differs from the one the ONNX ranker was bound to.", nameof(data));
        }
        if (scores.Length != data.Rows)
        {
            throw new ArgumentException($"scores has {scores.Length} entries for {data.Rows} rows.", nameof(scores));
        }
        if (data.Rows == 0)
        {
            return;
        }
        binding.Score(data, scores);
    }

    /// <inheritdoc />
    /// <remarks>Payload v1: the feature schema; the parameters (int32 count, then key and value strings); the ONNX bytes (int32 length, bytes).</remarks>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var binding = _binding;
        if (binding is null || Schema is null)
        {
            throw new InvalidOperationException("The ONNX ranker is not bound to a model; there is nothing to save.");
        }
        var schema = Schema;
        var parameters = Options.ToParameters();
        ModelFile.Write(stream, KindName, PayloadVersion, writer =>
        {
            schema.WriteTo(writer);
            writer.Write(parameters.Count);
            foreach (var (key, value) in parameters)
            {
                writer.Write(key);
                writer.Write(value);
            }
            writer.Write(binding.ModelBytes.Length);
            writer.Write(binding.ModelBytes);
        });
    }

    /// <summary>Reads the payload of an "onnx" model file (the ranker catalog's reader).</summary>
    /// <param name="reader">Positioned at the payload's start.</param>
    /// <param name="version">The payload version from the container header.</param>
    /// <exception cref="InvalidDataException">Unknown version, inconsistent payload, or a model that no longer binds.</exception>
    public static OnnxRanker ReadFrom(BinaryReader reader, ushort version)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (version != PayloadVersion)
        {
            throw new InvalidDataException($"{KindName} payload version {version} is not supported; this build reads version {PayloadVersion}.");
        }
        var schema = FeatureSchema.ReadFrom(reader);
        int count = reader.ReadInt32();
        if (count is < 1 or > 10_000)
        {
            throw new InvalidDataException($"{KindName} payload holds {count} parameters.");
        }
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            parameters[reader.ReadString()] = reader.ReadString();
        }
        int length = reader.ReadInt32();
        if (length < 1 || length > reader.BaseStream.Length)
        {
            throw new InvalidDataException($"{KindName} payload says its model has {length} bytes.");
        }
        byte[] bytes = reader.ReadBytes(length);
        try
        {
            var ranker = new OnnxRanker(OnnxRankerOptions.FromParameters(parameters));
            ranker.Bind(bytes, schema);
            return ranker;
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{KindName} model file does not bind: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _binding?.Dispose();
        _binding = null;
        Schema = null;
    }

    private void Bind(byte[] bytes, FeatureSchema schema)
    {
        var binding = OnnxBinding.Create(bytes, schema, Options);
        _binding?.Dispose();
        _binding = binding;
        Schema = schema;
    }
}
