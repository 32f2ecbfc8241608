using System.Globalization;

namespace Cascade.Ranking.Training;

/// <summary>Reads hyper-parameters given as text (from <c>name:key=value,…</c>) and refuses unknown keys.</summary>
internal static class HyperParameters
{
    public static void CheckKnown(IReadOnlyDictionary<string, string> parameters, string kind, params string[] known)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (string key in parameters.Keys)
        {
            if (Array.IndexOf(known, key) < 0)
            {
                throw new ArgumentException($"Unknown parameter '{key}' for ranker '{kind}'; it accepts {string.Join(", ", known)}.");
            }
        }
    }

    public static double Double(IReadOnlyDictionary<string, string> parameters, string kind, string key, double fallback) =>
        !parameters.TryGetValue(key, out string? text) ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value
        : throw new FormatException($"Parameter {key} of ranker '{kind}' must be a number; found '{text}'.");

    public static int Int(IReadOnlyDictionary<string, string> parameters, string kind, string key, int fallback) =>
        !parameters.TryGetValue(key, out string? text) ? fallback
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
        : throw new FormatException($"Parameter {key} of ranker '{kind}' must be an integer; found '{text}'.");
}
