namespace Cascade.Pipeline.Reranking;

/// <summary>What a <see cref="BoostRule"/> matches.</summary>
public enum BoostMatch
{
    /// <summary>Items with the category (at any level) named by the rule's value.</summary>
    Category,

    /// <summary>Items with the tag named by the rule's value.</summary>
    Tag,

    /// <summary>Items whose attribute <see cref="BoostRule.Attribute"/> equals the rule's value.</summary>
    Attribute,
}

/// <summary>One boost: matching candidates have their score multiplied by <paramref name="Multiply"/> and then <paramref name="Add"/> added.</summary>
/// <param name="Match">What the rule matches on.</param>
/// <param name="Value">The category name, tag name or attribute value to match (exact, case-sensitive).</param>
/// <param name="Multiply">Score factor (finite, at least 0); 1 for none. Assumes non-negative scores; use Add for scores that may be negative.</param>
/// <param name="Add">Score increment (finite, may be negative); 0 for none.</param>
/// <param name="Attribute">The attribute name, required when <paramref name="Match"/> is Attribute (the item table must index it).</param>
public sealed record BoostRule(BoostMatch Match, string Value, float Multiply = 1f, float Add = 0f, string? Attribute = null);

/// <summary>
/// Freshness boost: the score is multiplied by 1 + Weight × 0.5^(age / HalfLife), where age is the request time minus
/// the item's creation time (0 for items created in the future). A new item gets 1 + Weight, one half-life old
/// 1 + Weight/2.
/// </summary>
/// <param name="Weight">Boost of a brand-new item (finite, at least 0).</param>
/// <param name="HalfLife">Age at which the boost halves (positive).</param>
public sealed record FreshnessBoost(float Weight, TimeSpan HalfLife);

/// <summary>Options of <see cref="BoostReranker"/>.</summary>
/// <param name="Rules">Boost rules; every matching rule applies (all factors first, then all increments).</param>
/// <param name="Freshness">Optional freshness boost, applied as one more factor.</param>
public sealed record BoostOptions(IReadOnlyList<BoostRule> Rules, FreshnessBoost? Freshness = null);

/// <summary>
/// Adjusts scores by category, tag, attribute value and freshness, then re-sorts by the new score (stable: equal
/// scores keep their order). Pinned candidates are adjusted but keep their positions.
/// </summary>
public sealed class BoostReranker : IReranker
{
    private const string Stage = "rerank:boost";
    private readonly BoostOptions _options;
    private volatile Resolved? _resolved;

