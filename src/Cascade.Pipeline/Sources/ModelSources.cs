using System.Buffers;
using System.Collections.Concurrent;
using Cascade.Ann;
using Cascade.Models;
using Cascade.Models.Embeddings;

namespace Cascade.Pipeline.Sources;

/// <summary>
/// Any fitted <see cref="IRecommender"/> as a source: the model scores every item for a known user and the best
/// allowed items are proposed. A full scan per request: right for catalogs of thousands of items; for millions use
/// <see cref="AnnSource"/> over an embedding model. Users unknown to the model propose nothing (the item-to-item and
/// popularity sources cover them).
/// </summary>
/// <param name="name">Source name.</param>
/// <param name="model">The model (fitted by <see cref="Fit"/>, or already fitted when <paramref name="prefitted"/>).</param>
/// <param name="prefitted">Skip fitting (the model was fitted or loaded elsewhere).</param>
public sealed class ModelSource(string name, IRecommender model, bool prefitted = false) : ICandidateSource, ICandidateScorer
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The model.</summary>
    public IRecommender Model { get; } = model;

    /// <inheritdoc />
    public void Fit(PipelineData data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!prefitted)
        {
            Model.Fit(data.Interactions, cancellationToken);
        }
    }

    /// <inheritdoc />
    public void ScoreItems(SourceRequest request, ReadOnlySpan<int> items, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.User < 0 || request.User >= Model.UserCount)
        {
            scores.Fill(float.NaN);
            return;
        }
        int n = Model.ItemCount;
        float[] all = ArrayPool<float>.Shared.Rent(n);
        try
        {
            Model.Score(request.User, all.AsSpan(0, n));
            for (int i = 0; i < items.Length; i++)
            {
                scores[i] = (uint)items[i] < (uint)n ? all[items[i]] : float.NaN;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(all);
        }
    }

    /// <inheritdoc />
    public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.User < 0 || request.User >= Model.UserCount)
        {
            return;
        }
        int n = Model.ItemCount;
        float[] scores = ArrayPool<float>.Shared.Rent(n);
        try
        {
            var span = scores.AsSpan(0, n);
            Model.Score(request.User, span);
            for (int i = 0; i < n; i++)
            {
                if (!request.Allows(i))
                {
                    span[i] = float.NegativeInfinity;
                }
            }
            foreach (var r in TopK.Select(span, quota))
            {
                output.Add(new ScoredItem(r.Item, r.Score));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scores);
        }
    }
}

/// <summary>
/// Retrieval by maximum inner product over an embedding model's item vectors through an HNSW index: the user's
/// vector (from the model, or for an unknown user the mean of the vectors of the items in the request's history) is
/// the query. Over-fetches and drops disallowed items, and passes the request's filter into the graph walk.
/// </summary>
/// <param name="name">Source name.</param>
/// <param name="model">An embedding model (ALS, BPR, two-tower).</param>
/// <param name="options">HNSW build options (null for defaults).</param>
/// <param name="ef">Search breadth (at least the quota is used).</param>
/// <param name="prefitted">Skip fitting the model.</param>
public sealed class AnnSource(string name, IEmbeddingModel model, HnswOptions? options = null, int ef = 200, bool prefitted = false) : ICandidateSource, ICandidateScorer, IDisposable
{
    private HnswIndex? _index;

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The model.</summary>
    public IEmbeddingModel Model { get; } = model;

