using Cascade.Features;
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
    /// <param name="entitySet">
    /// The feature store's definitions whose columns follow the pipeline's own in every row (<see cref="EntityFeatures"/>),
    /// or null for none.
    /// </param>
    /// <param name="entity">Where serving rows read those columns (training rows get them from <see cref="Build"/>), or null.</param>
    public CandidateFeatures(IReadOnlyList<string> sourceNames, ItemTable items, ReadOnlySpan<float> popularity, ItemTimeline? timeline = null,
        FeatureSet? entitySet = null, EntityFeatures? entity = null)
    {
        if (entity is not null && !ReferenceEquals(entity.Set, entitySet))
        {
            throw new ArgumentException("The entity features must use the entity set.", nameof(entity));
        }
        _entitySet = entitySet;
        Entity = entity;
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
        OwnNumericCount = numeric.Count;
        var fields = new List<CategoricalField> { new("category", items.CategoryNames.Count + 1) };
        if (entitySet is not null)
        {
            numeric.AddRange(entitySet.Schema.Numeric);
            fields.AddRange(entitySet.Schema.Categorical);
        }
        Schema = new FeatureSchema(fields, numeric);
    }

    private readonly FeatureSet? _entitySet;

    /// <summary>The pipeline's own numeric columns (the entity columns follow them).</summary>
    public int OwnNumericCount { get; }

    /// <summary>The feature store's definitions whose columns the rows carry, or null.</summary>
    public FeatureSet? EntitySet => _entitySet;

    /// <summary>Where serving rows read the entity columns, or null.</summary>
    public EntityFeatures? Entity { get; }

    /// <summary>The same definition reading its entity columns from <paramref name="entity"/> (serving).</summary>
    /// <param name="entity">The entity features, of <see cref="EntitySet"/>.</param>
    public CandidateFeatures WithEntity(EntityFeatures entity) =>
        new(_sources, _items, _popularity, _timeline, _entitySet, entity);

    /// <summary>The schema of the rows built.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>Builds one row per candidate, in the candidates' order.</summary>
    /// <param name="history">The user's items, newest first.</param>
    /// <param name="nowMs">Request time (Unix ms).</param>
    /// <param name="candidates">The candidates with their source hits.</param>
    /// <param name="labels">Labels for training rows, or null.</param>
    /// <param name="scoresOfAll">Per source, its score of every candidate (null for sources that only score what they propose); see <see cref="RecommendationPipeline.ScoreAll"/>.</param>
    /// <param name="entityRows">The entity columns of the candidates (training: <c>EntityFeatures.PointInTime</c>), or null to read them from <see cref="Entity"/>.</param>
    /// <param name="user">The dense user (−1: anonymous), for the entity columns.</param>
    public RankingDataset Build(IReadOnlyList<int> history, long nowMs, IReadOnlyList<Candidate> candidates, float[]? labels = null, float[]?[]? scoresOfAll = null,
        RankingDataset? entityRows = null, int user = -1)
    {
        var rows = Prepare(history, nowMs, candidates, scoresOfAll, user, entityRows);
        int n = candidates.Count;
        var numeric = new float[n * Schema.NumericCount];
        var categorical = new int[n * Schema.FieldCount];
        rows.Fill(0, n, numeric, categorical);
        return new RankingDataset(Schema, n, categorical, numeric, labels, labels is null ? null : [0, n], validate: false);
    }

    /// <summary>
    /// Computes what the rows of one request share (each source's best score, the user's categories and taste, the
    /// trend counts), so that rows can then be written block by block (<see cref="CandidateRows.Fill"/>) into buffers
    /// the caller reuses: the rows are the same as <see cref="Build"/>'s.
    /// </summary>
    /// <param name="history">The user's items, newest first.</param>
    /// <param name="nowMs">Request time (Unix ms).</param>
    /// <param name="candidates">The candidates with their source hits.</param>
    /// <param name="scoresOfAll">Per source, its score of every candidate, or null.</param>
    /// <param name="user">The dense user (−1: anonymous), for the entity columns.</param>
    /// <param name="entityRows">The entity columns of the candidates, or null to read them from <see cref="Entity"/>.</param>
    public CandidateRows Prepare(IReadOnlyList<int> history, long nowMs, IReadOnlyList<Candidate> candidates, float[]?[]? scoresOfAll = null,
        int user = -1, RankingDataset? entityRows = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(candidates);
        if (_entitySet is not null && entityRows is null && Entity is null)
        {
            throw new InvalidOperationException("These features carry entity columns: give the entity rows, or read them from an EntityFeatures (WithEntity).");
        }
        return new CandidateRows(this, history, nowMs, candidates, scoresOfAll, user, entityRows);
    }

    /// <summary>The feature rows of one request's candidates, ready to be written in blocks.</summary>
    public sealed class CandidateRows
    {
        private readonly CandidateFeatures _f;
        private readonly long _nowMs;
        private readonly IReadOnlyList<Candidate> _candidates;
        private readonly float[]?[]? _scoresOfAll;
        private readonly float[] _best, _bestOfAll, _meanOfAll, _inverseSdOfAll;
        private readonly Dictionary<int, int> _categoryCounts = [];
        private readonly int _recent;
        private readonly float _historyFeature, _userLogPopularity;
        private readonly int[]? _trendCounts, _upToNow;
        private readonly long[]? _firstMs;
        private readonly int[] _trendBest = new int[TrendWindowsMs.Length];

        private readonly int _user;
        private readonly RankingDataset? _entityRows;

        internal CandidateRows(CandidateFeatures features, IReadOnlyList<int> history, long nowMs, IReadOnlyList<Candidate> candidates, float[]?[]? scoresOfAll,
            int user, RankingDataset? entityRows)
        {
            _f = features;
            _user = user;
            _entityRows = entityRows;
            _nowMs = nowMs;
            _candidates = candidates;
            _scoresOfAll = scoresOfAll;
            int sources = features._sources.Count;
            _best = new float[sources];
            Array.Fill(_best, float.NegativeInfinity);
            foreach (var c in candidates)
            {
                foreach (var hit in c.Hits)
                {
                    _best[hit.Source] = Math.Max(_best[hit.Source], hit.Score);
                }
            }
            // Each scoring source's best score over all candidates ("all" scores are relative to it) and the mean and sd of
            // its scores ("z": mean 0, sd 1 per request), both scale-free; z-scores let a linear ranker weigh models against each other.
            _bestOfAll = new float[sources];
            _meanOfAll = new float[sources];
            _inverseSdOfAll = new float[sources];
            for (int s = 0; scoresOfAll is not null && s < sources; s++)
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
                    _bestOfAll[s] = top;
                    double mean = finite == 0 ? 0 : sum / finite;
                    double variance = finite < 2 ? 0 : Math.Max(0, squares / finite - mean * mean);
                    _meanOfAll[s] = (float)mean;
                    _inverseSdOfAll[s] = variance > 1e-12 ? (float)(1 / Math.Sqrt(variance)) : 0;
                }
            }
            _recent = Math.Min(history.Count, 100);
            for (int h = 0; h < _recent; h++)
            {
                foreach (int category in features._items.Categories[history[h]])
                {
                    _categoryCounts[category] = _categoryCounts.GetValueOrDefault(category) + 1;
                }
            }
            _historyFeature = MathF.Log(1 + history.Count);
            // The user's taste for popular or niche items: mean log popularity of the recent history (both sides shift
            // alike when the data grows, so the difference below is scale-free).
            double userPopularity = 0;
            for (int h = 0; h < _recent; h++)
            {
                userPopularity += Math.Log(1 + Math.Max(0, features._popularity[history[h]]));
            }
            _userLogPopularity = _recent == 0 ? float.NaN : (float)(userPopularity / _recent);
            if (features._timeline is { } timeline)
            {
                int n = candidates.Count;
                _trendCounts = new int[TrendWindowsMs.Length * n];
                _upToNow = new int[n];
                _firstMs = new long[n];
                Span<int> counts = stackalloc int[TrendWindowsMs.Length];
                for (int r = 0; r < n; r++)
                {
                    _upToNow[r] = timeline.Trend(candidates[r].Item, nowMs, TrendWindowsMs, counts, out long? first);
                    _firstMs[r] = first ?? long.MinValue;
                    for (int w = 0; w < TrendWindowsMs.Length; w++)
                    {
                        _trendCounts[w * n + r] = counts[w];
                        _trendBest[w] = Math.Max(_trendBest[w], counts[w]);
                    }
                }
            }
        }

        /// <summary>Writes the rows of candidates [<paramref name="start"/>, start + count) into the buffers.</summary>
        /// <param name="start">First candidate.</param>
        /// <param name="count">How many rows.</param>
        /// <param name="numeric">At least count × the schema's numeric width values.</param>
        /// <param name="categorical">At least count × the schema's field count codes.</param>
        public void Fill(int start, int count, Span<float> numeric, Span<int> categorical)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(start);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _candidates.Count - start);
            var f = _f;
            int width = f.Schema.NumericCount, fields = f.Schema.FieldCount, sources = f._sources.Count;
            for (int i = 0; i < count; i++)
            {
                int r = start + i;
                var c = _candidates[r];
                var row = numeric.Slice(i * width, width);
                row[..(sources * PerSource)].Fill(float.NaN);
                foreach (var hit in c.Hits)
                {
                    row[hit.Source * PerSource] = _best[hit.Source] > 0 ? hit.Score / _best[hit.Source] : float.NaN;
                    row[hit.Source * PerSource + 3] = hit.Rank;
                }
                if (_scoresOfAll is not null)
                {
                    for (int s = 0; s < sources; s++)
                    {
                        if (_scoresOfAll[s] is { } all && float.IsFinite(all[r]))
                        {
                            if (_bestOfAll[s] > 0)
                            {
                                row[s * PerSource + 1] = all[r] / _bestOfAll[s];
                            }
                            if (_inverseSdOfAll[s] > 0)
                            {
                                row[s * PerSource + 2] = (all[r] - _meanOfAll[s]) * _inverseSdOfAll[s];
                            }
                        }
                    }
                }
                int at = sources * PerSource;
                int item = c.Item;
                row[at] = c.Hits.Count;
                row[at + 1] = f._topPopularity > 0 ? Math.Max(0, f._popularity[item]) / f._topPopularity : 0;
                row[at + 2] = (float)(Math.Max(0, _nowMs - f._items.CreatedAtMs[item]) / 86_400_000.0);
                row[at + 3] = _historyFeature;
                int shared = 0;
                foreach (int category in f._items.Categories[item])
                {
                    shared = Math.Max(shared, _categoryCounts.GetValueOrDefault(category));
                }
                row[at + 4] = _recent == 0 ? float.NaN : (float)shared / _recent;
                row[at + 5] = MathF.Log(1 + Math.Max(0, f._popularity[item])) - _userLogPopularity;
                categorical[i * fields] = f._items.PrimaryCategory(item) + 1;
                AddTrends(row.Slice(at + 6, TrendWindowsMs.Length + 2), r);
            }
            if (f._entitySet is not null)
            {
                FillEntity(start, count, numeric, categorical);
            }
        }

        [ThreadStatic]
        private static float[]? t_entityNumeric;

        [ThreadStatic]
        private static int[]? t_entityCategorical;

        // The entity columns after the pipeline's own: copied from the given rows (training) or read from the store
        // (serving) into a per-thread buffer and spread into the rows.
        private void FillEntity(int start, int count, Span<float> numeric, Span<int> categorical)
        {
            var f = _f;
            var entitySchema = f._entitySet!.Schema;
            int width = f.Schema.NumericCount, fields = f.Schema.FieldCount, own = f.OwnNumericCount;
            int eNumeric = entitySchema.NumericCount, eFields = entitySchema.FieldCount;
            ReadOnlySpan<float> sourceNumeric;
            ReadOnlySpan<int> sourceCategorical;
            if (_entityRows is { } given)
            {
                sourceNumeric = given.Numeric.AsSpan(start * eNumeric, count * eNumeric);
                sourceCategorical = given.Categorical.AsSpan(start * eFields, count * eFields);
            }
            else
            {
                if (t_entityNumeric is null || t_entityNumeric.Length < count * eNumeric)
                {
                    t_entityNumeric = new float[Math.Max(count, 128) * eNumeric];
                }
                if (t_entityCategorical is null || t_entityCategorical.Length < count * eFields)
                {
                    t_entityCategorical = new int[Math.Max(count, 128) * eFields];
                }
                var n = t_entityNumeric.AsSpan(0, count * eNumeric);
                var c = t_entityCategorical.AsSpan(0, count * eFields);
                f.Entity!.Fill(_user, _candidates, start, count, _nowMs, c, n);
                sourceNumeric = n;
                sourceCategorical = c;
            }
            for (int i = 0; i < count; i++)
            {
                sourceNumeric.Slice(i * eNumeric, eNumeric).CopyTo(numeric.Slice(i * width + own, eNumeric));
                sourceCategorical.Slice(i * eFields, eFields).CopyTo(categorical.Slice(i * fields + 1, eFields));
            }
        }

        /// <summary>
        /// What was trending at the request's time: the candidate's interactions in the 7 and 30 days before it,
        /// relative to the most of any candidate (scale-free), the share of its interactions up to then that fall in
        /// the last 30 days, and the days since its first interaction. Only the past of the request's time is read, so
        /// an offline request replayed at a user's time does not see later interactions.
        /// </summary>
        private void AddTrends(Span<float> row, int r)
        {
            if (_trendCounts is null || _upToNow is null || _firstMs is null)
            {
                row.Fill(float.NaN);
                return;
            }
            int n = _candidates.Count;
            for (int w = 0; w < TrendWindowsMs.Length; w++)
            {
                row[w] = _trendBest[w] > 0 ? (float)_trendCounts[w * n + r] / _trendBest[w] : 0;
            }
            int upToNow = _upToNow[r];
            int last = TrendWindowsMs.Length - 1;
            row[last + 1] = upToNow > 0 ? (float)_trendCounts[last * n + r] / upToNow : float.NaN;
            row[last + 2] = _firstMs[r] != long.MinValue ? (float)((_nowMs - _firstMs[r]) / 86_400_000.0) : float.NaN;
        }
    }
}
