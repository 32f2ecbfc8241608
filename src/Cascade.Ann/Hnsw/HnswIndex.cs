using System.Runtime.CompilerServices;

namespace Cascade.Ann;

/// <summary>
/// A Hierarchical Navigable Small World graph (Malkov and Yashunin, 2016) for approximate nearest-neighbour search.
/// </summary>
/// <remarks>
/// Layout: vectors are one 64-byte aligned block (<c>Count × Dimension</c> floats); layer-0 neighbour lists are a
/// second block of fixed-size slots <c>[count, id₁ … id₂ₘ]</c>; the few nodes above layer 0 keep their upper lists
/// (slots of <c>M + 1</c> ints) in one flat int array indexed by a per-node offset. Ids are dense and assigned in
/// the order vectors are added. Searches may run concurrently; <see cref="Add"/>, <see cref="AddRange"/> and
/// <see cref="Delete"/> need exclusive access (they parallelise internally). An index loaded memory-mapped is read-only.
/// </remarks>
public sealed unsafe partial class HnswIndex : IVectorIndex, IDisposable
{
    private const int MaxLevelCap = 32;
    private const int LockStripes = 1024;

    private readonly int _m;
    private readonly int _m0;
    private readonly int _stride0;
    private readonly int _strideUp;
    private readonly double _levelMultiplier;
    private readonly Lock _globalLock = new();
    private readonly Lock[] _stripes;

    private NativeBuffer? _vectorBuffer;
    private NativeBuffer? _linkBuffer;
    private MappedFile? _mapped;
    private float* _vectors;
    private int* _links0;
    private int _count;
    private int _capacity;
    private byte[] _levels;
    private int[] _upperOffsets;
    private int[] _upper;
    private int _upperLength;
    private ulong[] _tombstones;
    private int _deletedCount;
    private int _entryPoint = -1;
    private int _maxLevel = -1;
    private bool _disposed;

