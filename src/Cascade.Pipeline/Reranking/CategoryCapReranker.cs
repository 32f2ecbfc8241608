namespace Cascade.Pipeline.Reranking;

/// <summary>Options of <see cref="CategoryCapReranker"/>.</summary>
/// <param name="MaxPerCategory">At most this many items of one primary category in any window (at least 1).</param>
/// <param name="Window">Window length in consecutive positions (at least 2, and more than <paramref name="MaxPerCategory"/>).</param>
public sealed record CategoryCapOptions(
    int MaxPerCategory = RerankerDefaults.MaxPerCategory,
    int Window = RerankerDefaults.CategoryWindow);

/// <summary>
/// Caps how often one primary category appears in any <see cref="CategoryCapOptions.Window"/> consecutive positions.
/// Positions are filled in order; each takes the best-ranked remaining candidate whose category has room in the
/// window ending there, so a candidate that would break the cap moves down to the first position where it fits.
/// Candidates are never dropped: when no remaining candidate fits anywhere, the rest keep their order at the end
/// (and may exceed the cap there). Items without a category are not capped. Pinned candidates keep their positions
/// and count toward the cap, but are never moved for it: a window can exceed the cap only because of a pin.
/// </summary>
public sealed class CategoryCapReranker : IReranker
{
    private const string Stage = "rerank:category-cap";
    private readonly CategoryCapOptions _options;

    /// <summary>Creates the re-ranker.</summary>
    /// <param name="options">Options; null for defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public CategoryCapReranker(CategoryCapOptions? options = null)
    {
        _options = options ?? new CategoryCapOptions();
        if (_options.MaxPerCategory < 1)
        {
            throw new ArgumentException($"Category cap MaxPerCategory must be at least 1; got {_options.MaxPerCategory}.", nameof(options));
        }
        if (_options.Window <= _options.MaxPerCategory)
        {
            throw new ArgumentException(
                $"Category cap Window ({_options.Window}) must be greater than MaxPerCategory ({_options.MaxPerCategory}); otherwise it caps nothing.",
                nameof(options));
        }
    }

    /// <summary>The options in force.</summary>
    public CategoryCapOptions Options => _options;

    /// <inheritdoc/>
    public string Name => "category-cap";

    /// <inheritdoc/>
    public void Rerank(RerankContext context, List<Candidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        int n = candidates.Count;
        if (n < 2)
        {
            return;
        }
        var items = context.Items;
        var layout = PinnedLayout.Split(candidates);
        var free = layout.Free;
        var pinned = layout.Pinned;
        var original = new Dictionary<Candidate, int>(n, ReferenceEqualityComparer.Instance);
        for (int i = 0; i < n; i++)
        {
            original[candidates[i]] = i;
        }
        var taken = new bool[free.Count];
        var counts = new Dictionary<int, int>();
        int head = 0, nextPin = 0, placedFree = 0;
        bool stuck = false;
        candidates.Clear();
        for (int p = 0; p < n; p++)
        {
            Candidate chosen;
            if (nextPin < pinned.Count && (pinned[nextPin].Position == p || placedFree == free.Count))
            {
                chosen = pinned[nextPin++].Candidate;
            }
            else
            {
                int pick = -1;
                if (!stuck)
                {
                    for (int i = head; i < free.Count; i++)
                    {
                        if (!taken[i] && Fits(items.PrimaryCategory(free[i].Item), counts))
                        {
                            pick = i;
                            break;
                        }
                    }
                    // Nothing fits here; unless a later pin changes the window, nothing fits anywhere after.
                    stuck = pick < 0 && nextPin >= pinned.Count;
                }
                bool overflow = pick < 0;
                if (overflow)
                {
                    while (taken[head])
                    {
                        head++;
                    }
                    pick = head;
                }
                taken[pick] = true;
                placedFree++;
                while (head < free.Count && taken[head])
                {
                    head++;
                }
                chosen = free[pick];
                int from = original[chosen], to = p;
                if (context.Explain && from != to)
                {
                    int category = items.PrimaryCategory(chosen.Item);
                    string name = category < 0 ? "(none)" : items.CategoryNames[category];
                    chosen.Explain(Stage, overflow
                        ? () => $"moved from {from} to {to}: no position fits category '{name}' within the list; kept at the end"
                        : () => $"moved from {from} to {to}: category '{name}' capped at {_options.MaxPerCategory} per {_options.Window} positions");
                }
            }
            candidates.Add(chosen);
            Slide(items, candidates, counts);
        }
    }

    private bool Fits(int category, Dictionary<int, int> counts) =>
        category < 0 || counts.GetValueOrDefault(category) < _options.MaxPerCategory;

    /// <summary>After placing at position p, keeps <paramref name="counts"/> over positions p−Window+2..p: the window ending at p+1, less p+1 itself.</summary>
    private void Slide(ItemTable items, List<Candidate> placed, Dictionary<int, int> counts)
    {
        int p = placed.Count - 1;
        int added = items.PrimaryCategory(placed[p].Item);
        if (added >= 0)
        {
            counts[added] = counts.GetValueOrDefault(added) + 1;
        }
        int leaving = p - _options.Window + 1;
        if (leaving >= 0)
        {
            int removed = items.PrimaryCategory(placed[leaving].Item);
            if (removed >= 0)
            {
                counts[removed]--;
            }
        }
    }
}
