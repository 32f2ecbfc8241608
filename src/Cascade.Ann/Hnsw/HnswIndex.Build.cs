namespace Cascade.Ann;

public sealed unsafe partial class HnswIndex
{
    /// <summary>Adds one vector and links it into the graph; returns its id.</summary>
    public int Add(ReadOnlySpan<float> vector) => AddRange(vector);

    /// <summary>
    /// Adds vectors stored one after another (length a multiple of <see cref="Dimension"/>) and links them into
    /// the graph on <see cref="HnswOptions.MaxDegreeOfParallelism"/> threads; returns the id of the first.
    /// </summary>
    public int AddRange(ReadOnlySpan<float> vectors)
    {
        ThrowIfReadOnly();
        if (vectors.Length % Dimension != 0)
        {
            throw new ArgumentException($"The span holds {vectors.Length} floats, not a multiple of the dimension {Dimension}.", nameof(vectors));
        }
        int n = vectors.Length / Dimension;
        int first = _count;
        if (n == 0)
        {
            return first;
        }
        int end = checked(first + n);
        EnsureCapacity(end);
        Prepare(vectors, first, n);
        _count = end;

        int start = first;
        if (_entryPoint < 0)
        {
            InsertOne(start++);
        }
        int threads = DegreeOfParallelism();
        if (threads == 1 || end - start < 64)
        {
            for (int id = start; id < end; id++)
            {
                InsertOne(id);
            }
        }
        else
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
            Parallel.For(start, end, options, InsertOne);
        }
        return first;
    }

    /// <summary>Copies the vectors in, draws levels and reserves (empty) neighbour lists for new nodes.</summary>
    private void Prepare(ReadOnlySpan<float> vectors, int first, int n)
    {
        long upperNeeded = _upperLength;
        for (int i = 0; i < n; i++)
        {
            int id = first + i;
            var dest = new Span<float>(Vector(id), Dimension);
            vectors.Slice(i * Dimension, Dimension).CopyTo(dest);
            if (Metric == DistanceMetric.Cosine)
            {
                VectorKernels.Normalize(dest);
            }
            new Span<int>(_links0 + (long)id * _stride0, _stride0).Clear();
            int level = DrawLevel(id);
            _levels[id] = (byte)level;
            _upperOffsets[id] = (int)upperNeeded;
            upperNeeded += (long)level * _strideUp;
        }
        if (upperNeeded > Array.MaxLength)
        {
            throw new InvalidOperationException($"The upper layers would need {upperNeeded} links, more than one array holds.");
        }
        if (upperNeeded > _upper.Length)
        {
            Array.Resize(ref _upper, (int)Math.Min(Math.Max(upperNeeded, (long)_upper.Length * 3 / 2), Array.MaxLength));
        }
        _upper.AsSpan(_upperLength, (int)upperNeeded - _upperLength).Clear();
        _upperLength = (int)upperNeeded;
    }

    /// <summary>The layer of a node: ⌊−ln(u) / ln(M)⌋ with u drawn from the seed and the id, so levels do not depend on thread timing.</summary>
    private int DrawLevel(int id)
    {
        ulong z = Options.Seed + 0x9E3779B97F4A7C15UL * (ulong)(id + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        double u = ((z >> 11) + 0.5) * (1.0 / (1UL << 53));
        return (int)Math.Min(-Math.Log(u) * _levelMultiplier, MaxLevelCap);
    }

    private void InsertOne(int id)
    {
        SearchContext ctx = SearchContext.Rent();
        try
        {
            if (Metric == DistanceMetric.L2)
            {
                Insert<L2Distance>(id, ctx);
            }
            else
            {
                Insert<DotDistance>(id, ctx);
            }
        }
        finally
        {
            SearchContext.Return(ctx);
        }
    }

    private void Insert<TDist>(int id, SearchContext ctx)
        where TDist : struct, IDistance
    {
        int level = _levels[id];
        float* q = Vector(id);
        _globalLock.Enter();
        int entry = _entryPoint;
        int maxLevel = _maxLevel;
        if (entry < 0)
        {
            _entryPoint = id;
            _maxLevel = level;
            _globalLock.Exit();
            return;
        }
        // A node above the current top keeps the global lock while it links, so the entry point stays consistent.
        bool holdsGlobal = level > maxLevel;
        if (!holdsGlobal)
        {
            _globalLock.Exit();
        }
        try
        {
            int current = entry;
            float currentDistance = TDist.Compute(q, Vector(current), Dimension);
            for (int layer = maxLevel; layer > level; layer--)
            {
                current = GreedyClosest<TDist>(q, current, ref currentDistance, layer);
            }
            bool excludeDeleted = _deletedCount > 0;
            for (int layer = Math.Min(level, maxLevel); layer >= 0; layer--)
            {
                if (excludeDeleted)
                {
                    SearchLayer<TDist, CombinedFilter>(q, current, currentDistance, Options.EfConstruction, layer, ctx, new CombinedFilter(_tombstones, null, null), filtered: true);
                }
                else
                {
                    SearchLayer<TDist, AcceptAll>(q, current, currentDistance, Options.EfConstruction, layer, ctx, default, filtered: false);
                }
                if (ctx.Results.Count == 0)
                {
                    continue;
                }
                SortResults(ctx);
                SelectNeighbors<TDist>(ctx.Scratch, _m, ctx.Selected);
                current = ctx.Scratch[0].Id;
                currentDistance = ctx.Scratch[0].Distance;
                for (int i = 0; i < ctx.Selected.Count; i++)
                {
                    Neighbor s = ctx.Selected[i];
                    Link<TDist>(id, s.Id, s.Distance, layer, ctx);
                }
                for (int i = 0; i < ctx.Selected.Count; i++)
                {
                    Neighbor s = ctx.Selected[i];
                    Link<TDist>(s.Id, id, s.Distance, layer, ctx);
                }
            }
            if (holdsGlobal)
            {
                _entryPoint = id;
                _maxLevel = level;
            }
        }
        finally
        {
            if (holdsGlobal)
            {
                _globalLock.Exit();
            }
        }
    }

    /// <summary>Moves ctx.Results into ctx.Scratch sorted closest first.</summary>
    private static void SortResults(SearchContext ctx)
    {
        List<Neighbor> scratch = ctx.Scratch;
        scratch.Clear();
        int n = ctx.Results.Count;
        for (int i = 0; i < n; i++)
        {
            scratch.Add(default);
        }
        for (int i = n - 1; i >= 0; i--)
        {
            scratch[i] = ctx.Results.Pop();
        }
    }

    /// <summary>
    /// The HNSW neighbour heuristic: walk candidates closest first and keep one only when it is closer to the base
    /// than to every neighbour already kept, so links spread in different directions instead of into one cluster.
    /// </summary>
    private void SelectNeighbors<TDist>(List<Neighbor> sortedCandidates, int max, List<Neighbor> selected)
        where TDist : struct, IDistance
    {
        selected.Clear();
        for (int i = 0; i < sortedCandidates.Count && selected.Count < max; i++)
        {
            Neighbor c = sortedCandidates[i];
            float* cv = Vector(c.Id);
            bool keep = true;
            for (int j = 0; j < selected.Count; j++)
            {
                if (TDist.Compute(cv, Vector(selected[j].Id), Dimension) < c.Distance)
                {
                    keep = false;
                    break;
                }
            }
            if (keep)
            {
                selected.Add(c);
            }
        }
    }

    /// <summary>Adds a link from <paramref name="from"/> to <paramref name="to"/>, pruning the list with the heuristic when full.</summary>
    private void Link<TDist>(int from, int to, float distance, int layer, SearchContext ctx)
        where TDist : struct, IDistance
    {
        int max = layer == 0 ? _m0 : _m;
        lock (StripeOf(from))
        {
            Span<int> slot = Slot(from, layer);
            int count = slot[0];
            for (int i = 1; i <= count; i++)
            {
                if (slot[i] == to)
                {
                    return;
                }
            }
            if (count < max)
            {
                slot[count + 1] = to;
                Volatile.Write(ref slot[0], count + 1);
                return;
            }
            Prune<TDist>(from, slot, to, distance, max, ctx);
        }
    }

    /// <summary>Re-selects a full list plus one new candidate down to <paramref name="max"/> links (caller holds the lock).</summary>
    private void Prune<TDist>(int from, Span<int> slot, int extra, float extraDistance, int max, SearchContext ctx)
        where TDist : struct, IDistance
    {
        float* fv = Vector(from);
        NeighborHeap heap = ctx.Candidates;
        heap.Clear();
        int count = slot[0];
        for (int i = 1; i <= count; i++)
        {
            int n = slot[i];
            if (_deletedCount == 0 || !IsTombstoned(n))
            {
                heap.Push(n, TDist.Compute(fv, Vector(n), Dimension));
            }
        }
        if (extra >= 0)
        {
            heap.Push(extra, extraDistance);
        }
        List<Neighbor> sorted = ctx.Pruning;
        sorted.Clear();
        while (heap.Count > 0)
        {
            sorted.Add(heap.Pop());
        }
        SelectNeighbors<TDist>(sorted, max, ctx.PrunedSelection);
        List<Neighbor> kept = ctx.PrunedSelection;
        for (int i = 0; i < kept.Count; i++)
        {
            slot[i + 1] = kept[i].Id;
        }
        Volatile.Write(ref slot[0], kept.Count);
    }

    /// <summary>Greedy descent on one upper layer: move to a closer neighbour until none is closer.</summary>
    private int GreedyClosest<TDist>(float* q, int current, ref float currentDistance, int layer)
        where TDist : struct, IDistance
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            ReadOnlySpan<int> links = Links(current, layer);
            for (int i = 0; i < links.Length; i++)
            {
                int n = links[i];
                float d = TDist.Compute(q, Vector(n), Dimension);
                if (d < currentDistance)
                {
                    currentDistance = d;
                    current = n;
                    changed = true;
                }
            }
        }
        return current;
    }
}
