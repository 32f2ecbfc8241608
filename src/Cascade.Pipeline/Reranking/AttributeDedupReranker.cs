namespace Cascade.Pipeline.Reranking;

/// <summary>What <see cref="AttributeDedupReranker"/> does with a candidate whose attribute value is already taken.</summary>
public enum DuplicateHandling
{
    /// <summary>Removes it from the list.</summary>
    Drop,

    /// <summary>Moves it after every non-duplicate, keeping the duplicates' relative order.</summary>
    Demote,
}

/// <summary>Options of <see cref="AttributeDedupReranker"/>.</summary>
/// <param name="Attribute">The item attribute to de-duplicate on, e.g. "series" or "author"; it must be indexed by the item table.</param>
/// <param name="Handling">Drop duplicates, or demote them to the end.</param>
/// <param name="MaxPerValue">How many candidates may share one value (the best-ranked ones are kept).</param>
public sealed record AttributeDedupOptions(
    string Attribute,
    DuplicateHandling Handling = DuplicateHandling.Drop,
    int MaxPerValue = RerankerDefaults.MaxPerValue);

/// <summary>
/// Keeps the best-ranked <see cref="AttributeDedupOptions.MaxPerValue"/> candidates per value of one attribute and
/// drops or demotes the rest. Candidates without the attribute (or when the table does not index it) are never
/// duplicates. Pinned candidates claim their value first and are never dropped or moved.
/// </summary>
public sealed class AttributeDedupReranker : IReranker
{
    private readonly AttributeDedupOptions _options;
    private readonly string _stage;

    /// <summary>Creates the re-ranker.</summary>
    /// <param name="options">Options.</param>
    /// <exception cref="ArgumentException">The attribute is blank or an option is out of range.</exception>
    public AttributeDedupReranker(AttributeDedupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Attribute))
        {
            throw new ArgumentException("De-duplication Attribute must name an item attribute, e.g. \"series\"; got a blank name.", nameof(options));
        }
        if (options.MaxPerValue < 1)
        {
            throw new ArgumentException($"De-duplication MaxPerValue must be at least 1; got {options.MaxPerValue}.", nameof(options));
        }
        if (!Enum.IsDefined(options.Handling))
        {
            throw new ArgumentException($"De-duplication Handling {(int)options.Handling} is not Drop or Demote.", nameof(options));
        }
        _options = options;
        _stage = "rerank:dedup:" + options.Attribute;
    }

    /// <summary>The options in force.</summary>
    public AttributeDedupOptions Options => _options;

    /// <inheritdoc/>
    public string Name => "dedup";

    /// <inheritdoc/>
    public void Rerank(RerankContext context, List<Candidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count < 2)
        {
            return;
        }
        var items = context.Items;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var layout = PinnedLayout.Split(candidates);
        foreach (var (_, pinned) in layout.Pinned)
        {
            if (items.Attribute(_options.Attribute, pinned.Item) is { } value)
            {
                counts[value] = counts.GetValueOrDefault(value) + 1;
            }
        }
        var free = layout.Free;
        List<Candidate>? demoted = null;
        int kept = 0;
        for (int i = 0; i < free.Count; i++)
        {
            var c = free[i];
            string? value = items.Attribute(_options.Attribute, c.Item);
            if (value is null || counts.GetValueOrDefault(value) < _options.MaxPerValue)
            {
                if (value is not null)
                {
                    counts[value] = counts.GetValueOrDefault(value) + 1;
                }
                free[kept++] = c;
                continue;
            }
            if (_options.Handling == DuplicateHandling.Demote)
            {
                (demoted ??= []).Add(c);
                c.Explain(_stage, () => $"demoted to the end: {_options.Attribute} '{value}' already shown {_options.MaxPerValue} time(s)");
            }
            else
            {
                c.Explain(_stage, () => $"dropped: {_options.Attribute} '{value}' already shown {_options.MaxPerValue} time(s)");
            }
        }
        free.RemoveRange(kept, free.Count - kept);
        if (demoted is not null)
        {
            free.AddRange(demoted);
        }
        layout.Merge(candidates);
    }
}