    /// <inheritdoc />
    public void Fit(PipelineData data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!prefitted)
        {
            Model.Fit(data.Interactions, cancellationToken);
        }
        var index = new HnswIndex(Model.EmbeddingDimension, DistanceMetric.InnerProduct, options, Model.ItemCount);
        index.AddRange(Model.ItemEmbeddings.Span);
        var old = Interlocked.Exchange(ref _index, index);
        old?.Dispose();
    }

    /// <inheritdoc />
    public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        var index = _index ?? throw new InvalidOperationException($"Source '{Name}' is not fitted.");
        Span<float> query = stackalloc float[Model.EmbeddingDimension];
        if (!UserVector(request, query))
        {
            return;
        }
        var results = ArrayPool<Neighbor>.Shared.Rent(quota);
        try
        {
            int found = index.Search(query, results.AsSpan(0, quota), Math.Max(ef, quota), new PredicateFilter(request.Allows));
            for (int i = 0; i < found; i++)
            {
                // Inner-product distance is the negated product.
                output.Add(new ScoredItem(results[i].Id, -results[i].Distance));
            }
        }
        finally
        {
            ArrayPool<Neighbor>.Shared.Return(results);
        }
    }

    /// <inheritdoc />
    public void ScoreItems(SourceRequest request, ReadOnlySpan<int> items, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(request);
        int d = Model.EmbeddingDimension;
        Span<float> query = stackalloc float[d];
        if (!UserVector(request, query))
        {
            scores.Fill(float.NaN);
            return;
        }
        var vectors = Model.ItemEmbeddings.Span;
        for (int i = 0; i < items.Length; i++)
        {
            scores[i] = (uint)items[i] < (uint)Model.ItemCount
                ? System.Numerics.Tensors.TensorPrimitives.Dot(query, vectors.Slice(items[i] * d, d))
                : float.NaN;
        }
    }

    /// <summary>The <paramref name="k"/> items whose vectors have the largest inner product with <paramref name="item"/>'s, by the index (the item itself left out).</summary>
    /// <param name="item">Dense item id.</param>
    /// <param name="k">How many.</param>
    public Recommendation[] SimilarItems(int item, int k)
    {
        var index = _index ?? throw new InvalidOperationException($"Source '{Name}' is not fitted.");
        int d = Model.EmbeddingDimension;
        var found = index.Search(Model.ItemEmbeddings.Span.Slice(item * d, d), k + 1);
        return [.. found.Where(n => n.Id != item).Take(k).Select(n => new Recommendation(n.Id, -n.Distance))];
    }

    private bool UserVector(SourceRequest request, Span<float> query)
    {
        if (request.User >= 0 && request.User < Model.UserCount && Model.TryGetUserEmbedding(request.User, query))
        {
            return true;
        }
        query.Clear();
        int used = 0;
        var items = Model.ItemEmbeddings.Span;
        int d = Model.EmbeddingDimension;
        foreach (int item in request.History.Take(50))
        {
            if (item < Model.ItemCount)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(query, items.Slice(item * d, d), query);
                used++;
            }
        }
        return used > 0;
    }

    /// <inheritdoc />
    public void Dispose() => _index?.Dispose();
}

