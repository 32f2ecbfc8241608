using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Cascade.Ranking.Onnx;

/// <summary>
/// An ONNX Runtime session bound to a feature schema: for each model input, the columns that fill it (a categorical
/// field index f ≥ 0, or a numeric column j as ~j) and its element type; and the output read as the score.
/// </summary>
internal sealed class OnnxBinding : IDisposable
{
    private const string MetadataInputPrefix = "cascade.input.";

    private readonly InferenceSession _session;
    private readonly Input[] _inputs;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float? _missing;
    private readonly int _fields;
    private readonly int _numeric;

    private OnnxBinding(InferenceSession session, Input[] inputs, string output, bool probability, float? missing, byte[] bytes, FeatureSchema schema)
    {
        _session = session;
        _inputs = inputs;
        _inputNames = [.. inputs.Select(i => i.Name)];
        _outputNames = [output];
        Probability = probability;
        _missing = missing;
        ModelBytes = bytes;
        _fields = schema.FieldCount;
        _numeric = schema.NumericCount;
    }

    public bool Probability { get; }

    public byte[] ModelBytes { get; }

    /// <summary>Loads the model and binds <paramref name="options"/>' mapping (or the model's own) to <paramref name="schema"/>.</summary>
    /// <exception cref="ArgumentException">The bytes are not a model ONNX Runtime loads, or the mapping does not fit; the message names the parameter.</exception>
    public static OnnxBinding Create(byte[] bytes, FeatureSchema schema, OnnxRankerOptions options)
    {
        InferenceSession session;
        try
        {
            using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.Threads, InterOpNumThreads = 1 };
            session = new InferenceSession(bytes, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ArgumentException($"Ranker 'onnx': parameter '{OnnxRankerOptions.ModelKey}' ('{options.ModelPath}') is not a model ONNX Runtime can load: {e.Message}", nameof(bytes), e);
        }
        try
        {
            return Bind(session, bytes, schema, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static OnnxBinding Bind(InferenceSession session, byte[] bytes, FeatureSchema schema, OnnxRankerOptions options)
    {
        var metadata = session.ModelMetadata.CustomMetadataMap;
        var mapping = options.Inputs.Count > 0 ? options.Inputs : metadata
            .Where(p => p.Key.StartsWith(MetadataInputPrefix, StringComparison.Ordinal))
            .ToDictionary(p => p.Key[MetadataInputPrefix.Length..], p => p.Value.Split('+'), StringComparer.Ordinal);
        string modelInputs = string.Join(", ", session.InputMetadata.Select(p => $"{p.Key} {Shape(p.Value.Dimensions)}"));
        foreach (string name in mapping.Keys)
        {
            if (!session.InputMetadata.ContainsKey(name))
            {
                throw new ArgumentException($"Ranker 'onnx': parameter '{OnnxRankerOptions.InputPrefix}{name}' names no input of the model; its inputs are {modelInputs}.", nameof(options));
            }
        }
        var inputs = new List<Input>();
        foreach (var (name, meta) in session.InputMetadata)
        {
            string key = OnnxRankerOptions.InputPrefix + name;
            if (!mapping.TryGetValue(name, out string[]? columns))
            {
                throw new ArgumentException($"Ranker 'onnx': the model's input '{name}' {Shape(meta.Dimensions)} has no columns; set parameter '{key}' (e.g. {key}=col1+col2).", nameof(options));
            }
            bool codes = meta.ElementDataType switch
            {
                TensorElementType.Int64 => true,
                TensorElementType.Float => false,
                _ => throw new ArgumentException($"Ranker 'onnx': the model's input '{name}' is of type {meta.ElementDataType}; the ranker fills int64 (codes) and float inputs.", nameof(options)),
            };
            int[] sources = new int[columns.Length];
            for (int c = 0; c < columns.Length; c++)
            {
                sources[c] = Column(schema, columns[c], key, codes);
            }
            int[] dims = meta.Dimensions;
            bool fits = dims.Length switch
            {
                1 => columns.Length == 1,
                2 => dims[1] < 0 || dims[1] == columns.Length,
                _ => false,
            };
            if (!fits)
            {
                throw new ArgumentException($"Ranker 'onnx': parameter '{key}' maps {columns.Length} column(s), but the model's input '{name}' has shape {Shape(dims)}; it takes [N] (one column) or [N, columns].", nameof(options));
            }
            inputs.Add(new Input(name, codes, sources, dims.Length));
        }

        string? output = options.Output ?? (metadata.TryGetValue("cascade.output", out string? o) ? o : null);
        output ??= session.OutputMetadata.Keys.First();
        if (!session.OutputMetadata.TryGetValue(output, out var outputMeta))
        {
            throw new ArgumentException($"Ranker 'onnx': parameter '{OnnxRankerOptions.OutputKey}' names '{output}', which is not an output of the model; its outputs are {string.Join(", ", session.OutputMetadata.Keys)}.", nameof(options));
        }
        int[] outDims = outputMeta.Dimensions;
        if (outputMeta.ElementDataType != TensorElementType.Float || outDims.Length is < 1 or > 2 || (outDims.Length == 2 && outDims[1] > 1))
        {
            throw new ArgumentException($"Ranker 'onnx': the output '{output}' is {outputMeta.ElementDataType} {Shape(outDims)}; a score output must be float [N] or [N, 1] (choose another with parameter '{OnnxRankerOptions.OutputKey}').", nameof(options));
        }
        bool probability = options.Probability ?? (metadata.TryGetValue("cascade.probability", out string? p) && p == "true");
        return new OnnxBinding(session, [.. inputs], output, probability, options.Missing, bytes, schema);
    }

    /// <summary>The column's source: a categorical field f as f, a numeric column j as ~j.</summary>
    private static int Column(FeatureSchema schema, string column, string key, bool codes)
    {
        for (int f = 0; f < schema.FieldCount; f++)
        {
            if (schema.Categorical[f].Name == column)
            {
                return f;
            }
        }
        for (int j = 0; j < schema.NumericCount; j++)
        {
            if (schema.Numeric[j] == column)
            {
                return codes
                    ? throw new ArgumentException($"Ranker 'onnx': parameter '{key}' puts numeric column '{column}' into an int64 input; int64 inputs take categorical codes only.", nameof(key))
                    : ~j;
            }
        }
        throw new ArgumentException($"Ranker 'onnx': parameter '{key}' names column '{column}', which the data does not have; its columns are {string.Join(", ", schema.Categorical.Select(c => c.Name).Concat(schema.Numeric))}.", nameof(key));
    }

    private static string Shape(int[] dims) => "[" + string.Join(", ", dims.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    public IReadOnlyList<string> Describe() => [.. _inputs.Select(i => $"{i.Name} ({(i.Codes ? "int64" : "float")}, {i.Sources.Length} columns)")];

    /// <summary>Fills every input from the rows, runs the model and copies the score output; thread-safe.</summary>
    public void Score(RankingDataset data, Span<float> scores)
    {
        int rows = data.Rows;
        var values = new OrtValue[_inputs.Length];
        try
        {
            for (int k = 0; k < _inputs.Length; k++)
            {
                values[k] = Fill(_inputs[k], data, rows);
            }
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, _inputNames, values, _outputNames);
            var result = outputs[0].GetTensorDataAsSpan<float>();
            if (result.Length != rows)
            {
                throw new InvalidOperationException($"The ONNX model's output '{_outputNames[0]}' has {result.Length} values for {rows} rows.");
            }
            result.CopyTo(scores);
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }
        }
    }

    private OrtValue Fill(Input input, RankingDataset data, int rows)
    {
        int width = input.Sources.Length;
        long[] shape = input.Rank == 1 ? [rows] : [rows, width];
        if (input.Codes)
        {
            long[] codes = new long[rows * width];
            for (int r = 0; r < rows; r++)
            {
                var row = data.Categorical.AsSpan(r * _fields, _fields);
                for (int c = 0; c < width; c++)
                {
                    codes[(r * width) + c] = row[input.Sources[c]];
                }
            }
            return OrtValue.CreateTensorValueFromMemory(codes, shape);
        }
        float[] dense = new float[rows * width];
        for (int r = 0; r < rows; r++)
        {
            var categorical = data.Categorical.AsSpan(r * _fields, _fields);
            var numeric = data.Numeric.AsSpan(r * _numeric, _numeric);
            for (int c = 0; c < width; c++)
            {
                int source = input.Sources[c];
                float v = source >= 0 ? categorical[source] : numeric[~source];
                dense[(r * width) + c] = float.IsNaN(v) && _missing is { } m ? m : v;
            }
        }
        return OrtValue.CreateTensorValueFromMemory(dense, shape);
    }

    public void Dispose() => _session.Dispose();

    private sealed record Input(string Name, bool Codes, int[] Sources, int Rank);
}
