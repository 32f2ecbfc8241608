using Cascade.Core;

namespace Cascade.Ann;

/// <summary>
/// Build parameters of an <see cref="HnswIndex"/>. Defaults are defined here once; they are checked when the
/// index is created.
/// </summary>
public sealed record HnswOptions
{
    /// <summary>The largest vector dimension an index accepts.</summary>
    public const int MaxDimension = 65_536;

    /// <summary>The largest <see cref="M"/> accepted.</summary>
    public const int MaxM = 512;

    /// <summary>
    /// Links per node on the upper layers (twice as many on layer 0). Larger M raises recall and memory;
    /// 12–48 is the useful range. Default 16.
    /// </summary>
    public int M { get; init; } = 16;

    /// <summary>Size of the candidate list while inserting; larger builds a better graph, more slowly. Default 200.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>The search breadth used when a search does not name one. Default 64.</summary>
    public int EfSearch { get; init; } = 64;

    /// <summary>Seed of the level assignment; a build with one thread and the same seed gives the same graph. Default 42.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Threads used to build; −1 uses all cores. Default −1.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal void Validate()
    {
        Guard.InRange(M, 2, MaxM);
        Guard.Positive(EfConstruction);
        Guard.Positive(EfSearch);
        if (MaxDegreeOfParallelism != -1)
        {
            Guard.Positive(MaxDegreeOfParallelism); // or -1: all cores
        }
    }
}

/// <summary>How a filtered search finds its results.</summary>
public enum FilterStrategy
{
    /// <summary>
    /// Choose by estimated cost: scan the allowed items exactly when they are few, otherwise walk the graph through
    /// all nodes and keep only allowed ones.
    /// </summary>
    Auto = 0,

    /// <summary>Always walk the graph (through filtered-out nodes too) and keep only allowed items.</summary>
    Graph = 1,

    /// <summary>Always compare the query with every allowed item (exact, cost proportional to the count of items).</summary>
    Exact = 2,
}
