namespace Cascade.Ann;

/// <summary>
/// The exact (brute-force) index: every query is compared with every stored vector using SIMD kernels and the
/// best k are kept in a bounded heap. It is the reference every approximate index is measured against, and the
/// right choice for small collections.
/// </summary>
public sealed unsafe class FlatIndex : IVectorIndex
{
    private float[] _data;
    private int _count;

    /// <summary>Creates an empty index.</summary>
    /// <param name="dimension">The number of components of every vector (1 … 65 536).</param>
    /// <param name="metric">The distance to rank by.</param>
    /// <param name="initialCapacity">Vectors to reserve room for.</param>
    public FlatIndex(int dimension, DistanceMetric metric, int initialCapacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, HnswOptions.MaxDimension);
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown distance metric.");
        }
        Dimension = dimension;
        Metric = metric;
        _data = new float[(long)initialCapacity * dimension];
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public int Count => _count;

    /// <inheritdoc />
    public DistanceMetric Metric { get; }

    /// <summary>Adds one vector and returns its id.</summary>
    public int Add(ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"The vector has {vector.Length} components; this index holds vectors of dimension {Dimension}.", nameof(vector));
        }
        EnsureCapacity(_count + 1);
        Span<float> slot = _data.AsSpan(_count * Dimension, Dimension);
        vector.CopyTo(slot);
        if (Metric == DistanceMetric.Cosine)
        {
            VectorKernels.Normalize(slot);
        }
        return _count++;
    }

    /// <summary>Adds vectors stored one after another (length a multiple of <see cref="Dimension"/>); returns the first new id.</summary>
    public int AddRange(ReadOnlySpan<float> vectors)
    {
        if (vectors.Length % Dimension != 0)
        {
            throw new ArgumentException($"The span holds {vectors.Length} floats, not a multiple of the dimension {Dimension}.", nameof(vectors));
        }
        int first = _count;
        int n = vectors.Length / Dimension;
        EnsureCapacity(checked(_count + n));
        for (int i = 0; i < n; i++)
        {
            Add(vectors.Slice(i * Dimension, Dimension));
        }
        return first;
    }

    /// <summary>The stored vector of <paramref name="id"/> (normalised under <see cref="DistanceMetric.Cosine"/>).</summary>
    public ReadOnlySpan<float> GetVector(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _count);
        return _data.AsSpan(id * Dimension, Dimension);
    }

    /// <summary>Finds the <paramref name="k"/> nearest items; a convenience that allocates the result array.</summary>
    public Neighbor[] Search(ReadOnlySpan<float> query, int k, IItemFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var results = new Neighbor[k];
        int n = Search(query, results, filter);
        return n == k ? results : results[..n];
    }

    /// <inheritdoc />
    public int Search(ReadOnlySpan<float> query, Span<Neighbor> destination, IItemFilter? filter = null)
    {
        CheckQuery(query);
        var heap = new NeighborHeap(destination.Length, max: true);
        return SearchCore(query, destination, filter, heap);
    }

    /// <summary>
    /// Searches many queries on all cores. <paramref name="queries"/> holds the queries one after another;
    /// <paramref name="results"/> receives k per query (k = results.Length / query count), unused slots get id −1.
    /// </summary>
    /// <param name="queries">The query vectors, concatenated.</param>
    /// <param name="results">Receives the results, k per query.</param>
    /// <param name="filter">When not null, only items it allows are returned.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use; −1 for all cores.</param>
    public void SearchBatch(ReadOnlyMemory<float> queries, Memory<Neighbor> results, IItemFilter? filter = null, int maxDegreeOfParallelism = -1)
    {
        if (queries.Length % Dimension != 0)
        {
            throw new ArgumentException($"The queries hold {queries.Length} floats, not a multiple of the dimension {Dimension}.", nameof(queries));
        }
        int q = queries.Length / Dimension;
        if (q == 0)
        {
            return;
        }
        if (results.Length % q != 0)
        {
            throw new ArgumentException($"The results hold {results.Length} slots, not a multiple of the {q} queries.", nameof(results));
        }
        int k = results.Length / q;
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        Parallel.For(0, q, options, () => new NeighborHeap(k, max: true), (i, _, heap) =>
        {
            Span<Neighbor> dest = results.Span.Slice(i * k, k);
            int found = SearchCore(queries.Span.Slice(i * Dimension, Dimension), dest, filter, heap);
            dest[found..].Fill(new Neighbor(-1, float.PositiveInfinity));
            return heap;
        }, _ => { });
    }

    private int SearchCore(ReadOnlySpan<float> query, Span<Neighbor> destination, IItemFilter? filter, NeighborHeap heap)
    {
        if (destination.Length == 0 || _count == 0)
        {
            return 0;
        }
        scoped ReadOnlySpan<float> effective = query;
        if (Metric == DistanceMetric.Cosine)
        {
            Span<float> normalised = Dimension <= 1024 ? stackalloc float[Dimension] : new float[Dimension];
            query.CopyTo(normalised);
            VectorKernels.Normalize(normalised);
            effective = normalised;
        }
        heap.Clear();
        AllowList? allow = filter as AllowList;
        fixed (float* q = effective)
        fixed (float* data = _data)
        {
            if (allow is not null)
            {
                var ids = new int[allow.Count];
                int n = allow.CopyTo(ids);
                for (int j = 0; j < n && ids[j] < _count; j++)
                {
                    Offer(heap, destination.Length, ids[j], Distance(q, data + (long)ids[j] * Dimension));
                }
            }
            else
            {
                for (int id = 0; id < _count; id++)
                {
                    if (filter is null || filter.Allows(id))
                    {
                        Offer(heap, destination.Length, id, Distance(q, data + (long)id * Dimension));
                    }
                }
            }
        }
        return heap.DrainAscending(destination);
    }

    private static void Offer(NeighborHeap heap, int k, int id, float d)
    {
        if (heap.Count < k)
        {
            heap.Push(id, d);
        }
        else if (d < heap.Top.Distance)
        {
            heap.ReplaceTop(id, d);
        }
    }

    private float Distance(float* a, float* b) => Metric == DistanceMetric.L2
        ? VectorKernels.L2Squared(a, b, Dimension)
        : 1f - VectorKernels.Dot(a, b, Dimension);

    private void CheckQuery(ReadOnlySpan<float> query)
    {
        if (query.Length != Dimension)
        {
            throw new ArgumentException($"The query has {query.Length} components; this index holds vectors of dimension {Dimension}.", nameof(query));
        }
    }

    private void EnsureCapacity(int count)
    {
        long needed = (long)count * Dimension;
        if (needed > _data.Length)
        {
            long grown = Math.Max(needed, Math.Min((long)_data.Length * 2, Array.MaxLength));
            Array.Resize(ref _data, checked((int)grown));
        }
    }
}