    /// <summary>Creates the re-ranker.</summary>
    /// <param name="options">Options.</param>
    /// <exception cref="ArgumentException">A rule is malformed.</exception>
    public BoostReranker(BoostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Rules, "options.Rules");
        for (int i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i] ?? throw new ArgumentException($"Boost rule {i} is null.", nameof(options));
            if (string.IsNullOrEmpty(rule.Value))
            {
                throw new ArgumentException($"Boost rule {i} has an empty Value; give the {rule.Match} to match.", nameof(options));
            }
            if (!float.IsFinite(rule.Multiply) || rule.Multiply < 0f)
            {
                throw new ArgumentException($"Boost rule {i} ({rule.Match} '{rule.Value}') has Multiply {rule.Multiply}; it must be finite and at least 0.", nameof(options));
            }
            if (!float.IsFinite(rule.Add))
            {
                throw new ArgumentException($"Boost rule {i} ({rule.Match} '{rule.Value}') has Add {rule.Add}; it must be finite.", nameof(options));
            }
            if (!Enum.IsDefined(rule.Match))
            {
                throw new ArgumentException($"Boost rule {i} has Match {(int)rule.Match}; use Category, Tag or Attribute.", nameof(options));
            }
            if ((rule.Match == BoostMatch.Attribute) == string.IsNullOrWhiteSpace(rule.Attribute))
            {
                throw new ArgumentException(rule.Match == BoostMatch.Attribute
                    ? $"Boost rule {i} matches an attribute value '{rule.Value}' but names no Attribute."
                    : $"Boost rule {i} matches a {rule.Match} but names Attribute '{rule.Attribute}'; Attribute is only for Match = Attribute.", nameof(options));
            }
        }
        if (options.Freshness is { } f)
        {
            if (!float.IsFinite(f.Weight) || f.Weight < 0f)
            {
                throw new ArgumentException($"Freshness Weight must be finite and at least 0; got {f.Weight}.", nameof(options));
            }
            if (f.HalfLife <= TimeSpan.Zero)
            {
                throw new ArgumentException($"Freshness HalfLife must be positive; got {f.HalfLife}.", nameof(options));
            }
        }
        _options = options;
    }

    /// <summary>The options in force.</summary>
    public BoostOptions Options => _options;

    /// <inheritdoc/>
    public string Name => "boost";

    /// <inheritdoc/>
    public void Rerank(RerankContext context, List<Candidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        var items = context.Items;
        var resolved = Resolve(items);
        foreach (var c in candidates)
        {
            Adjust(context, resolved, c);
        }
        if (!PinnedLayout.Any(candidates))
        {
            Sort(context.Explain, candidates);
            return;
        }
        var layout = PinnedLayout.Split(candidates);
        Sort(context.Explain, layout.Free);
        layout.Merge(candidates);
    }

    private void Adjust(RerankContext context, Resolved resolved, Candidate c)
    {
        var items = context.Items;
        float factor = 1f, add = 0f;
        List<string>? notes = context.Explain ? [] : null;
        for (int r = 0; r < _options.Rules.Count; r++)
        {
            var rule = _options.Rules[r];
            bool match = rule.Match switch
            {
                BoostMatch.Category => resolved.Codes[r] >= 0 && Array.IndexOf(items.Categories[c.Item], resolved.Codes[r]) >= 0,
                BoostMatch.Tag => resolved.Codes[r] >= 0 && Array.IndexOf(items.Tags[c.Item], resolved.Codes[r]) >= 0,
                _ => string.Equals(items.Attribute(rule.Attribute!, c.Item), rule.Value, StringComparison.Ordinal),
            };
            if (match)
            {
                factor *= rule.Multiply;
                add += rule.Add;
                notes?.Add($"{Describe(rule)} ({rule.Match.ToString().ToLowerInvariant()} '{rule.Value}')");
            }
        }
        if (_options.Freshness is { } fresh)
        {
            double ageMs = Math.Max(0, context.NowMs - items.CreatedAtMs[c.Item]);
            double boost = fresh.Weight * Math.Pow(0.5, ageMs / fresh.HalfLife.TotalMilliseconds);
            factor *= (float)(1.0 + boost);
            notes?.Add($"×{1.0 + boost:0.###} freshness (age {TimeSpan.FromMilliseconds(ageMs).TotalHours:0.#} h)");
        }
        if (factor == 1f && add == 0f)
        {
            return;
        }
        float before = c.Score;
        c.Score = before * factor + add;
        if (notes is { Count: > 0 })
        {
            c.Explain(Stage, $"{string.Join(", ", notes)}: {before:0.####} → {c.Score:0.####}");
        }
    }

    private static string Describe(BoostRule rule) => (rule.Multiply, rule.Add) switch
    {
        (1f, var a) => $"{a:+0.###;-0.###}",
        (var m, 0f) => $"×{m:0.###}",
        var (m, a) => $"×{m:0.###} {a:+0.###;-0.###}",
    };

    private static void Sort(bool explain, List<Candidate> list)
    {
        int n = list.Count;
        var order = new int[n];
        var keys = new float[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = float.IsNaN(list[i].Score) ? float.NegativeInfinity : list[i].Score;
        }
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[b].CompareTo(keys[a]) : a.CompareTo(b));
        var copy = list.ToArray();
        for (int p = 0; p < n; p++)
        {
            int from = order[p], to = p;
            list[p] = copy[from];
            if (explain && from != to)
            {
                copy[from].Explain(Stage, () => $"moved from {from} to {to}");
            }
        }
    }

    private Resolved Resolve(ItemTable items)
    {
        var resolved = _resolved;
        if (resolved is not null && ReferenceEquals(resolved.Table, items))
        {
            return resolved;
        }
        var codes = new int[_options.Rules.Count];
        for (int r = 0; r < codes.Length; r++)
        {
            var rule = _options.Rules[r];
            var names = rule.Match switch
            {
                BoostMatch.Category => items.CategoryNames,
                BoostMatch.Tag => items.TagNames,
                _ => null,
            };
            codes[r] = -1;
            for (int k = 0; names is not null && k < names.Count; k++)
            {
                if (string.Equals(names[k], rule.Value, StringComparison.Ordinal))
                {
                    codes[r] = k;
                    break;
                }
            }
        }
        resolved = new Resolved(items, codes);
        _resolved = resolved;
        return resolved;
    }

    /// <summary>Rule values resolved to category and tag codes of one item table (-1: not in that table).</summary>
    private sealed record Resolved(ItemTable Table, int[] Codes);
}
