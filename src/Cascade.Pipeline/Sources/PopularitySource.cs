namespace Cascade.Pipeline.Sources;

/// <summary>
/// Popular or trending items: score(i) = Σ interactions' positive weights decayed by age,
/// w · 2^(−(T − t)/halfLife), T the newest interaction. Without a half-life (or without timestamps) it is plain
/// popularity. Also the pipeline's fallback when other sources fail.
/// </summary>
/// <param name="name">Source name.</param>
/// <param name="halfLife">Half-life of an interaction's weight, or null for no decay.</param>
public sealed class PopularitySource(string name, TimeSpan? halfLife = null) : ICandidateSource
{
    private int[] _ranked = [];
    private float[] _scores = [];

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>Items from most to least popular (items without positive weight are left out).</summary>
    public ReadOnlySpan<int> Ranked => _ranked;

    /// <summary>Each item's score (0 for unseen items).</summary>
    public ReadOnlySpan<float> Scores => _scores;

    /// <inheritdoc />
    public void Fit(PipelineData data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var m = data.Interactions;
        var scores = new float[data.Items.Count];
        var times = m.Timestamps;
        long newest = data.NewestTimestampMs;
        double halfLifeMs = halfLife?.TotalMilliseconds ?? double.PositiveInfinity;
        for (int k = 0; k < m.NonZeros; k++)
        {
            float w = m.Values[k];
            int item = m.ColumnIndices[k];
            if (w > 0 && item < scores.Length)
            {
                double decay = times is null || double.IsPositiveInfinity(halfLifeMs) ? 1 : Math.Pow(2, -(newest - times[k]) / halfLifeMs);
                scores[item] += (float)(w * decay);
            }
        }
        var ranked = Enumerable.Range(0, scores.Length).Where(i => scores[i] > 0).ToArray();
        Array.Sort(ranked, (a, b) => scores[b].CompareTo(scores[a]) is var c && c != 0 ? c : a.CompareTo(b));
        _scores = scores;
        _ranked = ranked;
    }

    /// <inheritdoc />
    public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        int added = 0;
        foreach (int item in _ranked)
        {
            if (added == quota)
            {
                break;
            }
            if (request.Allows(item))
            {
                output.Add(new ScoredItem(item, _scores[item]));
                added++;
            }
        }
    }
}

/// <summary>The newest items by creation time; score = 1 / (1 + age in days).</summary>
/// <param name="name">Source name.</param>
public sealed class LatestSource(string name) : ICandidateSource
{
    private int[] _newestFirst = [];

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public void Fit(PipelineData data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var created = data.Items.CreatedAtMs;
        var order = Enumerable.Range(0, data.Items.Count).ToArray();
        Array.Sort(order, (a, b) => created[b].CompareTo(created[a]) is var c && c != 0 ? c : a.CompareTo(b));
        _newestFirst = order;
    }

    /// <inheritdoc />
    public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        int added = 0;
        foreach (int item in _newestFirst)
        {
            if (added == quota)
            {
                break;
            }
            if (request.Allows(item))
            {
                double ageDays = Math.Max(0, request.NowMs - request.Items.CreatedAtMs[item]) / 86_400_000.0;
                output.Add(new ScoredItem(item, (float)(1 / (1 + ageDays))));
                added++;
            }
        }
    }
}

/// <summary>Editorial picks: a fixed list of item ids, in order; score falls from 1 with the position.</summary>
/// <param name="name">Source name.</param>
/// <param name="itemIds">External item ids; unknown ids are ignored (and reported by <see cref="UnknownIds"/>).</param>
public sealed class RulesSource(string name, IReadOnlyList<string> itemIds) : ICandidateSource
{
    private int[] _items = [];

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>Configured ids not in the catalog at the last fit.</summary>
    public IReadOnlyList<string> UnknownIds { get; private set; } = [];

    /// <inheritdoc />
    public void Fit(PipelineData data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        _items = [.. itemIds.Select(data.Items.IndexOf).Where(i => i >= 0)];
        UnknownIds = [.. itemIds.Where(id => data.Items.IndexOf(id) < 0)];
    }

    /// <inheritdoc />
    public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        int added = 0;
        for (int i = 0; i < _items.Length && added < quota; i++)
        {
            if (request.Allows(_items[i]))
            {
                output.Add(new ScoredItem(_items[i], 1f / (1 + i)));
                added++;
            }
        }
    }
}
