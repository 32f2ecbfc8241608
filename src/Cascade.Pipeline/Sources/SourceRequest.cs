namespace Cascade.Pipeline.Sources;

/// <summary>
/// A request as the sources and filters see it: the user (dense id, or −1 for an anonymous session or a user who
/// joined after the bundle was trained), the user's recent items newest first, and the filter that says which items
/// may be proposed.
/// </summary>
public sealed class SourceRequest
{
    private readonly HashSet<int> _excluded;
    private readonly Func<int, bool>? _predicate;
    private readonly Lock _scoresGate = new();
    private List<(object Source, float[] Scores)>? _scores;

    /// <summary>Creates a request.</summary>
    /// <param name="items">The item table.</param>
    /// <param name="user">Dense user id, or −1.</param>
    /// <param name="history">The user's items, newest first (deduplicated by the caller or not).</param>
    /// <param name="nowMs">Request time, Unix ms (for expiry and recency).</param>
    /// <param name="excludeHistory">Whether items in <paramref name="history"/> are filtered out (the "seen" filter).</param>
    /// <param name="excluded">Further items never to propose (blocked, already served on earlier pages).</param>
    /// <param name="category">Only items in this category code (any level), or −1 for any.</param>
    /// <param name="predicate">A business predicate on the dense item id, or null.</param>
    public SourceRequest(ItemTable items, int user, IReadOnlyList<int> history, long nowMs, bool excludeHistory = true,
        IEnumerable<int>? excluded = null, int category = -1, Func<int, bool>? predicate = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(history);
        Items = items;
        User = user;
        History = history;
        NowMs = nowMs;
        Category = category;
        _predicate = predicate;
        _excluded = excluded is null ? [] : [.. excluded];
        if (excludeHistory)
        {
            _excluded.UnionWith(history);
        }
    }

    /// <summary>The item table.</summary>
    public ItemTable Items { get; }

    /// <summary>Dense user id, or −1.</summary>
    public int User { get; }

    /// <summary>The user's items, newest first.</summary>
    public IReadOnlyList<int> History { get; }

    /// <summary>Request time, Unix ms.</summary>
    public long NowMs { get; }

    /// <summary>Category code every proposal must carry, or −1.</summary>
    public int Category { get; }

    /// <summary>Whether <paramref name="item"/> may be proposed: servable now, not seen or excluded, in the category, passing the predicate.</summary>
    /// <param name="item">Dense item id.</param>
    public bool Allows(int item) =>
        (uint)item < (uint)Items.Count
        && Items.IsServable(item, NowMs)
        && !_excluded.Contains(item)
        && (Category < 0 || Array.IndexOf(Items.Categories[item], Category) >= 0)
        && (_predicate is null || _predicate(item));

    /// <summary>
    /// Keeps a source's scores of every item for the rest of this request (a model source that scored the whole
    /// catalog to propose), so scoring the candidates for the ranker reads them instead of scoring again. The array
    /// must come from <see cref="System.Buffers.ArrayPool{T}.Shared"/>; <see cref="ReleaseScores"/> returns it.
    /// </summary>
    /// <param name="source">The source (the key).</param>
    /// <param name="scores">Its score of each dense item id (at least the model's item count long).</param>
    public void KeepScores(object source, float[] scores)
    {
        lock (_scoresGate)
        {
            (_scores ??= []).Add((source, scores));
        }
    }

    /// <summary>The scores <paramref name="source"/> kept for this request, or null.</summary>
    /// <param name="source">The source.</param>
    public float[]? KeptScores(object source)
    {
        lock (_scoresGate)
        {
            if (_scores is not null)
            {
                foreach (var (s, scores) in _scores)
                {
                    if (ReferenceEquals(s, source))
                    {
                        return scores;
                    }
                }
            }
            return null;
        }
    }

    /// <summary>Returns every kept score array to the pool; the request keeps none afterwards.</summary>
    public void ReleaseScores()
    {
        lock (_scoresGate)
        {
            foreach (var (_, scores) in _scores ?? [])
            {
                System.Buffers.ArrayPool<float>.Shared.Return(scores);
            }
            _scores = null;
        }
    }
}
