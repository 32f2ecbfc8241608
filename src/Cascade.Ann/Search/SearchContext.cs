namespace Cascade.Ann;

/// <summary>
/// The scratch state of one search (visited set, candidate queue, result heap, neighbour-selection buffers),
/// kept one per thread so a search allocates nothing once warm.
/// </summary>
internal sealed class SearchContext
{
    [ThreadStatic]
    private static SearchContext? t_cached;

    public VisitedSet Visited { get; } = new();

    public NeighborHeap Candidates { get; } = new(256, max: false);

    public NeighborHeap Results { get; } = new(256, max: true);

    /// <summary>Sorted candidate lists used when choosing neighbours.</summary>
    public List<Neighbor> Scratch { get; } = new(256);

    public List<Neighbor> Selected { get; } = new(64);

    /// <summary>Lists used when a full neighbour list is re-selected.</summary>
    public List<Neighbor> Pruning { get; } = new(128);

    public List<Neighbor> PrunedSelection { get; } = new(64);

    public float[] Query { get; private set; } = [];

    /// <summary>Takes this thread's context, or a fresh one when it is already in use (a filter that searches).</summary>
    public static SearchContext Rent()
    {
        SearchContext? ctx = t_cached;
        if (ctx is null)
        {
            return new SearchContext();
        }
        t_cached = null;
        return ctx;
    }

    public static void Return(SearchContext ctx) => t_cached = ctx;

    /// <summary>A buffer of at least <paramref name="dimension"/> floats for a normalised copy of the query.</summary>
    public float[] QueryBuffer(int dimension)
    {
        if (Query.Length < dimension)
        {
            Query = new float[dimension];
        }
        return Query;
    }
}
