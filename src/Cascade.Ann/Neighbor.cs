namespace Cascade.Ann;

/// <summary>One search result: the dense id of an item and its distance to the query (smaller is closer).</summary>
/// <param name="Id">The dense item id, or −1 for an unused result slot.</param>
/// <param name="Distance">The distance under the index's <see cref="DistanceMetric"/>.</param>
public readonly record struct Neighbor(int Id, float Distance);
