namespace Cascade.Ann;

/// <summary>
/// A k-nearest-neighbour index over vectors with dense integer ids (0, 1, 2, … in the order they were added).
/// Searches may run concurrently with each other; adding and deleting need exclusive access.
/// </summary>
public interface IVectorIndex
{
    /// <summary>The number of components of every vector.</summary>
    int Dimension { get; }

    /// <summary>The number of ids assigned, deleted ones included.</summary>
    int Count { get; }

    /// <summary>The distance the index ranks by.</summary>
    DistanceMetric Metric { get; }

    /// <summary>
    /// Finds the nearest items to <paramref name="query"/>, closest first, writing up to <c>destination.Length</c> of them.
    /// </summary>
    /// <param name="query">A vector of <see cref="Dimension"/> components.</param>
    /// <param name="destination">Receives the results; its length is k.</param>
    /// <param name="filter">When not null, only items it allows are returned.</param>
    /// <returns>The number of results written (less than k when fewer items qualify).</returns>
    int Search(ReadOnlySpan<float> query, Span<Neighbor> destination, IItemFilter? filter = null);
}
