using System.Globalization;

namespace Cascade.Ranking.Onnx;

/// <summary>
/// Settings of the <c>onnx</c> ranker: which model file, which feature columns fill each of its inputs, and how to
/// read its output. Given as ranker parameters (<c>onnx:model=m.onnx,input.dense=a+b+c</c> or the
/// <c>Pipeline:Ranker:Parameters</c> object); defaults here and in the model's own metadata.
/// </summary>
public sealed record OnnxRankerOptions
{
    /// <summary>Parameter naming the model file.</summary>
    public const string ModelKey = "model";

    /// <summary>Prefix of the parameters that map columns to an input: <c>input.NAME=col1+col2</c>.</summary>
    public const string InputPrefix = "input.";

    /// <summary>Parameter naming the output to read.</summary>
    public const string OutputKey = "output";

    /// <summary>Parameter saying whether the output is a probability.</summary>
    public const string ProbabilityKey = "probability";

    /// <summary>Parameter giving the value that replaces a missing (NaN) numeric value.</summary>
    public const string MissingKey = "missing";

    /// <summary>Parameter giving ONNX Runtime's intra-operator threads per scoring call.</summary>
    public const string ThreadsKey = "threads";

    /// <summary>Path of the .onnx file (relative paths from the working directory; a pipeline file resolves them from its own folder).</summary>
    public string ModelPath { get; init; } = "";

    /// <summary>
    /// Per model input, the feature columns that fill it, in order. Empty: the mapping the model's metadata carries
    /// (<c>cascade.input.NAME</c>, written by Cascade's own exports).
    /// </summary>
    public IReadOnlyDictionary<string, string[]> Inputs { get; init; } = new Dictionary<string, string[]>(StringComparer.Ordinal);

    /// <summary>The output read as the score; null: the metadata's <c>cascade.output</c>, else the model's first output.</summary>
    public string? Output { get; init; }

    /// <summary>Whether the output is a click probability; null: the metadata's <c>cascade.probability</c>, else false.</summary>
    public bool? Probability { get; init; }

    /// <summary>The value given to the model for a missing numeric value; null (default): NaN, as the data holds it.</summary>
    public float? Missing { get; init; }

    /// <summary>ONNX Runtime intra-operator threads per call (default 1: a request scores on its own thread).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Reads the parameters of <c>onnx:…</c>; unknown keys and bad values are refused with the key's name.</summary>
    /// <param name="parameters">Parameters by lower-case key.</param>
    /// <exception cref="ArgumentException">A key is unknown or a value is malformed.</exception>
    public static OnnxRankerOptions FromParameters(IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var options = new OnnxRankerOptions();
        var inputs = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters)
        {
            if (key.StartsWith(InputPrefix, StringComparison.Ordinal))
            {
                string input = key[InputPrefix.Length..];
                string[] columns = value.Split('+', StringSplitOptions.TrimEntries);
                if (input.Length == 0 || columns.Any(c => c.Length == 0))
                {
                    throw new ArgumentException($"Parameter '{key}' of ranker 'onnx' must be input.NAME=column+column+…; found '{key}={value}'.", nameof(parameters));
                }
                inputs[input] = columns;
                continue;
            }
            options = key switch
            {
                ModelKey => options with { ModelPath = value },
                OutputKey => options with { Output = value },
                ProbabilityKey => options with { Probability = bool.TryParse(value, out bool p) ? p : throw Bad(key, value, "true or false") },
                MissingKey => options with
                {
                    Missing = float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float m) ? m : throw Bad(key, value, "a number"),
                },
                ThreadsKey => options with
                {
                    Threads = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int t) && t >= 1 ? t : throw Bad(key, value, "an integer ≥ 1"),
                },
                _ => throw new ArgumentException($"Unknown parameter '{key}' for ranker 'onnx'; it accepts {ModelKey}, {InputPrefix}NAME, {OutputKey}, {ProbabilityKey}, {MissingKey}, {ThreadsKey}.", nameof(parameters)),
            };
        }
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            throw new ArgumentException($"Ranker 'onnx' needs parameter '{ModelKey}': the path of the .onnx file.", nameof(parameters));
        }
        return options with { Inputs = inputs };
    }

    /// <summary>The options as parameters again (what a saved ranker keeps).</summary>
    public IReadOnlyDictionary<string, string> ToParameters()
    {
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal) { [ModelKey] = ModelPath };
        foreach (var (input, columns) in Inputs)
        {
            parameters[InputPrefix + input] = string.Join('+', columns);
        }
        if (Output is not null)
        {
            parameters[OutputKey] = Output;
        }
        if (Probability is { } p)
        {
            parameters[ProbabilityKey] = p ? "true" : "false";
        }
        if (Missing is { } m)
        {
            parameters[MissingKey] = m.ToString("R", CultureInfo.InvariantCulture);
        }
        parameters[ThreadsKey] = Threads.ToString(CultureInfo.InvariantCulture);
        return parameters;
    }

    private static FormatException Bad(string key, string value, string expected) =>
        new($"Parameter '{key}' of ranker 'onnx' must be {expected}; found '{value}'.");
}
