namespace Cascade.Monitoring;

/// <summary>
/// The statistics drift detection is made of, as pure functions over arrays: PSI, Kolmogorov–Smirnov (two samples,
/// or a sample against a reference's quantile sketch) with its p-value and critical value, the normalised
/// Wasserstein-1 distance, the chi-square test of homogeneity, the Jensen–Shannon distance, AUC by the rank statistic
/// with the Hanley–McNeil standard error, and the expected calibration error.
/// </summary>
public static class DriftStatistics
{
    /// <summary>
    /// The population stability index Σ (aᵢ − eᵢ) ln(aᵢ / eᵢ) of the window's bin shares a against the reference's
    /// e; a share below <paramref name="epsilon"/> (an empty bin) counts as <paramref name="epsilon"/>, so one empty
    /// bin adds a large but finite term.
    /// </summary>
    /// <param name="expected">The reference's share of each bin (summing to 1).</param>
    /// <param name="actual">The window's count in each bin.</param>
    /// <param name="epsilon">The floor of a share, e.g. 10⁻⁴.</param>
    public static double Psi(IReadOnlyList<double> expected, ReadOnlySpan<long> actual, double epsilon)
    {
        if (expected.Count != actual.Length)
        {
            throw new ArgumentException($"PSI needs as many window bins ({actual.Length}) as reference bins ({expected.Count}).", nameof(actual));
        }
        long total = 0;
        foreach (long c in actual)
        {
            total += c;
        }
        if (total == 0)
        {
            return 0;
        }
        double psi = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = Math.Max((double)actual[i] / total, epsilon);
            double e = Math.Max(expected[i], epsilon);
            psi += (a - e) * Math.Log(a / e);
        }
        return psi;
    }

    /// <summary>The window's count in each of the reference's PSI bins.</summary>
    /// <param name="sorted">The window's present values, ascending.</param>
    /// <param name="edges">The bins' inner edges, ascending; bin i holds values in (edges[i−1], edges[i]].</param>
    public static long[] BinCounts(ReadOnlySpan<double> sorted, IReadOnlyList<double> edges)
    {
        var counts = new long[edges.Count + 1];
        int bin = 0;
        foreach (double x in sorted)
        {
            while (bin < edges.Count && x > edges[bin])
            {
                bin++;
            }
            counts[bin]++;
        }
        return counts;
    }

    /// <summary>The two-sample Kolmogorov–Smirnov distance sup |F_a − F_b| of two samples.</summary>
    /// <param name="a">The first sample, ascending.</param>
    /// <param name="b">The second sample, ascending.</param>
    public static double KolmogorovSmirnov(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int i = 0, j = 0;
        double d = 0;
        while (i < a.Length && j < b.Length)
        {
            // Step past every copy of the smaller value in both samples, so ties do not open a false gap.
            double x = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] <= x)
            {
                i++;
            }
            while (j < b.Length && b[j] <= x)
            {
                j++;
            }
            d = Math.Max(d, Math.Abs(((double)i / a.Length) - ((double)j / b.Length)));
        }
        return d;
    }

    /// <summary>
    /// The Kolmogorov–Smirnov distance sup |F_window − F_ref| of a window sample against a reference's quantile
    /// sketch (its CDF linear between the quantiles). The sketch's resolution (1/(q − 1) in probability) bounds the
    /// error it adds.
    /// </summary>
    /// <param name="sorted">The window's present values, ascending.</param>
    /// <param name="reference">The reference distribution.</param>
    public static double KolmogorovSmirnov(ReadOnlySpan<double> sorted, NumericReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var q = reference.Quantiles as double[] ?? [.. reference.Quantiles];
        int last = q.Length - 1;
        int n = sorted.Length;
        double d = 0;
        // Both walks only move forward: atOrBelow is the last quantile ≤ x, below the first quantile ≥ x.
        int atOrBelow = 0, below = 0;
        int i = 0;
        while (i < n)
        {
            double x = sorted[i];
            int start = i;
            while (i < n && sorted[i] == x)
            {
                i++;
            }
            while (atOrBelow < last && q[atOrBelow + 1] <= x)
            {
                atOrBelow++;
            }
            while (below < last && q[below] < x)
            {
                below++;
            }
            // The reference's CDF at x and just below it (they differ where tied quantiles make a step).
            double at = x < q[0] ? 0 : x >= q[last] ? 1 : (atOrBelow + ((x - q[atOrBelow]) / (q[atOrBelow + 1] - q[atOrBelow]))) / last;
            double left = x <= q[0] ? 0 : x > q[last] ? 1 : (below - 1 + ((x - q[below - 1]) / (q[below] - q[below - 1]))) / last;
            d = Math.Max(d, Math.Max(Math.Abs(((double)start / n) - left), Math.Abs(((double)i / n) - at)));
        }
        return d;
    }

    /// <summary>The effective sample size n·m / (n + m) of a two-sample comparison.</summary>
    /// <param name="n">The first sample's size.</param>
    /// <param name="m">The second sample's size.</param>
    public static double EffectiveSize(double n, double m) => n * m / (n + m);

    /// <summary>
    /// The asymptotic p-value of a two-sample KS distance: Q_KS((√nₑ + 0.12 + 0.11/√nₑ) · D) with nₑ = n·m/(n + m)
    /// (Stephens' small-sample correction, as in Numerical Recipes §14.3).
    /// </summary>
    /// <param name="d">The distance.</param>
    /// <param name="n">The window's size.</param>
    /// <param name="m">The reference's size.</param>
    public static double KolmogorovSmirnovPValue(double d, double n, double m) =>
        Probability.KolmogorovSurvival(KolmogorovSmirnovScale(n, m) * d);

    /// <summary>The KS distance whose p-value is <paramref name="alpha"/>: the test's critical value at level <paramref name="alpha"/>.</summary>
    /// <param name="alpha">The level.</param>
    /// <param name="n">The window's size.</param>
    /// <param name="m">The reference's size.</param>
    public static double KolmogorovSmirnovCritical(double alpha, double n, double m) =>
        Probability.KolmogorovCritical(alpha) / KolmogorovSmirnovScale(n, m);

    /// <summary>The factor √nₑ + 0.12 + 0.11/√nₑ that turns a KS distance into the Kolmogorov distribution's λ.</summary>
    /// <param name="n">The window's size.</param>
    /// <param name="m">The reference's size.</param>
    public static double KolmogorovSmirnovScale(double n, double m)
    {
        double root = Math.Sqrt(EffectiveSize(n, m));
        return root + 0.12 + (0.11 / root);
    }

    /// <summary>
    /// The Wasserstein-1 distance ∫₀¹ |Q_window(u) − Q_ref(u)| du between a window and a reference's quantile sketch,
    /// divided by the reference's standard deviation (so 0.1 reads "the distribution moved by 0.1 σ"); the integral is
    /// taken at the midpoints of 1,000 equal probability steps.
    /// </summary>
    /// <param name="sorted">The window's present values, ascending.</param>
    /// <param name="reference">The reference distribution.</param>
    public static double NormalisedWasserstein(ReadOnlySpan<double> sorted, NumericReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (sorted.IsEmpty)
        {
            return 0;
        }
        const int Steps = 1000;
        var q = reference.Quantiles;
        int last = q.Count - 1;
        double sum = 0;
        for (int k = 0; k < Steps; k++)
        {
            double u = (k + 0.5) / Steps;
            double windowQuantile = sorted[Math.Min(sorted.Length - 1, (int)(u * sorted.Length))];
            double position = u * last;
            int lo = (int)position;
            double referenceQuantile = q[lo] + ((position - lo) * (q[Math.Min(lo + 1, last)] - q[lo]));
            sum += Math.Abs(windowQuantile - referenceQuantile);
        }
        double scale = reference.StdDev > 0 ? reference.StdDev : 1;
        return sum / Steps / scale;
    }

    /// <summary>
    /// The chi-square test of homogeneity of two count vectors over the same categories (a 2 × k table): Σ (O − E)² / E
    /// with E from the pooled shares; categories empty in both are dropped, and the degrees of freedom are the
    /// remaining categories − 1.
    /// </summary>
    /// <param name="reference">The reference's counts.</param>
    /// <param name="window">The window's counts.</param>
    /// <returns>The statistic, its degrees of freedom (0 when fewer than two categories remain) and its p-value.</returns>
    public static (double Statistic, int DegreesOfFreedom, double PValue) ChiSquaredHomogeneity(ReadOnlySpan<double> reference, ReadOnlySpan<double> window)
    {
        if (reference.Length != window.Length)
        {
            throw new ArgumentException($"The chi-square test needs counts over the same categories; got {reference.Length} and {window.Length}.", nameof(window));
        }
        double totalReference = 0, totalWindow = 0;
        int used = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            totalReference += reference[i];
            totalWindow += window[i];
            used += reference[i] + window[i] > 0 ? 1 : 0;
        }
        if (used < 2 || totalReference <= 0 || totalWindow <= 0)
        {
            return (0, 0, 1);
        }
        double total = totalReference + totalWindow;
        double statistic = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double column = reference[i] + window[i];
            if (column <= 0)
            {
                continue;
            }
            double expectedReference = column * totalReference / total;
            double expectedWindow = column * totalWindow / total;
            statistic += (Square(reference[i] - expectedReference) / expectedReference) + (Square(window[i] - expectedWindow) / expectedWindow);
        }
        return (statistic, used - 1, Probability.ChiSquaredSurvival(statistic, used - 1));
    }

    /// <summary>The Jensen–Shannon distance (the square root of the divergence, base 2, so in [0, 1]) of two count vectors over the same categories.</summary>
    /// <param name="p">The first counts.</param>
    /// <param name="q">The second counts.</param>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length)
        {
            throw new ArgumentException($"Jensen–Shannon needs counts over the same categories; got {p.Length} and {q.Length}.", nameof(q));
        }
        double sp = 0, sq = 0;
        for (int i = 0; i < p.Length; i++)
        {
            sp += p[i];
            sq += q[i];
        }
        if (sp <= 0 || sq <= 0)
        {
            return 0;
        }
        double divergence = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double a = p[i] / sp, b = q[i] / sq, m = 0.5 * (a + b);
            divergence += (a > 0 ? 0.5 * a * Math.Log2(a / m) : 0) + (b > 0 ? 0.5 * b * Math.Log2(b / m) : 0);
        }
        return Math.Sqrt(Math.Max(0, divergence));
    }

    /// <summary>
    /// The AUC of <paramref name="predictions"/> against <paramref name="clicked"/> by the rank statistic (Mann–Whitney
    /// U / (positives · negatives), tied predictions sharing their mean rank); NaN when either class is empty.
    /// </summary>
    /// <param name="predictions">Scores or predicted CTRs.</param>
    /// <param name="clicked">The labels, aligned.</param>
    public static double Auc(ReadOnlySpan<double> predictions, ReadOnlySpan<bool> clicked)
    {
        if (predictions.Length != clicked.Length)
        {
            throw new ArgumentException($"AUC needs one label per prediction; got {predictions.Length} predictions and {clicked.Length} labels.", nameof(clicked));
        }
        var keys = predictions.ToArray();
        var labels = clicked.ToArray();
        Array.Sort(keys, labels);
        double positives = 0, rankSum = 0;
        int i = 0;
        while (i < keys.Length)
        {
            int start = i;
            int tiedPositives = 0;
            while (i < keys.Length && keys[i] == keys[start])
            {
                tiedPositives += labels[i] ? 1 : 0;
                i++;
            }
            // Ranks start..i−1 (1-based start+1..i) share their mean.
            rankSum += tiedPositives * (start + 1 + i) / 2.0;
            positives += tiedPositives;
        }
        double negatives = keys.Length - positives;
        return positives == 0 || negatives == 0 ? double.NaN : (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>The Hanley–McNeil (1982) standard error of an AUC estimated from <paramref name="positives"/> and <paramref name="negatives"/>.</summary>
    /// <param name="auc">The AUC.</param>
    /// <param name="positives">Clicked impressions.</param>
    /// <param name="negatives">Impressions not clicked.</param>
    public static double AucStandardError(double auc, double positives, double negatives)
    {
        double q1 = auc / (2 - auc);
        double q2 = 2 * auc * auc / (1 + auc);
        double variance = ((auc * (1 - auc)) + ((positives - 1) * (q1 - (auc * auc))) + ((negatives - 1) * (q2 - (auc * auc)))) / (positives * negatives);
        return Math.Sqrt(Math.Max(0, variance));
    }

    /// <summary>
    /// Counts impressions and clicks per equal-width bin of the predicted CTR (bin ⌊p · bins⌋, p = 1 in the last) and
    /// returns the expected calibration error Σ_b (n_b / n) · |clicks_b / n_b − mean prediction_b|.
    /// </summary>
    /// <param name="predictions">Predicted CTRs in [0, 1].</param>
    /// <param name="clicked">The labels, aligned.</param>
    /// <param name="counts">Filled with the impressions per bin.</param>
    /// <param name="clicks">Filled with the clicks per bin.</param>
    public static double Ece(ReadOnlySpan<double> predictions, ReadOnlySpan<bool> clicked, Span<long> counts, Span<long> clicks)
    {
        if (predictions.Length != clicked.Length)
        {
            throw new ArgumentException($"ECE needs one label per prediction; got {predictions.Length} predictions and {clicked.Length} labels.", nameof(clicked));
        }
        int bins = counts.Length;
        counts.Clear();
        clicks.Clear();
        Span<double> sums = bins <= 64 ? stackalloc double[bins] : new double[bins];
        sums.Clear();
        for (int i = 0; i < predictions.Length; i++)
        {
            double p = Math.Clamp(predictions[i], 0, 1);
            int b = Math.Min(bins - 1, (int)(p * bins));
            counts[b]++;
            clicks[b] += clicked[i] ? 1 : 0;
            sums[b] += p;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            if (counts[b] > 0)
            {
                ece += Math.Abs(clicks[b] - sums[b]) / predictions.Length;
            }
        }
        return ece;
    }

    /// <summary>
    /// The Gini coefficient of non-negative counts, (2 Σ i·x₍ᵢ₎ / (n Σ x) − (n + 1)/n) · n/(n − 1) over the sorted counts:
    /// 0 when all are equal, 1 when one holds everything (the n/(n − 1) factor makes that exact); zeros count as members.
    /// </summary>
    /// <param name="counts">The counts, in any order; sorted in place.</param>
    public static double Gini(Span<double> counts)
    {
        counts.Sort();
        double total = 0, weighted = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            total += counts[i];
            weighted += (i + 1) * counts[i];
        }
        int n = counts.Length;
        return total <= 0 || n < 2 ? 0 : ((2 * weighted / (n * total)) - ((n + 1.0) / n)) * n / (n - 1);
    }

    private static double Square(double x) => x * x;
}
