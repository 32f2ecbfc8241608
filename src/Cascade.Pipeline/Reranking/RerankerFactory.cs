using System.Globalization;

namespace Cascade.Pipeline.Reranking;

/// <summary>Creates re-rankers from configuration (docs/reranking.md lists each kind's settings).</summary>
public static class RerankerFactory
{
    private static readonly Dictionary<string, string[]> Known = new(StringComparer.Ordinal)
    {
        ["mmr"] = ["lambda", "depth", "maxdepth", "similarity"],
        ["category-cap"] = ["maxpercategory", "window"],
        ["dedup"] = ["attribute", "handling", "maxpervalue"],
        ["boost"] = ["freshnessweight", "freshnesshalflifehours"],
        ["pin"] = ["pins", "insertmissing"],
        ["explore"] = ["strategy", "positions", "fraction", "epsilon", "poolsize", "prioralpha", "priorbeta"],
    };

    /// <summary>Creates the re-ranker <paramref name="options"/> describes.</summary>
    /// <param name="options">Kind and settings (setting names are case-insensitive).</param>
    /// <param name="items">The item table (for validating categories and attributes).</param>
    /// <param name="stats">Impression and click counts, required by explore with strategy thompson.</param>
    /// <exception cref="ArgumentException">Unknown kind, unknown setting or bad value.</exception>
    public static IReranker Create(RerankerOptions options, ItemTable items, IExplorationStats? stats = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(items);
        string kind = options.Kind?.Trim().ToLowerInvariant() ?? "";
        if (!Known.TryGetValue(kind, out var names))
        {
            throw new ArgumentException($"Re-ranker kind '{options.Kind}' is unknown; use one of {string.Join(", ", Known.Keys)}.", nameof(options));
        }
        var s = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in options.Settings)
        {
            string name = key.Trim().ToLowerInvariant();
            bool boostRule = kind == "boost" && (name.StartsWith("category:", StringComparison.Ordinal)
                || name.StartsWith("tag:", StringComparison.Ordinal) || name.StartsWith("attribute:", StringComparison.Ordinal));
            if (!boostRule && Array.IndexOf(names, name) < 0)
            {
                throw new ArgumentException(
                    $"Re-ranker '{kind}' has no setting '{key}'; its settings are {string.Join(", ", names)}{(kind == "boost" ? ", category:<name>, tag:<name>, attribute:<name>=<value>" : "")}.",
                    nameof(options));
            }
            s[boostRule ? key.Trim() : name] = value;
        }
        return kind switch
        {
            "mmr" => new MmrReranker(new MmrOptions(
                Float(s, "lambda", RerankerDefaults.MmrLambda),
                s.ContainsKey("depth") ? Int(s, "depth", 0) : null,
                Int(s, "maxdepth", RerankerDefaults.MmrMaxDepth),
                Enum<MmrSimilarity>(s, "similarity", MmrSimilarity.Auto))),
            "category-cap" => new CategoryCapReranker(new CategoryCapOptions(
                Int(s, "maxpercategory", RerankerDefaults.MaxPerCategory), Int(s, "window", RerankerDefaults.CategoryWindow))),
            "dedup" => new AttributeDedupReranker(new AttributeDedupOptions(
                s.GetValueOrDefault("attribute") ?? throw new ArgumentException("Re-ranker 'dedup' needs the setting 'attribute', e.g. series.", nameof(options)),
                Enum<DuplicateHandling>(s, "handling", DuplicateHandling.Drop),
                Int(s, "maxpervalue", RerankerDefaults.MaxPerValue))),
            "boost" => new BoostReranker(Boost(s)),
            "pin" => new PinReranker(new PinOptions(Pins(s), Bool(s, "insertmissing", false))),
            _ => new ExplorationReranker(new ExplorationOptions(
                s.GetValueOrDefault("strategy")?.Trim().ToLowerInvariant() switch
                {
                    null or "epsilon" or "epsilongreedy" or "epsilon-greedy" => ExplorationStrategy.EpsilonGreedy,
                    "thompson" => ExplorationStrategy.Thompson,
                    var other => throw new ArgumentException($"Re-ranker 'explore' strategy '{other}' is unknown; use epsilon or thompson.", nameof(options)),
                },
                s.TryGetValue("positions", out var p) ? [.. p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => Parse<int>("positions", x))] : null,
                Double(s, "fraction", RerankerDefaults.ExplorationFraction),
                Double(s, "epsilon", RerankerDefaults.Epsilon),
                Int(s, "poolsize", RerankerDefaults.ExplorationPoolSize),
                Double(s, "prioralpha", RerankerDefaults.PriorAlpha),
                Double(s, "priorbeta", RerankerDefaults.PriorBeta)), stats),
        };
    }

    private static BoostOptions Boost(Dictionary<string, string> s)
    {
        var rules = new List<BoostRule>();
        foreach (var (key, value) in s)
        {
            int colon = key.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }
            string what = key[..colon].ToLowerInvariant(), target = key[(colon + 1)..];
            var (multiply, add) = Effect(key, value);
            if (what == "attribute")
            {
                int eq = target.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || eq == target.Length - 1)
                {
                    throw new ArgumentException($"Boost setting '{key}' must read attribute:<name>=<value>, e.g. attribute:author=ann.", nameof(s));
                }
                rules.Add(new BoostRule(BoostMatch.Attribute, target[(eq + 1)..], multiply, add, target[..eq]));
            }
            else
            {
                rules.Add(new BoostRule(what == "tag" ? BoostMatch.Tag : BoostMatch.Category, target, multiply, add));
            }
        }
        FreshnessBoost? freshness = s.ContainsKey("freshnessweight") || s.ContainsKey("freshnesshalflifehours")
            ? new FreshnessBoost(Float(s, "freshnessweight", 1f), TimeSpan.FromHours(Double(s, "freshnesshalflifehours", 24)))
            : null;
        return new BoostOptions(rules, freshness);
    }

    /// <summary>Reads "x1.5", "+0.1", "-0.2" or "x1.5+0.1".</summary>
    private static (float Multiply, float Add) Effect(string key, string value)
    {
        string v = value.Replace(" ", "", StringComparison.Ordinal);
        float multiply = 1f, add = 0f;
        if (v.StartsWith('x') || v.StartsWith('*') || v.StartsWith('×'))
        {
            int end = v.IndexOfAny(['+', '-'], 1);
            multiply = Parse<float>(key, end < 0 ? v[1..] : v[1..end]);
            v = end < 0 ? "" : v[end..];
        }
        if (v.Length > 0)
        {
            if (v[0] is not ('+' or '-'))
            {
                throw new ArgumentException($"Boost setting '{key}' = '{value}' must read x<factor>, +<increment>, -<decrement> or x<factor>+<increment>.", nameof(value));
            }
            add = Parse<float>(key, v);
        }
        return (multiply, add);
    }

    private static List<Pin> Pins(Dictionary<string, string> s)
    {
        var pins = new List<Pin>();
        foreach (string entry in (s.GetValueOrDefault("pins") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int at = entry.LastIndexOf('@');
            if (at <= 0)
            {
                throw new ArgumentException($"Pin '{entry}' must read <item id>@<0-based position>, e.g. promo-1@0.", nameof(s));
            }
            pins.Add(new Pin(entry[..at], Parse<int>("pins", entry[(at + 1)..])));
        }
        return pins;
    }

    private static int Int(Dictionary<string, string> s, string name, int fallback) =>
        s.TryGetValue(name, out var v) ? Parse<int>(name, v) : fallback;

    private static float Float(Dictionary<string, string> s, string name, float fallback) =>
        s.TryGetValue(name, out var v) ? Parse<float>(name, v) : fallback;

    private static double Double(Dictionary<string, string> s, string name, double fallback) =>
        s.TryGetValue(name, out var v) ? Parse<double>(name, v) : fallback;

    private static bool Bool(Dictionary<string, string> s, string name, bool fallback) =>
        !s.TryGetValue(name, out var v) ? fallback
        : bool.TryParse(v.Trim(), out bool b) ? b
        : throw new ArgumentException($"Setting '{name}' = '{v}' is not true or false.", nameof(s));

    private static T Enum<T>(Dictionary<string, string> s, string name, T fallback) where T : struct, Enum =>
        !s.TryGetValue(name, out var v) ? fallback
        : System.Enum.TryParse<T>(v.Trim(), ignoreCase: true, out var e) && System.Enum.IsDefined(e) ? e
        : throw new ArgumentException($"Setting '{name}' = '{v}' is not one of {string.Join(", ", System.Enum.GetNames<T>()).ToLowerInvariant()}.", nameof(s));

    private static T Parse<T>(string name, string value) where T : ISpanParsable<T> =>
        T.TryParse(value.Trim(), CultureInfo.InvariantCulture, out var result) ? result
        : throw new ArgumentException($"Setting '{name}' = '{value}' is not a {typeof(T).Name.ToLowerInvariant()}.", nameof(value));
}
