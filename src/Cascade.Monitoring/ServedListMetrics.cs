namespace Cascade.Monitoring;

/// <summary>
/// What the served lists of a window say about popularity bias and diversity, measured with the reference's item
/// popularity (interactions per item in the training data):
/// <list type="bullet">
/// <item><c>avg_recommended_popularity</c>: the mean, over served slots, of the item's share of all training interactions.</item>
/// <item><c>coverage</c>: distinct items served / catalog size.</item>
/// <item><c>gini</c>: the Gini coefficient of how often each catalog item was served (items never served count as 0).</item>
/// <item><c>novelty</c>: the mean over served slots of −log₂ p(item), p the item's popularity share with add-one smoothing (an item unseen in training is the most novel).</item>
/// <item><c>personalisation</c>: 1 − the mean overlap |A ∩ B| / min(|A|, |B|) of randomly sampled pairs of lists.</item>
/// </list>
/// </summary>
/// <param name="Lists">Lists measured.</param>
/// <param name="AverageRecommendedPopularity">See the type's summary.</param>
/// <param name="Coverage">See the type's summary.</param>
/// <param name="Gini">See the type's summary.</param>
/// <param name="Novelty">See the type's summary.</param>
/// <param name="Personalisation">See the type's summary; NaN with fewer than two lists.</param>
public sealed record ServedListMetrics(int Lists, double AverageRecommendedPopularity, double Coverage, double Gini, double Novelty, double Personalisation)
{
    /// <summary>The metrics' names, as reported and as keys of <see cref="ReferenceSnapshot.Served"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["avg_recommended_popularity", "coverage", "gini", "novelty", "personalisation"];

    /// <summary>The metrics in the order of <see cref="Names"/>.</summary>
    public IReadOnlyList<double> Values => [AverageRecommendedPopularity, Coverage, Gini, Novelty, Personalisation];

    /// <summary>Measures <paramref name="lists"/> against <paramref name="popularity"/>.</summary>
    /// <param name="lists">The served lists, item ids in served order.</param>
    /// <param name="popularity">Training interactions per item.</param>
    /// <param name="catalogSize">Items in the catalog; raised to the items seen if smaller.</param>
    /// <param name="pairs">Pairs of lists sampled for personalisation.</param>
    /// <param name="seed">The seed of the pair sample, so a window measures the same twice.</param>
    public static ServedListMetrics Measure(IReadOnlyList<string[]> lists, IReadOnlyDictionary<string, long> popularity, int catalogSize, int pairs, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(popularity);
        double totalInteractions = 0;
        foreach (long c in popularity.Values)
        {
            totalInteractions += c;
        }
        double smoothedTotal = totalInteractions + Math.Max(catalogSize, popularity.Count);
        var served = new Dictionary<string, int>(StringComparer.Ordinal);
        double popularitySum = 0, noveltySum = 0;
        long slots = 0;
        foreach (var list in lists)
        {
            foreach (string item in list)
            {
                long count = popularity.GetValueOrDefault(item);
                popularitySum += totalInteractions > 0 ? count / totalInteractions : 0;
                noveltySum -= Math.Log2((count + 1) / smoothedTotal);
                served[item] = served.GetValueOrDefault(item) + 1;
                slots++;
            }
        }
        int catalog = Math.Max(catalogSize, Math.Max(popularity.Count, served.Count));
        var perItem = new double[catalog];
        int k = 0;
        foreach (int c in served.Values)
        {
            perItem[k++] = c;
        }
        return new ServedListMetrics(
            lists.Count,
            slots > 0 ? popularitySum / slots : 0,
            catalog > 0 ? (double)served.Count / catalog : 0,
            DriftStatistics.Gini(perItem),
            slots > 0 ? noveltySum / slots : 0,
            MeanDissimilarity(lists, pairs, seed));
    }

    /// <summary>1 − the mean overlap of <paramref name="pairs"/> random pairs of distinct lists (all pairs when there are fewer).</summary>
    private static double MeanDissimilarity(IReadOnlyList<string[]> lists, int pairs, ulong seed)
    {
        int n = lists.Count;
        if (n < 2)
        {
            return double.NaN;
        }
        var random = new SplitMixRandom(seed);
        long allPairs = (long)n * (n - 1) / 2;
        double overlapSum = 0;
        int measured = 0;
        if (allPairs <= pairs)
        {
            for (int a = 0; a < n; a++)
            {
                for (int b = a + 1; b < n; b++)
                {
                    overlapSum += Overlap(lists[a], lists[b]);
                    measured++;
                }
            }
        }
        else
        {
            for (int p = 0; p < pairs; p++)
            {
                int a = random.NextInt(n);
                int b = random.NextInt(n - 1);
                b += b >= a ? 1 : 0;
                overlapSum += Overlap(lists[a], lists[b]);
                measured++;
            }
        }
        return 1 - (overlapSum / measured);
    }

    private static double Overlap(string[] a, string[] b)
    {
        int smaller = Math.Min(a.Length, b.Length);
        if (smaller == 0)
        {
            return 0;
        }
        int shared = 0;
        foreach (string x in a)
        {
            // Lists are short (tens of items): a linear scan beats building a set.
            if (Array.IndexOf(b, x) >= 0)
            {
                shared++;
            }
        }
        return Math.Min(1.0, (double)shared / smaller);
    }
}