    /// <summary>Creates an empty index.</summary>
    /// <param name="dimension">The number of components of every vector (1 … 65 536).</param>
    /// <param name="metric">The distance to rank by.</param>
    /// <param name="options">Build parameters; null for the defaults.</param>
    /// <param name="initialCapacity">Vectors to reserve room for.</param>
    public HnswIndex(int dimension, DistanceMetric metric, HnswOptions? options = null, int initialCapacity = 0)
        : this(dimension, metric, options ?? new HnswOptions())
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialCapacity);
        EnsureCapacity(Math.Max(initialCapacity, 16));
    }

    private HnswIndex(int dimension, DistanceMetric metric, HnswOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, HnswOptions.MaxDimension);
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown distance metric.");
        }
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Dimension = dimension;
        Metric = metric;
        Options = options;
        _m = options.M;
        _m0 = 2 * options.M;
        _stride0 = _m0 + 1;
        _strideUp = _m + 1;
        _levelMultiplier = 1.0 / Math.Log(_m);
        _stripes = new Lock[LockStripes];
        for (int i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new Lock();
        }
        _levels = [];
        _upperOffsets = [];
        _upper = [];
        _tombstones = [];
    }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public int Count => _count;

    /// <summary>The number of ids deleted (tombstoned); they are never returned.</summary>
    public int DeletedCount => _deletedCount;

    /// <inheritdoc />
    public DistanceMetric Metric { get; }

    /// <summary>The build parameters.</summary>
    public HnswOptions Options { get; }

    /// <summary>True when the index reads a memory-mapped file and cannot be changed.</summary>
    public bool IsReadOnly => _mapped is not null;

    /// <summary>The top layer of the graph (−1 when empty).</summary>
    public int MaxLevel => _maxLevel;

    /// <summary>Bytes held by the index's own arrays (vectors, links, levels, tombstones), mapped or not.</summary>
    public long MemoryBytes =>
        (long)_capacity * Dimension * sizeof(float) + (long)_capacity * _stride0 * sizeof(int)
        + _levels.Length + (long)_upperOffsets.Length * sizeof(int) + (long)_upper.Length * sizeof(int) + (long)_tombstones.Length * sizeof(ulong);

    internal int EntryPoint => _entryPoint;

    /// <summary>True when <paramref name="id"/> has been deleted.</summary>
    public bool IsDeleted(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _count);
        return IsTombstoned(id);
    }

    /// <summary>The stored vector of <paramref name="id"/> (normalised under <see cref="DistanceMetric.Cosine"/>).</summary>
    public ReadOnlySpan<float> GetVector(int id)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _count);
        return new ReadOnlySpan<float>(Vector(id), Dimension);
    }

    /// <summary>The layer-<paramref name="layer"/> neighbours of <paramref name="id"/> (for diagnostics and tests).</summary>
    public int[] GetNeighbors(int id, int layer)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _count);
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        return layer > _levels[id] ? [] : Links(id, layer).ToArray();
    }

    /// <summary>Frees the index's memory or closes its mapped file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _vectorBuffer?.Dispose();
        _linkBuffer?.Dispose();
        _mapped?.Dispose();
        _vectors = null;
        _links0 = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float* Vector(int id) => _vectors + (long)id * Dimension;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsTombstoned(int id) => (_tombstones[id >> 6] & (1UL << (id & 63))) != 0;

    /// <summary>The live neighbour list of a node on a layer; read without a lock, so the count is clamped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<int> Links(int id, int layer)
    {
        if (layer == 0)
        {
            int* slot = _links0 + (long)id * _stride0;
            int n = Math.Min(Volatile.Read(ref *slot), _m0);
            return new ReadOnlySpan<int>(slot + 1, n);
        }
        int offset = _upperOffsets[id] + (layer - 1) * _strideUp;
        int count = Math.Min(Volatile.Read(ref _upper[offset]), _m);
        return new ReadOnlySpan<int>(_upper, offset + 1, count);
    }

    /// <summary>The whole slot of a node's list on a layer: element 0 is the count, then the ids.</summary>
    private Span<int> Slot(int id, int layer) => layer == 0
        ? new Span<int>(_links0 + (long)id * _stride0, _stride0)
        : new Span<int>(_upper, _upperOffsets[id] + (layer - 1) * _strideUp, _strideUp);

    private Lock StripeOf(int id) => _stripes[id & (LockStripes - 1)];

    private void EnsureCapacity(int needed)
    {
        if (needed <= _capacity)
        {
            return;
        }
        int capacity = (int)Math.Min(Math.Max(needed, (long)_capacity * 3 / 2), int.MaxValue - 64);
        long vectorBytes = checked((long)capacity * Dimension * sizeof(float));
        long linkBytes = checked((long)capacity * _stride0 * sizeof(int));
        if (_vectorBuffer is null)
        {
            _vectorBuffer = new NativeBuffer(vectorBytes);
            _linkBuffer = new NativeBuffer(linkBytes);
        }
        else
        {
            _vectorBuffer.Grow(vectorBytes);
            _linkBuffer!.Grow(linkBytes);
        }
        _vectors = (float*)_vectorBuffer.Pointer;
        _links0 = (int*)_linkBuffer!.Pointer;
        Array.Resize(ref _levels, capacity);
        Array.Resize(ref _upperOffsets, capacity);
        Array.Resize(ref _tombstones, (capacity + 63) >> 6);
        _capacity = capacity;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void ThrowIfReadOnly()
    {
        ThrowIfDisposed();
        if (_mapped is not null)
        {
            throw new InvalidOperationException("This index is memory-mapped from a file and read-only; load it with HnswLoadMode.Copy to change it.");
        }
    }

    private int DegreeOfParallelism() => Options.MaxDegreeOfParallelism == -1 ? Environment.ProcessorCount : Options.MaxDegreeOfParallelism;
}
