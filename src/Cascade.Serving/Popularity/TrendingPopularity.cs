using Cascade.Core;

namespace Cascade.Serving.Popularity;

/// <summary>
/// The popularity / trending baseline: an item's score is the sum over users of their interaction weight,
/// decayed by the age of the interaction: score(i) = Σᵤ w(u,i) · 2^(−(T − t(u,i)) / halfLife), T the newest
/// timestamp in the matrix. A half-life of infinity gives plain popularity.
/// </summary>
public sealed class TrendingPopularity
{
    private readonly int[] _ranked;
    private readonly float[] _scores;

    private TrendingPopularity(int[] ranked, float[] scores)
    {
        _ranked = ranked;
        _scores = scores;
    }

    /// <summary>Item indices from most to least popular (items with no positive score are left out).</summary>
    public ReadOnlySpan<int> Ranked => _ranked;

    /// <summary>The score of item <paramref name="item"/>.</summary>
    public float Score(int item) => _scores[item];

    /// <summary>Fits the model on an interaction matrix whose entries carry timestamps.</summary>
    /// <param name="interactions">Users × items, weights ≥ 0 count.</param>
    /// <param name="halfLife">The age at which an interaction counts half; null for no decay.</param>
    public static TrendingPopularity Fit(CsrMatrix interactions, TimeSpan? halfLife)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        if (halfLife is { } h && h <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(halfLife), halfLife, "halfLife must be positive, or null for no decay.");
        }
        var scores = new float[interactions.Columns];
        var times = interactions.Timestamps;
        long newest = 0;
        if (times is not null)
        {
            foreach (long t in times)
            {
                newest = Math.Max(newest, t);
            }
        }
        double halfLifeMs = halfLife?.TotalMilliseconds ?? double.PositiveInfinity;
        var cols = interactions.ColumnIndices;
        var values = interactions.Values;
        for (int k = 0; k < cols.Length; k++)
        {
            float w = values[k];
            if (w <= 0)
            {
                continue;
            }
            double decay = times is null || double.IsPositiveInfinity(halfLifeMs) ? 1 : Math.Pow(2, -(newest - times[k]) / halfLifeMs);
            scores[cols[k]] += (float)(w * decay);
        }
        int count = 0;
        foreach (float s in scores)
        {
            if (s > 0)
            {
                count++;
            }
        }
        var ranked = new int[count];
        var keys = new float[count];
        int n = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (scores[i] > 0)
            {
                ranked[n] = i;
                keys[n] = -scores[i];
                n++;
            }
        }
        Array.Sort(keys, ranked); // by descending score; equal scores keep ascending item order (stable input order not guaranteed, so tie-break below)
        TieBreak(keys, ranked);
        return new TrendingPopularity(ranked, scores);
    }

    // Array.Sort is not stable: order equal scores by item index so results are deterministic.
    private static void TieBreak(float[] keys, int[] ranked)
    {
        int start = 0;
        for (int i = 1; i <= keys.Length; i++)
        {
            if (i == keys.Length || keys[i] != keys[start])
            {
                if (i - start > 1)
                {
                    Array.Sort(ranked, start, i - start);
                }
                start = i;
            }
        }
    }
}
