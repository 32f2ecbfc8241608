using Cascade.Ranking;

namespace Cascade.Pipeline.Ranking;

/// <summary>
/// The features the pipeline itself knows about a candidate, one definition for training and serving: for each
/// source its score divided by the source's best score in this request and the rank it gave (NaN when the source did
/// not propose the item), and — for sources that can score any item (model and ANN sources) — its score of every
/// candidate divided by its best over the candidates and as a z-score over the candidates, so the ranker sees every model's opinion of every candidate; how many sources proposed it; the item's popularity relative to the most popular item; its
/// age in days; the user's history length (log); the user's affinity to the item's categories (the share of the
/// user's recent items sharing a category with it); the item's log popularity minus the mean log popularity of the
/// user's recent items (taste for popular or niche items); what was trending at the request's time (interactions in
/// the 7 and 30 days before it, from <see cref="ItemTimeline"/>); and the item's primary category as a categorical field.
/// </summary>
/// <remarks>
/// Every feature is scale-free on purpose: the ranker is trained on sources fitted on part of the data (the rest
/// gives the labels) and serves sources fitted on all of it, whose raw scores and counts are larger. Relative scores
/// and ranks mean the same in both.
/// </remarks>
public sealed class CandidateFeatures
{
    private const int PerSource = 4; // relative, all, z, rank
    private readonly IReadOnlyList<string> _sources;
    private readonly ItemTable _items;
    private readonly float[] _popularity;
    private readonly float _topPopularity;
    private readonly ItemTimeline? _timeline;
    private static readonly long[] TrendWindowsMs = [7 * 86_400_000L, 30 * 86_400_000L];

    /// <summary>Creates the feature definition.</summary>
    /// <param name="sourceNames">The pipeline's sources, in order.</param>
    /// <param name="items">The item table.</param>
    /// <param name="popularity">Each item's popularity (any scale; log1p is taken).</param>
    /// <param name="timeline">The items' interaction times (the trend features), or null (those features are missing).</param>
    public CandidateFeatures(IReadOnlyList<string> sourceNames, ItemTable items, ReadOnlySpan<float> popularity, ItemTimeline? timeline = null)
    {
        _timeline = timeline;
        ArgumentNullException.ThrowIfNull(sourceNames);
        ArgumentNullException.ThrowIfNull(items);
        _sources = sourceNames;
        _items = items;
        _popularity = popularity.ToArray();
        float top = 0;
        foreach (float p in _popularity)
        {
            top = Math.Max(top, p);
        }
        _topPopularity = top;
        var numeric = new List<string>();
        foreach (string s in sourceNames)
        {
            numeric.Add($"{s}.relative");
            numeric.Add($"{s}.all");
            numeric.Add($"{s}.z");
            numeric.Add($"{s}.rank");
        }
        numeric.AddRange(["sources", "popularity", "age_days", "user_history", "category_affinity", "popularity_vs_user",
            "trend_7d", "trend_30d", "recent_share_30d", "days_since_first"]);
        Schema = new FeatureSchema([new CategoricalField("category", items.CategoryNames.Count + 1)], numeric);
    }

