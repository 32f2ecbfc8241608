namespace Cascade.Pipeline.Reranking;

/// <summary>
/// Splits a list into pinned candidates (which keep their positions) and free candidates (which re-rankers
/// reorder), and merges them back: every pinned candidate returns to its position when the list is long enough,
/// the free candidates fill the other positions in their new order, and pinned candidates whose position lies past
/// the end follow the free ones.
/// </summary>
internal sealed class PinnedLayout
{
    private PinnedLayout(List<Candidate> free, List<(int Position, Candidate Candidate)> pinned)
    {
        Free = free;
        Pinned = pinned;
    }

    /// <summary>Free candidates in list order.</summary>
    public List<Candidate> Free { get; }

    /// <summary>Pinned candidates by ascending position.</summary>
    public List<(int Position, Candidate Candidate)> Pinned { get; }

    /// <summary>Whether any candidate is pinned (no allocation).</summary>
    public static bool Any(List<Candidate> candidates)
    {
        foreach (var c in candidates)
        {
            if (c.Pinned)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Splits <paramref name="candidates"/>.</summary>
    public static PinnedLayout Split(List<Candidate> candidates)
    {
        var free = new List<Candidate>(candidates.Count);
        var pinned = new List<(int, Candidate)>();
        for (int i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Pinned)
            {
                pinned.Add((i, candidates[i]));
            }
            else
            {
                free.Add(candidates[i]);
            }
        }
        return new PinnedLayout(free, pinned);
    }

    /// <summary>The index in <see cref="Free"/> that lands at final <paramref name="position"/>, or -1 when a pin holds it.</summary>
    public int FreeIndex(int position)
    {
        int before = 0;
        foreach (var (p, _) in Pinned)
        {
            if (p == position)
            {
                return -1;
            }
            if (p < position)
            {
                before++;
            }
        }
        return position - before;
    }

    /// <summary>Writes the merged order into <paramref name="candidates"/>.</summary>
    public void Merge(List<Candidate> candidates)
    {
        candidates.Clear();
        int f = 0, k = 0, total = Free.Count + Pinned.Count;
        for (int p = 0; p < total; p++)
        {
            if (k < Pinned.Count && (Pinned[k].Position == p || f == Free.Count))
            {
                candidates.Add(Pinned[k++].Candidate);
            }
            else
            {
                candidates.Add(Free[f++]);
            }
        }
    }
}
