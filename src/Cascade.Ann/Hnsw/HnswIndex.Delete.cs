namespace Cascade.Ann;

public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Deletes <paramref name="id"/>: it is tombstoned, so no search returns it again, and the graph is repaired
    /// around it: each neighbour that linked to it re-selects its links from its other neighbours and the deleted
    /// node's neighbours. The deleted node keeps its own links, so paths through it still work until the index is rebuilt.
    /// </summary>
    /// <returns>False when the id was already deleted.</returns>
    public bool Delete(int id)
    {
        ThrowIfReadOnly();
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _count);
        if (IsTombstoned(id))
        {
            return false;
        }
        _tombstones[id >> 6] |= 1UL << (id & 63);
        _deletedCount++;
        SearchContext ctx = SearchContext.Rent();
        try
        {
            if (Metric == DistanceMetric.L2)
            {
                Repair<L2Distance>(id, ctx);
            }
            else
            {
                Repair<DotDistance>(id, ctx);
            }
        }
        finally
        {
            SearchContext.Return(ctx);
        }
        if (id == _entryPoint)
        {
            ReplaceEntryPoint();
        }
        return true;
    }

    private void Repair<TDist>(int deleted, SearchContext ctx)
        where TDist : struct, IDistance
    {
        int level = _levels[deleted];
        for (int layer = 0; layer <= level; layer++)
        {
            int max = layer == 0 ? _m0 : _m;
            int[] around = Links(deleted, layer).ToArray();
            foreach (int n in around)
            {
                if (IsTombstoned(n) || _levels[n] < layer)
                {
                    continue;
                }
                Span<int> slot = Slot(n, layer);
                if (slot[1..(slot[0] + 1)].IndexOf(deleted) < 0)
                {
                    continue;
                }
                // Candidates: n's own links and the deleted node's links, live and distinct, each scored against n.
                float* nv = Vector(n);
                NeighborHeap heap = ctx.Candidates;
                heap.Clear();
                ctx.Visited.Reset(_count);
                ctx.Visited.TryVisit(n);
                ctx.Visited.TryVisit(deleted);
                AddCandidates<TDist>(nv, slot[1..(slot[0] + 1)], layer, heap, ctx.Visited);
                AddCandidates<TDist>(nv, around, layer, heap, ctx.Visited);
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
                slot[0] = kept.Count;
            }
        }
    }

    private void AddCandidates<TDist>(float* baseVector, ReadOnlySpan<int> ids, int layer, NeighborHeap heap, VisitedSet seen)
        where TDist : struct, IDistance
    {
        foreach (int c in ids)
        {
            if (!IsTombstoned(c) && _levels[c] >= layer && seen.TryVisit(c))
            {
                heap.Push(c, TDist.Compute(baseVector, Vector(c), Dimension));
            }
        }
    }

    /// <summary>Makes the highest live node the entry point (the old one stays traversable but is deleted).</summary>
    private void ReplaceEntryPoint()
    {
        int best = -1;
        int bestLevel = -1;
        for (int i = 0; i < _count; i++)
        {
            if (_levels[i] > bestLevel && !IsTombstoned(i))
            {
                best = i;
                bestLevel = _levels[i];
            }
        }
        if (best >= 0)
        {
            _entryPoint = best;
            _maxLevel = bestLevel;
        }
    }
}
