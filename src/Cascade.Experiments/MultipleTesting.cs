namespace Cascade.Experiments;

/// <summary>A multiple-testing correction of a family of p-values.</summary>
/// <param name="Method"><see cref="Methods.Holm"/> or <see cref="Methods.BenjaminiHochberg"/>.</param>
/// <param name="Adjusted">The adjusted p-values, in the input order.</param>
/// <param name="Rejected">Whether each hypothesis is rejected at the level, in the input order.</param>
/// <param name="Level">α (family-wise error rate for Holm, false discovery rate for BH).</param>
public sealed record CorrectionResult(string Method, double[] Adjusted, bool[] Rejected, double Level);

/// <summary>Corrections for testing several metrics at once.</summary>
public static class MultipleTesting
{
    /// <summary>
    /// Holm's step-down procedure (Holm 1979), controlling the family-wise error rate: with p-values sorted
    /// p₍₁₎ ≤ … ≤ p₍ₘ₎, adjusted p₍ᵢ₎ = max over j ≤ i of min(1, (m − j + 1) p₍ⱼ₎).
    /// </summary>
    /// <param name="pValues">The family's p-values.</param>
    /// <param name="alpha">The family-wise level.</param>
    public static CorrectionResult Holm(IReadOnlyList<double> pValues, double alpha = 0.05)
    {
        int[] order = SortedOrder(pValues);
        int m = order.Length;
        var adjusted = new double[m];
        double running = 0;
        for (int rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return new CorrectionResult(Methods.Holm, adjusted, [.. adjusted.Select(p => p <= alpha)], alpha);
    }

    /// <summary>
    /// The Benjamini–Hochberg step-up procedure (1995), controlling the false discovery rate: adjusted
    /// p₍ᵢ₎ = min over j ≥ i of min(1, m p₍ⱼ₎ / j).
    /// </summary>
    /// <param name="pValues">The family's p-values.</param>
    /// <param name="q">The false discovery rate.</param>
    public static CorrectionResult BenjaminiHochberg(IReadOnlyList<double> pValues, double q = 0.05)
    {
        int[] order = SortedOrder(pValues);
        int m = order.Length;
        var adjusted = new double[m];
        double running = 1;
        for (int rank = m - 1; rank >= 0; rank--)
        {
            running = Math.Min(running, Math.Min(1, m * pValues[order[rank]] / (rank + 1)));
            adjusted[order[rank]] = running;
        }
        return new CorrectionResult(Methods.BenjaminiHochberg, adjusted, [.. adjusted.Select(p => p <= q)], q);
    }

    private static int[] SortedOrder(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        foreach (double p in pValues)
        {
            if (!(p >= 0 && p <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(pValues), p, "Every p-value must lie in [0, 1].");
            }
        }
        int[] order = [.. Enumerable.Range(0, pValues.Count)];
        // A stable sort keeps ties in input order, so the result does not depend on the sort's implementation.
        return [.. order.OrderBy(i => pValues[i])];
    }
}
