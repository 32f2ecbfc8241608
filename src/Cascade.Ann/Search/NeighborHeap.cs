using System.Runtime.CompilerServices;

namespace Cascade.Ann;

/// <summary>
/// A binary heap of (distance, id) pairs in a reusable array. As a max-heap it is the bounded result set
/// (the root is the farthest kept); as a min-heap it is the candidate queue (the root is the closest to expand).
/// </summary>
internal sealed class NeighborHeap
{
    private Neighbor[] _items;
    private readonly bool _max;

    public NeighborHeap(int capacity, bool max)
    {
        _items = new Neighbor[Math.Max(capacity, 16)];
        _max = max;
    }

    public int Count { get; private set; }

    public Neighbor Top
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _items[0];
    }

    public ReadOnlySpan<Neighbor> Items => _items.AsSpan(0, Count);

    public void Clear() => Count = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Above(float a, float b) => _max ? a > b : a < b;

    public void Push(int id, float distance)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }
        Neighbor[] items = _items;
        int i = Count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Above(distance, items[parent].Distance))
            {
                break;
            }
            items[i] = items[parent];
            i = parent;
        }
        items[i] = new Neighbor(id, distance);
    }

    public Neighbor Pop()
    {
        Neighbor top = _items[0];
        Neighbor last = _items[--Count];
        if (Count > 0)
        {
            SiftDown(last);
        }
        return top;
    }

    /// <summary>Replaces the root with a new entry (cheaper than Pop then Push).</summary>
    public void ReplaceTop(int id, float distance) => SiftDown(new Neighbor(id, distance));

    private void SiftDown(Neighbor item)
    {
        Neighbor[] items = _items;
        int n = Count;
        int i = 0;
        while (true)
        {
            int child = (i << 1) + 1;
            if (child >= n)
            {
                break;
            }
            if (child + 1 < n && Above(items[child + 1].Distance, items[child].Distance))
            {
                child++;
            }
            if (!Above(items[child].Distance, item.Distance))
            {
                break;
            }
            items[i] = items[child];
            i = child;
        }
        items[i] = item;
    }

    /// <summary>Empties a max-heap into <paramref name="destination"/> closest first; returns the count written.</summary>
    public int DrainAscending(Span<Neighbor> destination)
    {
        while (Count > destination.Length)
        {
            Pop();
        }
        int n = Count;
        for (int i = n - 1; i >= 0; i--)
        {
            destination[i] = Pop();
        }
        return n;
    }
}
