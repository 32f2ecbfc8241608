using System.Globalization;

namespace Cascade.Models;

/// <summary>
/// A model and its hyper-parameters as written on the command line: <c>name</c> or <c>name:key=value,key=value</c>,
/// e.g. <c>ease:lambda=400</c> or <c>rp3beta:alpha=0.8,beta=0.3,neighbours=200</c>.
/// </summary>
/// <param name="Name">The model name (see <see cref="ModelCatalog"/>), lower case.</param>
/// <param name="Parameters">Hyper-parameters by lower-case key, as text.</param>
public sealed record ModelSpec(string Name, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>Parses <c>name[:key=value[,key=value…]]</c>.</summary>
    /// <param name="text">The spec text.</param>
    /// <exception cref="FormatException">A parameter is not of the form key=value.</exception>
    public static ModelSpec Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        text = text.Trim();
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (colon >= 0)
        {
            foreach (string part in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new FormatException($"Model parameter '{part}' in '{text}' is not of the form key=value.");
                }
                parameters[part[..eq].Trim().ToLowerInvariant()] = part[(eq + 1)..].Trim();
            }
        }
        return new ModelSpec(name, parameters);
    }

    /// <summary>
    /// Parses a list of specs given as separate tokens and/or joined by commas: <c>als,bpr,twotower</c>,
    /// <c>als bpr</c> and <c>itemknn:alpha=0.1,neighbours=100,ease</c> all work, because a comma-separated piece
    /// that is <c>key=value</c> without a model name continues the previous model's parameters.
    /// </summary>
    /// <exception cref="FormatException">A parameter comes before any model name.</exception>
    public static IReadOnlyList<ModelSpec> ParseList(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var texts = new List<string>();
        foreach (string token in tokens)
        {
            foreach (string piece in token.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                bool continues = piece.Contains('=', StringComparison.Ordinal) && !piece.Contains(':', StringComparison.Ordinal);
                if (!continues)
                {
                    texts.Add(piece);
                }
                else if (texts.Count == 0)
                {
                    throw new FormatException($"Model parameter '{piece}' comes before any model name.");
                }
                else
                {
                    texts[^1] += (texts[^1].Contains(':', StringComparison.Ordinal) ? "," : ":") + piece;
                }
            }
        }
        return [.. texts.Select(Parse)];
    }

    /// <summary>The canonical text, <c>name[:key=value,…]</c> with keys sorted; used as the model's label in reports.</summary>
    public override string ToString() =>
        Parameters.Count == 0 ? Name : Name + ":" + string.Join(",", Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));

    /// <summary>A copy with <paramref name="key"/> set to <paramref name="value"/>.</summary>
    public ModelSpec With(string key, string value)
    {
        var copy = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Parameters)
        {
            copy[pair.Key] = pair.Value;
        }
        copy[key] = value;
        return this with { Parameters = copy };
    }

    internal double GetDouble(string key, double fallback) =>
        Parameters.TryGetValue(key, out string? v) ? ParseNumber(key, v) : fallback;

    internal int GetInt(string key, int fallback)
    {
        if (!Parameters.TryGetValue(key, out string? v))
        {
            return fallback;
        }
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new FormatException($"Parameter {key} of model '{Name}' must be an integer; found '{v}'.");
    }

    internal bool GetBool(string key, bool fallback)
    {
        if (!Parameters.TryGetValue(key, out string? v))
        {
            return fallback;
        }
        return v.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new FormatException($"Parameter {key} of model '{Name}' must be true or false; found '{v}'."),
        };
    }

    internal string GetString(string key, string fallback) => Parameters.TryGetValue(key, out string? v) ? v.ToLowerInvariant() : fallback;

    private double ParseNumber(string key, string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double result)
            ? result
            : throw new FormatException($"Parameter {key} of model '{Name}' must be a number; found '{v}'.");
}