    /// <summary>The schema of the rows built.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>Builds one row per candidate, in the candidates' order.</summary>
    /// <param name="history">The user's items, newest first.</param>
    /// <param name="nowMs">Request time (Unix ms).</param>
    /// <param name="candidates">The candidates with their source hits.</param>
    /// <param name="labels">Labels for training rows, or null.</param>
    /// <param name="scoresOfAll">Per source, its score of every candidate (null for sources that only score what they propose); see <see cref="RecommendationPipeline.ScoreAll"/>.</param>
    public RankingDataset Build(IReadOnlyList<int> history, long nowMs, IReadOnlyList<Candidate> candidates, float[]? labels = null, float[]?[]? scoresOfAll = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(candidates);
        int width = Schema.NumericCount;
        int n = candidates.Count;
        var numeric = new float[n * width];
        var categorical = new int[n];
        Span<float> best = stackalloc float[_sources.Count];
        best.Fill(float.NegativeInfinity);
        foreach (var c in candidates)
        {
            foreach (var hit in c.Hits)
            {
                best[hit.Source] = Math.Max(best[hit.Source], hit.Score);
            }
        }
        // Each scoring source's best score over all candidates ("all" scores are relative to it) and the mean and sd of
        // its scores ("z": mean 0, sd 1 per request), both scale-free; z-scores let a linear ranker weigh models against each other.
        var bestOfAll = new float[_sources.Count];
        var meanOfAll = new float[_sources.Count];
        var inverseSdOfAll = new float[_sources.Count];
        for (int s = 0; scoresOfAll is not null && s < _sources.Count; s++)
        {
            if (scoresOfAll[s] is { } all)
            {
                float top = float.NegativeInfinity;
                double sum = 0, squares = 0;
                int finite = 0;
                foreach (float v in all)
                {
                    if (float.IsFinite(v))
                    {
                        top = Math.Max(top, v);
                        sum += v;
                        squares += (double)v * v;
                        finite++;
                    }
                }
                bestOfAll[s] = top;
                double mean = finite == 0 ? 0 : sum / finite;
                double variance = finite < 2 ? 0 : Math.Max(0, squares / finite - mean * mean);
                meanOfAll[s] = (float)mean;
                inverseSdOfAll[s] = variance > 1e-12 ? (float)(1 / Math.Sqrt(variance)) : 0;
            }
        }
        var categoryCounts = new Dictionary<int, int>();
        int recent = Math.Min(history.Count, 100);
        for (int h = 0; h < recent; h++)
        {
            foreach (int category in _items.Categories[history[h]])
            {
                categoryCounts[category] = categoryCounts.GetValueOrDefault(category) + 1;
            }
        }
        float historyFeature = MathF.Log(1 + history.Count);
        // The user's taste for popular or niche items: mean log popularity of the recent history (both sides shift
        // alike when the data grows, so the difference below is scale-free).
        double userPopularity = 0;
        for (int h = 0; h < recent; h++)
        {
            userPopularity += Math.Log(1 + Math.Max(0, _popularity[history[h]]));
        }
        float userLogPopularity = recent == 0 ? float.NaN : (float)(userPopularity / recent);
        for (int r = 0; r < n; r++)
        {
            var c = candidates[r];
            var row = numeric.AsSpan(r * width, width);
            row[..(_sources.Count * PerSource)].Fill(float.NaN);
            foreach (var hit in c.Hits)
            {
                row[hit.Source * PerSource] = best[hit.Source] > 0 ? hit.Score / best[hit.Source] : float.NaN;
                row[hit.Source * PerSource + 3] = hit.Rank;
            }
            if (scoresOfAll is not null)
            {
                for (int s = 0; s < _sources.Count; s++)
                {
                    if (scoresOfAll[s] is { } all && float.IsFinite(all[r]))
                    {
                        if (bestOfAll[s] > 0)
                        {
                            row[s * PerSource + 1] = all[r] / bestOfAll[s];
                        }
                        if (inverseSdOfAll[s] > 0)
                        {
                            row[s * PerSource + 2] = (all[r] - meanOfAll[s]) * inverseSdOfAll[s];
                        }
                    }
                }
            }
            int at = _sources.Count * PerSource;
            int item = c.Item;
            row[at] = c.Hits.Count;
            row[at + 1] = _topPopularity > 0 ? Math.Max(0, _popularity[item]) / _topPopularity : 0;
            row[at + 2] = (float)(Math.Max(0, nowMs - _items.CreatedAtMs[item]) / 86_400_000.0);
            row[at + 3] = historyFeature;
            int shared = 0;
            foreach (int category in _items.Categories[item])
            {
                shared = Math.Max(shared, categoryCounts.GetValueOrDefault(category));
            }
            row[at + 4] = recent == 0 ? float.NaN : (float)shared / recent;
            row[at + 5] = MathF.Log(1 + Math.Max(0, _popularity[item])) - userLogPopularity;
            categorical[r] = _items.PrimaryCategory(item) + 1;
        }
        AddTrends(numeric, width, nowMs, candidates, _sources.Count * PerSource + 6);
        return new RankingDataset(Schema, n, categorical, numeric, labels, labels is null ? null : [0, n], validate: false);
    }

    /// <summary>
    /// What was trending at the request's time: each candidate's interactions in the 7 and 30 days before it,
    /// relative to the most of any candidate (scale-free), the share of its interactions up to then that fall in
    /// the last 30 days, and the days since its first interaction. Only the past of the request's time is read, so
    /// an offline request replayed at a user's time does not see later interactions.
    /// </summary>
    private void AddTrends(float[] numeric, int width, long nowMs, IReadOnlyList<Candidate> candidates, int at)
    {
        int n = candidates.Count;
        if (_timeline is null)
        {
            for (int r = 0; r < n; r++)
            {
                numeric.AsSpan(r * width + at, TrendWindowsMs.Length + 2).Fill(float.NaN);
            }
            return;
        }
        var counts = new int[TrendWindowsMs.Length * n];
        var best = new int[TrendWindowsMs.Length];
        for (int r = 0; r < n; r++)
        {
            for (int w = 0; w < TrendWindowsMs.Length; w++)
            {
                int count = _timeline.CountBetween(candidates[r].Item, nowMs - TrendWindowsMs[w], nowMs);
                counts[w * n + r] = count;
                best[w] = Math.Max(best[w], count);
            }
        }
        for (int r = 0; r < n; r++)
        {
            var row = numeric.AsSpan(r * width + at, TrendWindowsMs.Length + 2);
            int item = candidates[r].Item;
            for (int w = 0; w < TrendWindowsMs.Length; w++)
            {
                row[w] = best[w] > 0 ? (float)counts[w * n + r] / best[w] : 0;
            }
            int upToNow = _timeline.CountBetween(item, long.MinValue, nowMs);
            int last = TrendWindowsMs.Length - 1;
            row[last + 1] = upToNow > 0 ? (float)counts[last * n + r] / upToNow : float.NaN;
            row[last + 2] = _timeline.FirstAtOrBefore(item, nowMs) is { } first ? (float)((nowMs - first) / 86_400_000.0) : float.NaN;
        }
    }
}
