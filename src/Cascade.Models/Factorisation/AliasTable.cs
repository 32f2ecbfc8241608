using Cascade.Core;

namespace Cascade.Models.Factorisation;

/// <summary>Vose's alias method: O(1) draws from a fixed discrete distribution after O(n) set-up.</summary>
internal sealed class AliasTable
{
    private readonly float[] _probability;
    private readonly int[] _alias;

    private AliasTable(float[] probability, int[] alias)
    {
        _probability = probability;
        _alias = alias;
    }

    /// <summary>A table over items with weight (users per item)^exponent; an all-zero weight vector falls back to uniform.</summary>
    public static AliasTable FromPopularity(CsrMatrix data, double exponent)
    {
        var counts = new double[data.Columns];
        foreach (int item in data.ColumnIndices)
        {
            counts[item]++;
        }
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = counts[i] > 0 ? Math.Pow(counts[i], exponent) : 0;
        }
        return Create(counts);
    }

    /// <summary>Builds the table for non-negative <paramref name="weights"/>.</summary>
    public static AliasTable Create(double[] weights)
    {
        int n = weights.Length;
        double total = 0;
        foreach (double w in weights)
        {
            total += w;
        }
        var scaled = new double[n];
        for (int i = 0; i < n; i++)
        {
            scaled[i] = total > 0 ? weights[i] * n / total : 1;
        }
        var probability = new float[n];
        var alias = new int[n];
        var small = new Stack<int>();
        var large = new Stack<int>();
        for (int i = n - 1; i >= 0; i--)
        {
            (scaled[i] < 1 ? small : large).Push(i);
        }
        while (small.Count > 0 && large.Count > 0)
        {
            int s = small.Pop(), l = large.Pop();
            probability[s] = (float)scaled[s];
            alias[s] = l;
            scaled[l] -= 1 - scaled[s];
            (scaled[l] < 1 ? small : large).Push(l);
        }
        while (large.Count > 0)
        {
            int l = large.Pop();
            probability[l] = 1;
            alias[l] = l;
        }
        while (small.Count > 0)
        {
            int s = small.Pop(); // rounding leftovers
            probability[s] = 1;
            alias[s] = s;
        }
        return new AliasTable(probability, alias);
    }

    /// <summary>Draws one index.</summary>
    public int Sample(Random random)
    {
        int i = random.Next(_probability.Length);
        return random.NextSingle() < _probability[i] ? i : _alias[i];
    }
}
