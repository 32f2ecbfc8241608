namespace Cascade.Ranking.Metrics;

/// <summary>Metrics of scores against binary labels: AUC, per-user GAUC, log loss and expected calibration error.</summary>
public static class ScoreMetrics
{
    /// <summary>
    /// Area under the ROC curve: the probability that a random positive outscores a random negative, ties counting
    /// one half (Mann–Whitney U with average ranks). NaN when either class is absent.
    /// </summary>
    /// <param name="labels">True for positives.</param>
    /// <param name="scores">Scores, higher meaning more likely positive.</param>
    public static double Auc(ReadOnlySpan<bool> labels, ReadOnlySpan<float> scores)
    {
        if (labels.Length != scores.Length)
        {
            throw new ArgumentException($"labels has {labels.Length} entries and scores {scores.Length}.", nameof(scores));
        }
        int n = labels.Length;
        var order = new int[n];
        var keys = scores.ToArray();
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }
        Array.Sort(keys, order);
        double positiveRankSum = 0;
        long positives = 0;
        int start = 0;
        while (start < n)
        {
            int end = start;
            while (end + 1 < n && keys[end + 1] == keys[start])
            {
                end++;
            }
            double averageRank = ((start + end) / 2.0) + 1; // ranks are 1-based
            for (int i = start; i <= end; i++)
            {
                if (labels[order[i]])
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            }
            start = end + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }
        return (positiveRankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }

    /// <summary>
    /// Group AUC: the AUC of each user's rows, weighted by the user's number of rows, over users who have both a positive
    /// and a negative: Σ_u n_u·AUC_u / Σ_u n_u. NaN when no user qualifies.
    /// </summary>
    /// <param name="users">The user of each row.</param>
    /// <param name="labels">True for positives.</param>
    /// <param name="scores">Scores.</param>
    public static double GroupAuc(ReadOnlySpan<int> users, ReadOnlySpan<bool> labels, ReadOnlySpan<float> scores)
    {
        if (users.Length != labels.Length || labels.Length != scores.Length)
        {
            throw new ArgumentException($"users ({users.Length}), labels ({labels.Length}) and scores ({scores.Length}) must be equally long.", nameof(scores));
        }
        var order = new int[users.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }
        int[] keys = users.ToArray();
        Array.Sort(keys, order);
        double weighted = 0, weight = 0;
        int start = 0;
        while (start < keys.Length)
        {
            int end = start;
            while (end < keys.Length && keys[end] == keys[start])
            {
                end++;
            }
            int size = end - start;
            var groupLabels = new bool[size];
            var groupScores = new float[size];
            for (int i = 0; i < size; i++)
            {
                groupLabels[i] = labels[order[start + i]];
                groupScores[i] = scores[order[start + i]];
            }
            double auc = Auc(groupLabels, groupScores);
            if (!double.IsNaN(auc))
            {
                weighted += size * auc;
                weight += size;
            }
            start = end;
        }
        return weight > 0 ? weighted / weight : double.NaN;
    }

    /// <summary>Mean binary cross-entropy −(y·ln p + (1 − y)·ln(1 − p)), p clipped to [ε, 1 − ε] with ε = 1e−15.</summary>
    /// <param name="labels">True for positives.</param>
    /// <param name="probabilities">Predicted probabilities of the positive class.</param>
    public static double LogLoss(ReadOnlySpan<bool> labels, ReadOnlySpan<float> probabilities)
    {
        Check(labels, probabilities);
        const double Epsilon = 1e-15;
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            double p = Math.Clamp(probabilities[i], Epsilon, 1 - Epsilon);
            sum -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }
        return sum / labels.Length;
    }

    /// <summary>
    /// Expected calibration error with <paramref name="bins"/> equal-width bins on [0, 1] (bin b holds p with
    /// floor(p·bins) = b, p = 1 in the last): Σ_b (|B_b| / n)·|mean label in B_b − mean p in B_b|.
    /// </summary>
    /// <param name="labels">True for positives.</param>
    /// <param name="probabilities">Predicted probabilities in [0, 1].</param>
    /// <param name="bins">Number of bins (default 10).</param>
    public static double ExpectedCalibrationError(ReadOnlySpan<bool> labels, ReadOnlySpan<float> probabilities, int bins = 10)
    {
        Check(labels, probabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var count = new int[bins];
        var positives = new double[bins];
        var confidence = new double[bins];
        for (int i = 0; i < labels.Length; i++)
        {
            double p = Math.Clamp(probabilities[i], 0f, 1f);
            int b = Math.Min((int)(p * bins), bins - 1);
            count[b]++;
            positives[b] += labels[i] ? 1 : 0;
            confidence[b] += p;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            if (count[b] > 0)
            {
                ece += (double)count[b] / labels.Length * Math.Abs((positives[b] / count[b]) - (confidence[b] / count[b]));
            }
        }
        return ece;
    }

    private static void Check(ReadOnlySpan<bool> labels, ReadOnlySpan<float> probabilities)
    {
        if (labels.Length != probabilities.Length || labels.IsEmpty)
        {
            throw new ArgumentException($"Need equally long, non-empty arrays; got {labels.Length} labels and {probabilities.Length} probabilities.", nameof(probabilities));
        }
    }
}
