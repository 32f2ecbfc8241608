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
        float[]? kept = request.KeptScores(this);
        float[] all = kept ?? ArrayPool<float>.Shared.Rent(n);
        try
        {
            if (kept is null)
            {
                Model.Score(request.User, all.AsSpan(0, n));
            }
            for (int i = 0; i < items.Length; i++)
            {
                scores[i] = (uint)items[i] < (uint)n ? all[items[i]] : float.NaN;
            }
        }
        finally
        {
            if (kept is null)
            {
                ArrayPool<float>.Shared.Return(all);
            }
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
        float[] all = ArrayPool<float>.Shared.Rent(n);
        float[] allowed = ArrayPool<float>.Shared.Rent(n);
        try
        {
            Model.Score(request.User, all.AsSpan(0, n));
            var span = allowed.AsSpan(0, n);
            for (int i = 0; i < n; i++)
            {
                span[i] = request.Allows(i) ? all[i] : float.NegativeInfinity;
            }
            foreach (var r in TopK.Select(span, quota))
            {
                output.Add(new ScoredItem(r.Item, r.Score));
            }
            request.KeepScores(this, all); // the ranker's scoring of the candidates reads them (returned at the request's end)
            all = null!;
        }
        finally
        {
            if (all is not null)
            {
                ArrayPool<float>.Shared.Return(all);
            }
            ArrayPool<float>.Shared.Return(allowed);
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
/// <remarks>
/// Neighbour lists are cached per fitted source: histories are power-law, so the popular seed items are searched once,
/// not on every request. The cache holds at most <paramref name="cacheCapacity"/> items and, once full, keeps what it
/// has (no eviction: the items seen first under load are the popular ones). It is emptied by <see cref="Fit"/>. The
/// similarity must be deterministic for a fitted model (it is: the model's, or a fixed index's), so the cache changes
/// cost, never results.
/// </remarks>
/// <param name="name">Source name.</param>
/// <param name="model">A model with item similarity (EASE, item-kNN, ALS, …).</param>
/// <param name="historyLength">How many recent items seed the search.</param>
/// <param name="neighbours">Neighbours per seed item.</param>
/// <param name="prefitted">Skip fitting the model.</param>
/// <param name="similar">Replaces the model's similarity: (item, k) → the k most similar items, best first, without the item itself.</param>
/// <param name="cacheCapacity">How many items' neighbour lists to cache (about 8 bytes per neighbour each); 0 turns the cache off.</param>
public sealed class ItemToItemSource(string name, IRecommender model, int historyLength = 20, int neighbours = 50, bool prefitted = false,
    Func<int, int, Recommendation[]>? similar = null, int cacheCapacity = ItemToItemSource.DefaultCacheCapacity) : ICandidateSource
{
    /// <summary>The default <c>cacheCapacity</c>: 100,000 items, about 40 MB at 50 neighbours.</summary>
    public const int DefaultCacheCapacity = 100_000;

    // One scratch table per thread, taken out while a request uses it: the aggregation allocates nothing once warm.
    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly int _cacheCapacity = cacheCapacity >= 0
        ? cacheCapacity
        : throw new ArgumentOutOfRangeException(nameof(cacheCapacity), cacheCapacity, "The neighbour cache capacity must be 0 (off) or more.");

    // Swapped whole by Fit, so a request holds one cache from start to end and a refit never sees stale lists or counts.
    private NeighbourCache? _cache = NeighbourCache.Create(cacheCapacity);

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>The model.</summary>
    public IRecommender Model { get; } = model;

    /// <summary>How many items' neighbour lists the cache holds at most (0: no cache).</summary>
    public int CacheCapacity => _cacheCapacity;

    /// <summary>How many items' neighbour lists are cached now.</summary>
    public int CachedItems => Volatile.Read(ref _cache) is { } cache ? Volatile.Read(ref cache.Count) : 0;

    /// <summary>The items most similar to <paramref name="item"/> by this source's similarity (never cached).</summary>
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
        Volatile.Write(ref _cache, NeighbourCache.Create(_cacheCapacity));
    }

    /// <inheritdoc />
    public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cache = Volatile.Read(ref _cache);
        // Taken, not borrowed: a nested Propose on this thread (from a filter or a similarity callback) makes its own.
        var scratch = t_scratch ?? new Scratch();
        t_scratch = null;
        scratch.Start();
        var history = request.History;
        int position = 0;
        for (int h = 0; h < history.Count; h++)
        {
            int seed = history[h];
            if (position == historyLength)
            {
                break;
            }
            if (seed >= Model.ItemCount)
            {
                continue;
            }
            float weight = 1f / (1 + position++);
            var list = Neighbours(cache, seed);
            scratch.MakeRoom(list.Length);
            foreach (var r in list)
            {
                scratch.Add(r.Item, weight * r.Score, request);
            }
        }
        int ranked = scratch.Rank();
        for (int i = 0; i < ranked && i < quota; i++)
        {
            output.Add(scratch.Ranked(i));
        }
        if (!scratch.Oversized)
        {
            t_scratch = scratch;
        }
    }

    /// <summary>The seed's neighbour list, from the cache when it is there; a miss searches and caches while there is room.</summary>
    private Recommendation[] Neighbours(NeighbourCache? cache, int seed)
    {
        if (cache is null)
        {
            return Similar(seed, neighbours);
        }
        if (cache.Lists.TryGetValue(seed, out var list))
        {
            return list;
        }
        list = Similar(seed, neighbours);
        // Counted here: ConcurrentDictionary.Count takes every lock of the dictionary. A full cache costs a miss only
        // this read; otherwise a slot is reserved first, so racing writers never overshoot the capacity.
        if (Volatile.Read(ref cache.Count) < cache.Capacity)
        {
            if (Interlocked.Increment(ref cache.Count) > cache.Capacity || !cache.Lists.TryAdd(seed, list))
            {
                Interlocked.Decrement(ref cache.Count);
            }
        }
        return list;
    }

    /// <summary>
    /// One thread's scratch for <see cref="Propose"/>: an open-addressing table from item to its running score and
    /// whether the request allows it, and the buffer the ranking is sorted in. A slot is in use when its stamp is the
    /// current request's, so starting a request clears nothing.
    /// </summary>
    private sealed class Scratch
    {
        // A table grown past this many slots by a rare huge history is dropped after its request rather than pinned to
        // a pool thread for ever.
        private const int MaxKeptSlots = 1 << 16;

        private int[] _stamps = new int[1024];
        private int[] _items = new int[1024];
        private float[] _sums = new float[1024];
        private bool[] _allowed = new bool[1024];
        private int _shift = 32 - 10;
        private int[] _used = new int[512];
        private int _count;
        private ulong[] _ranking = new ulong[512];
        private int _stamp;

        /// <summary>Whether the table grew too large to keep for the next request.</summary>
        public bool Oversized => _stamps.Length > MaxKeptSlots;

        /// <summary>Empties the table (by moving to a new stamp).</summary>
        public void Start()
        {
            _count = 0;
            if (++_stamp == int.MaxValue)
            {
                Array.Clear(_stamps);
                _stamp = 1;
            }
        }

        /// <summary>Makes room for <paramref name="more"/> new items, keeping the table at most half full.</summary>
        public void MakeRoom(int more)
        {
            int needed = _count + more;
            if (needed > _used.Length)
            {
                Array.Resize(ref _used, Math.Max(needed, 2 * _used.Length));
            }
            if (2 * needed <= _stamps.Length)
            {
                return;
            }
            int slots = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * needed));
            var items = _items;
            var sums = _sums;
            var allowed = _allowed;
            _stamps = new int[slots];
            _items = new int[slots];
            _sums = new float[slots];
            _allowed = new bool[slots];
            _shift = 32 - System.Numerics.BitOperations.Log2((uint)slots);
            _stamp = 1;
            for (int k = 0; k < _count; k++)
            {
                int from = _used[k], to = Free(items[from]);
                _stamps[to] = _stamp;
                _items[to] = items[from];
                _sums[to] = sums[from];
                _allowed[to] = allowed[from];
                _used[k] = to;
            }
        }

        /// <summary>
        /// Adds <paramref name="contribution"/> to <paramref name="item"/>'s score when the request allows the item. The
        /// filter is asked once per distinct item (it is a function of the item alone); scores start at 0 and are summed
        /// in history order, exactly as a dictionary of sums would be.
        /// </summary>
        public void Add(int item, float contribution, SourceRequest request)
        {
            int slot = Find(item);
            if (_stamps[slot] != _stamp)
            {
                _stamps[slot] = _stamp;
                _items[slot] = item;
                _sums[slot] = 0f;
                _allowed[slot] = request.Allows(item);
                _used[_count++] = slot;
            }
            if (_allowed[slot])
            {
                _sums[slot] += contribution;
            }
        }

        /// <summary>Sorts the allowed items by descending score, then ascending item; returns how many there are.</summary>
        public int Rank()
        {
            if (_ranking.Length < _count)
            {
                _ranking = new ulong[Math.Max(_count, 2 * _ranking.Length)];
            }
            int ranked = 0;
            for (int k = 0; k < _count; k++)
            {
                int slot = _used[k];
                if (_allowed[slot])
                {
                    // Allowed items are dense ids of the item table, so non-negative: as unsigned they keep their order.
                    _ranking[ranked++] = (ulong)Descending(_sums[slot]) << 32 | (uint)_items[slot];
                }
            }
            // Keys are distinct and the order total, so plain integer sorting gives the one ranking there is.
            _ranking.AsSpan(0, ranked).Sort();
            return ranked;
        }

        /// <summary>The item at <paramref name="rank"/> after <see cref="Rank"/>, with its exact score.</summary>
        public ScoredItem Ranked(int rank)
        {
            int item = (int)(uint)_ranking[rank];
            return new ScoredItem(item, _sums[Find(item)]);
        }

        /// <summary>
        /// A key whose ascending order is <see cref="float.CompareTo(float)"/>'s descending order: NaN last and equal to
        /// every NaN, −0 equal to +0, otherwise by value.
        /// </summary>
        private static uint Descending(float score)
        {
            if (float.IsNaN(score))
            {
                return uint.MaxValue;
            }
            uint bits = BitConverter.SingleToUInt32Bits(score == 0f ? 0f : score);
            uint ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
            return ~ascending;
        }

        /// <summary>The slot holding <paramref name="item"/>, or the free slot where it goes.</summary>
        private int Find(int item)
        {
            int mask = _stamps.Length - 1;
            // Fibonacci hashing spreads runs of nearby ids over the table.
            int slot = (int)((uint)item * 0x9E37_79B9u >> _shift);
            while (_stamps[slot] == _stamp && _items[slot] != item)
            {
                slot = (slot + 1) & mask;
            }
            return slot;
        }

        private int Free(int item)
        {
            int mask = _stamps.Length - 1;
            int slot = (int)((uint)item * 0x9E37_79B9u >> _shift);
            while (_stamps[slot] == _stamp)
            {
                slot = (slot + 1) & mask;
            }
            return slot;
        }
    }

    /// <summary>The neighbour lists of one fitted source, and how many there are (counted, not asked of the dictionary).</summary>
    private sealed class NeighbourCache(int capacity)
    {
        public int Count;

        public int Capacity { get; } = capacity;

        // Sized up front (to the capacity, up to the default) so it rarely stops every writer to resize under load.
        public ConcurrentDictionary<int, Recommendation[]> Lists { get; } =
            new(Environment.ProcessorCount, Math.Min(capacity, DefaultCacheCapacity));

        public static NeighbourCache? Create(int capacity) => capacity > 0 ? new NeighbourCache(capacity) : null;
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