/// <summary>
/// Item-to-item retrieval from the user's recent history: for each of the newest <paramref name="historyLength"/>
/// items, its <paramref name="neighbours"/> most similar items (cached per item), summed with recency weight
/// 1/(1 + position in history). Works for anonymous sessions: only the history is needed. Similarity is the model's
/// own (<see cref="IRecommender.SimilarItems"/>), or, when <paramref name="similar"/> is given, that function's (an
/// ANN index over the model's item vectors, for catalogs where a full scan per seed item is too slow).
/// </summary>
/// <param name="name">Source name.</param>
/// <param name="model">A model with item similarity (EASE, item-kNN, ALS, …).</param>
/// <param name="historyLength">How many recent items seed the search.</param>
/// <param name="neighbours">Neighbours per seed item.</param>
/// <param name="prefitted">Skip fitting the model.</param>
/// <param name="similar">Replaces the model's similarity: (item, k) → the k most similar items, best first, without the item itself.</param>
public sealed class ItemToItemSource(string name, IRecommender model, int historyLength = 20, int neighbours = 50, bool prefitted = false,
    Func<int, int, Recommendation[]>? similar = null) : ICandidateSource
{
    // Neighbour lists of the items seen in histories, bounded: histories are power-law, so the popular seeds stay
    // cached; the dictionary is sized up front so it never stops every writer to resize under load.
    private const int MaxCachedItems = 100_000;
    private ConcurrentDictionary<int, Recommendation[]> _cache = NewCache();
    private int _cached;

    private static ConcurrentDictionary<int, Recommendation[]> NewCache() => new(Environment.ProcessorCount, MaxCachedItems);

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The model.</summary>
    public IRecommender Model { get; } = model;

    /// <summary>The items most similar to <paramref name="item"/> by this source's similarity.</summary>
    /// <param name="item">Dense item id.</param>
    /// <param name="k">How many.</param>
    public Recommendation[] Similar(int item, int k) => similar is null ? Model.SimilarItems(item, k) : similar(item, k);

    /// <inheritdoc />
    public void Fit(PipelineData data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!prefitted)
        {
            Model.Fit(data.Interactions, cancellationToken);
        }
        _cache = NewCache();
        _cached = 0;
    }

    /// <inheritdoc />
    public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        var scores = new Dictionary<int, float>();
        int position = 0;
        foreach (int seed in request.History)
        {
            if (position == historyLength)
            {
                break;
            }
            if (seed >= Model.ItemCount)
            {
                continue;
            }
            float weight = 1f / (1 + position++);
            if (!_cache.TryGetValue(seed, out var list))
            {
                list = Similar(seed, neighbours);
                // Counted here: ConcurrentDictionary.Count takes every lock of the dictionary.
                if (Volatile.Read(ref _cached) < MaxCachedItems && _cache.TryAdd(seed, list))
                {
                    Interlocked.Increment(ref _cached);
                }
            }
            foreach (var r in list)
            {
                if (request.Allows(r.Item))
                {
                    scores[r.Item] = scores.GetValueOrDefault(r.Item) + weight * r.Score;
                }
            }
        }
        var ranked = new KeyValuePair<int, float>[scores.Count];
        ((ICollection<KeyValuePair<int, float>>)scores).CopyTo(ranked, 0);
        Array.Sort(ranked, static (a, b) => b.Value.CompareTo(a.Value) is var c && c != 0 ? c : a.Key.CompareTo(b.Key));
        for (int i = 0; i < ranked.Length && i < quota; i++)
        {
            output.Add(new ScoredItem(ranked[i].Key, ranked[i].Value));
        }
    }
}

/// <summary>
/// Category match for cold start: the most popular items of the categories the user's history is richest in
/// (weighted by their share of the history), or of the request's category; nothing for a user with neither.
/// </summary>
/// <param name="name">Source name.</param>
/// <param name="popularity">Popularity used to order items within a category (fitted by this source).</param>
public sealed class CategorySource(string name, PopularitySource? popularity = null) : ICandidateSource
{
    private readonly PopularitySource _popularity = popularity ?? new PopularitySource(name + ":popularity");
    private int[][] _byCategory = [];

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public void Fit(PipelineData data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        _popularity.Fit(data, cancellationToken);
        var lists = Enumerable.Range(0, data.Items.CategoryNames.Count).Select(_ => new List<int>()).ToArray();
        foreach (int item in _popularity.Ranked)
        {
            foreach (int c in data.Items.Categories[item])
            {
                lists[c].Add(item);
            }
        }
        _byCategory = [.. lists.Select(l => l.ToArray())];
    }

    /// <inheritdoc />
    public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        var weights = new Dictionary<int, float>();
        if (request.Category >= 0)
        {
            weights[request.Category] = 1;
        }
        else
        {
            foreach (int item in request.History.Take(100))
            {
                foreach (int c in request.Items.Categories[item])
                {
                    weights[c] = weights.GetValueOrDefault(c) + 1;
                }
            }
        }
        if (weights.Count == 0)
        {
            return;
        }
        float total = weights.Values.Sum();
        var seen = new HashSet<int>();
        foreach (var (category, weight) in weights.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(5))
        {
            int share = Math.Max(1, (int)Math.Ceiling(quota * weight / total));
            int added = 0;
            foreach (int item in category < _byCategory.Length ? _byCategory[category] : [])
            {
                if (added == share || output.Count >= quota)
                {
                    break;
                }
                if (request.Allows(item) && seen.Add(item))
                {
                    output.Add(new ScoredItem(item, weight / total * _popularity.Scores[item]));
                    added++;
                }
            }
        }
        output.Sort((a, b) => b.Score.CompareTo(a.Score));
    }
}
