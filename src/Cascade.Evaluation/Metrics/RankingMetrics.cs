namespace Cascade.Evaluation.Metrics;

/// <summary>
/// Per-user top-k ranking metrics (formulas in docs/metrics.md). <c>recommended</c> is the ranked list, best first;
/// <c>relevant</c> is the user's test items sorted ascending (all test items are relevant, as in the Microsoft
/// Recommenders protocol). Only the first k recommendations count. A user with no relevant items scores 0.
/// </summary>
public static class RankingMetrics
{
    /// <summary>Precision@k = hits in the top k / k.</summary>
    public static double Precision(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return (double)Hits(recommended, relevant, k) / k;
    }

    /// <summary>Recall@k = hits in the top k / |relevant|.</summary>
    public static double Recall(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return relevant.IsEmpty ? 0 : (double)Hits(recommended, relevant, k) / relevant.Length;
    }

    /// <summary>HitRate@k = 1 when any of the top k is relevant, else 0.</summary>
    public static double HitRate(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k) =>
        Hits(recommended, relevant, k) > 0 ? 1 : 0;

    /// <summary>nDCG@k with binary gains: Σ_{r ≤ k, hit} 1/log2(r + 1) divided by Σ_{r ≤ min(k, |relevant|)} 1/log2(r + 1).</summary>
    public static double Ndcg(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (relevant.IsEmpty)
        {
            return 0;
        }
        double dcg = 0;
        int n = Math.Min(k, recommended.Length);
        for (int r = 0; r < n; r++)
        {
            if (relevant.BinarySearch(recommended[r]) >= 0)
            {
                dcg += Discount(r + 1);
            }
        }
        double ideal = 0;
        int m = Math.Min(k, relevant.Length);
        for (int r = 0; r < m; r++)
        {
            ideal += Discount(r + 1);
        }
        return dcg / ideal;
    }

    /// <summary>
    /// nDCG@k with graded gains: DCG = Σ_{r ≤ k} gain(item_r)/log2(r + 1), ideal DCG the same over the relevant
    /// gains sorted descending (first min(k, |relevant|)). Gains are the relevances (linear) or 2^rel − 1 (exponential).
    /// </summary>
    /// <param name="recommended">Ranked items.</param>
    /// <param name="relevant">Relevant items sorted ascending.</param>
    /// <param name="relevance">Relevance of each relevant item (parallel to <paramref name="relevant"/>), ≥ 0.</param>
    /// <param name="k">Cut-off.</param>
    /// <param name="exponentialGain">Use 2^rel − 1 instead of rel.</param>
    public static double NdcgGraded(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, ReadOnlySpan<float> relevance, int k, bool exponentialGain = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (relevance.Length != relevant.Length)
        {
            throw new ArgumentException($"relevance has {relevance.Length} entries for {relevant.Length} relevant items.", nameof(relevance));
        }
        if (relevant.IsEmpty)
        {
            return 0;
        }
        double dcg = 0;
        int n = Math.Min(k, recommended.Length);
        for (int r = 0; r < n; r++)
        {
            int at = relevant.BinarySearch(recommended[r]);
            if (at >= 0)
            {
                dcg += Gain(relevance[at], exponentialGain) * Discount(r + 1);
            }
        }
        float[] sorted = relevance.ToArray();
        Array.Sort(sorted);
        double ideal = 0;
        int m = Math.Min(k, sorted.Length);
        for (int r = 0; r < m; r++)
        {
            ideal += Gain(sorted[sorted.Length - 1 - r], exponentialGain) * Discount(r + 1);
        }
        return ideal > 0 ? dcg / ideal : 0;
    }

    /// <summary>
    /// Average precision as Microsoft Recommenders' "MAP" computes it: Σ over hits in the top k of (hits so far / rank),
    /// divided by |relevant| (not by min(k, |relevant|)).
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k) =>
        relevant.IsEmpty ? 0 : SumPrecisionAtHits(recommended, relevant, k) / relevant.Length;

    /// <summary>AP@k: the same sum divided by min(k, |relevant|), so a perfect top-k scores 1.</summary>
    public static double AveragePrecisionAtK(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k) =>
        relevant.IsEmpty ? 0 : SumPrecisionAtHits(recommended, relevant, k) / Math.Min(k, relevant.Length);

    /// <summary>Reciprocal rank: 1 / rank of the first relevant item in the top k, 0 when none.</summary>
    public static double ReciprocalRank(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        int n = Math.Min(k, recommended.Length);
        for (int r = 0; r < n; r++)
        {
            if (relevant.BinarySearch(recommended[r]) >= 0)
            {
                return 1.0 / (r + 1);
            }
        }
        return 0;
    }

    /// <summary>Number of the first k recommendations that are relevant.</summary>
    public static int Hits(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        int hits = 0;
        int n = Math.Min(k, recommended.Length);
        for (int r = 0; r < n; r++)
        {
            if (relevant.BinarySearch(recommended[r]) >= 0)
            {
                hits++;
            }
        }
        return hits;
    }

    private static double SumPrecisionAtHits(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        double sum = 0;
        int hits = 0;
        int n = Math.Min(k, recommended.Length);
        for (int r = 0; r < n; r++)
        {
            if (relevant.BinarySearch(recommended[r]) >= 0)
            {
                hits++;
                sum += (double)hits / (r + 1);
            }
        }
        return sum;
    }

    private static double Discount(int rank) => 1.0 / Math.Log2(rank + 1);

    private static double Gain(float relevance, bool exponential) => exponential ? Math.Pow(2, relevance) - 1 : relevance;
}
