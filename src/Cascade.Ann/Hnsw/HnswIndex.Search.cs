using System.Numerics;
using System.Runtime.Intrinsics.X86;

namespace Cascade.Ann;

public sealed unsafe partial class HnswIndex
{
    private const int FilterSampleSize = 1024;

    /// <summary>Finds the <paramref name="k"/> nearest items with the default ef; a convenience that allocates the result array.</summary>
    public Neighbor[] Search(ReadOnlySpan<float> query, int k, IItemFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var results = new Neighbor[k];
        int n = Search(query, results, Options.EfSearch, filter);
        return n == k ? results : results[..n];
    }

    /// <inheritdoc />
    public int Search(ReadOnlySpan<float> query, Span<Neighbor> destination, IItemFilter? filter = null) =>
        Search(query, destination, Options.EfSearch, filter);

    /// <summary>
    /// Finds the approximately nearest items to <paramref name="query"/>, closest first. Deleted items are never returned.
    /// </summary>
    /// <param name="query">A vector of <see cref="Dimension"/> components.</param>
    /// <param name="destination">Receives the results; its length is k.</param>
    /// <param name="ef">Search breadth (raised to k when smaller): larger is slower and more accurate.</param>
    /// <param name="filter">When not null, only items it allows are returned; an <see cref="AllowList"/> is fastest.</param>
    /// <param name="strategy">How a filtered search proceeds; ignored without a filter.</param>
    /// <returns>The number of results written.</returns>
    public int Search(ReadOnlySpan<float> query, Span<Neighbor> destination, int ef, IItemFilter? filter = null, FilterStrategy strategy = FilterStrategy.Auto)
    {
        ThrowIfDisposed();
        if (query.Length != Dimension)
        {
            throw new ArgumentException($"The query has {query.Length} components; this index holds vectors of dimension {Dimension}.", nameof(query));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(ef, 1);
        if (destination.Length == 0 || _entryPoint < 0)
        {
            return 0;
        }
        SearchContext ctx = SearchContext.Rent();
        try
        {
            if (Metric == DistanceMetric.Cosine)
            {
                Span<float> normalised = ctx.QueryBuffer(Dimension).AsSpan(0, Dimension);
                query.CopyTo(normalised);
                VectorKernels.Normalize(normalised);
                query = normalised;
            }
            fixed (float* q = query)
            {
                return Metric == DistanceMetric.L2
                    ? SearchCore<L2Distance>(q, destination, Math.Max(ef, destination.Length), filter, strategy, ctx)
                    : SearchCore<DotDistance>(q, destination, Math.Max(ef, destination.Length), filter, strategy, ctx);
            }
        }
        finally
        {
            SearchContext.Return(ctx);
        }
    }

    /// <summary>
    /// Searches many queries in parallel. <paramref name="queries"/> holds the queries one after another;
    /// <paramref name="results"/> receives k per query (k = results.Length / query count), unused slots get id −1.
    /// </summary>
    /// <param name="queries">The query vectors, concatenated.</param>
    /// <param name="results">Receives the results, k per query.</param>
    /// <param name="ef">Search breadth.</param>
    /// <param name="filter">When not null, only items it allows are returned.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use; −1 for all cores.</param>
    public void SearchBatch(ReadOnlyMemory<float> queries, Memory<Neighbor> results, int ef, IItemFilter? filter = null, int maxDegreeOfParallelism = -1)
    {
        if (queries.Length % Dimension != 0)
        {
            throw new ArgumentException($"The queries hold {queries.Length} floats, not a multiple of the dimension {Dimension}.", nameof(queries));
        }
        int count = queries.Length / Dimension;
        if (count == 0)
        {
            return;
        }
        if (results.Length % count != 0)
        {
            throw new ArgumentException($"The results hold {results.Length} slots, not a multiple of the {count} queries.", nameof(results));
        }
        int k = results.Length / count;
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        Parallel.For(0, count, options, i =>
        {
            Span<Neighbor> dest = results.Span.Slice(i * k, k);
            int found = Search(queries.Span.Slice(i * Dimension, Dimension), dest, ef, filter);
            dest[found..].Fill(new Neighbor(-1, float.PositiveInfinity));
        });
    }

    private int SearchCore<TDist>(float* q, Span<Neighbor> destination, int ef, IItemFilter? filter, FilterStrategy strategy, SearchContext ctx)
        where TDist : struct, IDistance
    {
        AllowList? allow = filter as AllowList;
        if (filter is not null && strategy != FilterStrategy.Graph)
        {
            if (strategy == FilterStrategy.Exact || PrefersExactScan(filter, allow, ef))
            {
                return ExactScan<TDist>(q, destination, filter, allow, ctx);
            }
        }

        int current = _entryPoint;
        float currentDistance = TDist.Compute(q, Vector(current), Dimension);
        for (int layer = _maxLevel; layer > 0; layer--)
        {
            current = GreedyClosest<TDist>(q, current, ref currentDistance, layer);
        }
        if (filter is null && _deletedCount == 0)
        {
            SearchLayer<TDist, AcceptAll>(q, current, currentDistance, ef, 0, ctx, default, filtered: false);
        }
        else
        {
            var combined = new CombinedFilter(_deletedCount > 0 ? _tombstones : null, allow?.Words, allow is null ? filter : null);
            SearchLayer<TDist, CombinedFilter>(q, current, currentDistance, ef, 0, ctx, combined, filtered: true);
        }
        return ctx.Results.DrainAscending(destination);
    }

    /// <summary>
    /// A filtered graph walk visits about ef / s nodes for a filter passing a fraction s of the items, each costing
    /// up to M distances; scanning the allowed items costs one distance each. Scan when allowed² ≤ ef · live · M.
    /// </summary>
    private bool PrefersExactScan(IItemFilter filter, AllowList? allow, int ef)
    {
        long live = _count - _deletedCount;
        long allowed;
        if (allow is not null)
        {
            allowed = Math.Min(allow.Count, live);
        }
        else
        {
            int samples = Math.Min(_count, FilterSampleSize);
            int hits = 0;
            for (int i = 0; i < samples; i++)
            {
                if (filter.Allows((int)((long)i * _count / samples)))
                {
                    hits++;
                }
            }
            allowed = (long)hits * live / Math.Max(samples, 1);
        }
        return allowed * allowed <= (long)ef * live * _m;
    }

    private int ExactScan<TDist>(float* q, Span<Neighbor> destination, IItemFilter filter, AllowList? allow, SearchContext ctx)
        where TDist : struct, IDistance
    {
        NeighborHeap heap = ctx.Results;
        heap.Clear();
        int k = destination.Length;
        bool anyDeleted = _deletedCount > 0;
        if (allow is not null)
        {
            ulong[] words = allow.Words;
            int wordCount = Math.Min(words.Length, (_count + 63) >> 6);
            for (int w = 0; w < wordCount; w++)
            {
                ulong bits = words[w];
                if (anyDeleted)
                {
                    bits &= ~_tombstones[w];
                }
                while (bits != 0)
                {
                    int id = (w << 6) + BitOperations.TrailingZeroCount(bits);
                    bits &= bits - 1;
                    if (id >= _count)
                    {
                        break;
                    }
                    Offer(heap, k, id, TDist.Compute(q, Vector(id), Dimension));
                }
            }
        }
        else
        {
            for (int id = 0; id < _count; id++)
            {
                if ((!anyDeleted || !IsTombstoned(id)) && filter.Allows(id))
                {
                    Offer(heap, k, id, TDist.Compute(q, Vector(id), Dimension));
                }
            }
        }
        return heap.DrainAscending(destination);
    }

    private static void Offer(NeighborHeap heap, int k, int id, float distance)
    {
        if (heap.Count < k)
        {
            heap.Push(id, distance);
        }
        else if (distance < heap.Top.Distance)
        {
            heap.ReplaceTop(id, distance);
        }
    }

    /// <summary>
    /// Best-first search of one layer from one entry node, leaving the best <paramref name="ef"/> qualifying nodes
    /// in ctx.Results. Filtered-out nodes are still expanded, so a selective filter does not cut the graph apart;
    /// a filtered search stops only once it holds ef qualifying results.
    /// </summary>
    private void SearchLayer<TDist, TFilter>(float* q, int entry, float entryDistance, int ef, int layer, SearchContext ctx, TFilter filter, bool filtered)
        where TDist : struct, IDistance
        where TFilter : struct, IResultFilter
    {
        VisitedSet visited = ctx.Visited;
        NeighborHeap candidates = ctx.Candidates;
        NeighborHeap results = ctx.Results;
        visited.Reset(_count);
        candidates.Clear();
        results.Clear();
        visited.TryVisit(entry);
        candidates.Push(entry, entryDistance);
        float bound = float.MaxValue;
        if (filter.Allows(entry))
        {
            results.Push(entry, entryDistance);
            bound = entryDistance;
        }
        int dim = Dimension;
        while (candidates.Count > 0)
        {
            Neighbor c = candidates.Top;
            if (c.Distance > bound && (results.Count >= ef || !filtered))
            {
                break;
            }
            candidates.Pop();
            ReadOnlySpan<int> links = Links(c.Id, layer);
            if (Sse.IsSupported && links.Length > 0)
            {
                Sse.Prefetch0(Vector(links[0]));
            }
            for (int i = 0; i < links.Length; i++)
            {
                int n = links[i];
                if (Sse.IsSupported && i + 1 < links.Length)
                {
                    Sse.Prefetch0(Vector(links[i + 1]));
                }
                if (!visited.TryVisit(n))
                {
                    continue;
                }
                float d = TDist.Compute(q, Vector(n), dim);
                if (results.Count < ef || d < bound)
                {
                    candidates.Push(n, d);
                    if (filter.Allows(n))
                    {
                        if (results.Count < ef)
                        {
                            results.Push(n, d);
                        }
                        else
                        {
                            results.ReplaceTop(n, d);
                        }
                        bound = results.Top.Distance;
                    }
                }
            }
        }
    }
}
