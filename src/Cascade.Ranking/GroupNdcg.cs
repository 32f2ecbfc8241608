namespace Cascade.Ranking;

/// <summary>
/// nDCG@k over the groups (queries, users) of a ranking data set, with exponential gain 2^label − 1 and discount
/// 1 / log2(position + 2): the learning-to-rank objectives' validation metric, one definition for every ranker.
/// </summary>
public static class GroupNdcg
{
    /// <summary>The inverse of each group's ideal DCG@k (0 when the group has no relevant row).</summary>
    /// <param name="labels">Relevance grades of every row.</param>
    /// <param name="groups">Group offsets (length groups + 1).</param>
    /// <param name="k">Cut-off.</param>
    public static double[] InverseIdealDcg(float[] labels, int[] groups, int k)
    {
        var result = new double[groups.Length - 1];
        for (int q = 0; q < result.Length; q++)
        {
            int start = groups[q], size = groups[q + 1] - start;
            var sorted = labels.AsSpan(start, size).ToArray();
            Array.Sort(sorted);
            double dcg = 0;
            for (int i = 0; i < Math.Min(k, size); i++)
            {
                dcg += Gain(sorted[size - 1 - i]) * Discount(i);
            }
            result[q] = dcg > 0 ? 1 / dcg : 0;
        }
        return result;
    }

    /// <summary>Mean nDCG@k over the groups with a relevant row (ties in score broken by row order); NaN when no group has one.</summary>
    /// <param name="scores">Scores of every row.</param>
    /// <param name="labels">Relevance grades of every row.</param>
    /// <param name="groups">Group offsets (length groups + 1).</param>
    /// <param name="inverseIdeal">From <see cref="InverseIdealDcg"/> with the same <paramref name="k"/>.</param>
    /// <param name="k">Cut-off.</param>
    public static double MeanNdcg(ReadOnlySpan<double> scores, float[] labels, int[] groups, double[] inverseIdeal, int k)
    {
        var perGroup = new double[groups.Length - 1];
        Ndcgs(scores, labels, groups, inverseIdeal, k, perGroup);
        return Mean(perGroup);
    }

    /// <summary>The mean of the per-group values that are not NaN (from <see cref="Ndcgs"/>); NaN when none is.</summary>
    /// <param name="perGroup">Per-group values.</param>
    public static double Mean(ReadOnlySpan<double> perGroup)
    {
        double sum = 0;
        int counted = 0;
        foreach (double ndcg in perGroup)
        {
            if (!double.IsNaN(ndcg))
            {
                sum += ndcg;
                counted++;
            }
        }
        return counted > 0 ? sum / counted : double.NaN;
    }

    /// <summary>Each group's nDCG@k (ties in score broken by row order), NaN for a group without a relevant row.</summary>
    /// <param name="scores">Scores of every row.</param>
    /// <param name="labels">Relevance grades of every row.</param>
    /// <param name="groups">Group offsets (length groups + 1).</param>
    /// <param name="inverseIdeal">From <see cref="InverseIdealDcg"/> with the same <paramref name="k"/>.</param>
    /// <param name="k">Cut-off.</param>
    /// <param name="into">One entry per group.</param>
    public static void Ndcgs(ReadOnlySpan<double> scores, float[] labels, int[] groups, double[] inverseIdeal, int k, Span<double> into)
    {
        var order = new List<int>();
        for (int q = 0; q < groups.Length - 1; q++)
        {
            if (inverseIdeal[q] == 0)
            {
                into[q] = double.NaN;
                continue;
            }
            int start = groups[q], size = groups[q + 1] - start;
            order.Clear();
            for (int i = 0; i < size; i++)
            {
                order.Add(i);
            }
            var groupScores = scores.Slice(start, size).ToArray();
            order.Sort((a, b) =>
            {
                int c = groupScores[b].CompareTo(groupScores[a]);
                return c != 0 ? c : a.CompareTo(b);
            });
            double dcg = 0;
            for (int p = 0; p < Math.Min(k, size); p++)
            {
                dcg += Gain(labels[start + order[p]]) * Discount(p);
            }
            into[q] = dcg * inverseIdeal[q];
        }
    }

    /// <summary>
    /// The mean of the paired differences <paramref name="candidate"/> − <paramref name="baseline"/> over the groups
    /// both have a value for (not NaN), divided by its standard error: how many standard errors the candidate is ahead.
    /// 0 when fewer than two groups count or the differences are all equal.
    /// </summary>
    /// <param name="candidate">Per-group values of the candidate (from <see cref="Ndcgs"/>).</param>
    /// <param name="baseline">Per-group values of the baseline, the same groups.</param>
    public static double PairedGainZ(ReadOnlySpan<double> candidate, ReadOnlySpan<double> baseline)
    {
        if (candidate.Length != baseline.Length)
        {
            throw new ArgumentException($"candidate has {candidate.Length} groups and baseline {baseline.Length}.", nameof(baseline));
        }
        double sum = 0;
        int n = 0;
        for (int q = 0; q < candidate.Length; q++)
        {
            double d = candidate[q] - baseline[q];
            if (!double.IsNaN(d))
            {
                sum += d;
                n++;
            }
        }
        if (n < 2)
        {
            return 0;
        }
        double mean = sum / n, squares = 0;
        for (int q = 0; q < candidate.Length; q++)
        {
            double d = candidate[q] - baseline[q];
            if (!double.IsNaN(d))
            {
                squares += (d - mean) * (d - mean);
            }
        }
        double variance = squares / (n - 1);
        return variance > 0 ? mean / Math.Sqrt(variance / n) : 0;
    }

    /// <summary>Gain of a relevance grade: 2^label − 1.</summary>
    /// <param name="label">The grade.</param>
    public static double Gain(float label) => Math.Pow(2, Math.Min(label, 31f)) - 1;

    /// <summary>Discount of 0-based position p: 1 / log2(p + 2).</summary>
    /// <param name="position">0-based position.</param>
    public static double Discount(int position) => 1 / Math.Log2(position + 2);
}
