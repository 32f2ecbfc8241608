using Cascade.Core;

namespace Cascade.Evaluation.Metrics;

/// <summary>
/// Beyond-accuracy metrics of recommendation lists against the training interactions (formulas in docs/metrics.md):
/// catalogue coverage, Gini of exposure, novelty, intra-list diversity and serendipity. Item similarity is the cosine
/// of binary item columns of the training matrix: |U_i ∩ U_j| / √(|U_i|·|U_j|).
/// </summary>
public sealed class BeyondAccuracyMetrics
{
    private readonly CsrMatrix _itemUsers;
    private readonly CsrMatrix _train;
    private readonly int _activeUsers;
    private readonly int _activeItems;

    /// <summary>Prepares the metrics for one training matrix.</summary>
    /// <param name="train">Users × items training interactions.</param>
    public BeyondAccuracyMetrics(CsrMatrix train)
    {
        ArgumentNullException.ThrowIfNull(train);
        _train = train;
        _itemUsers = train.Transpose();
        for (int u = 0; u < train.Rows; u++)
        {
            _activeUsers += train.RowLength(u) > 0 ? 1 : 0;
        }
        for (int i = 0; i < _itemUsers.Rows; i++)
        {
            _activeItems += _itemUsers.RowLength(i) > 0 ? 1 : 0;
        }
    }

    /// <summary>Cosine similarity of items <paramref name="a"/> and <paramref name="b"/> over binary training columns.</summary>
    public double Similarity(int a, int b)
    {
        ReadOnlySpan<int> x = _itemUsers.RowIndices(a), y = _itemUsers.RowIndices(b);
        if (x.IsEmpty || y.IsEmpty)
        {
            return 0;
        }
        int common = 0, i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (x[i] == y[j])
            {
                common++;
                i++;
                j++;
            }
            else if (x[i] < y[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }
        return common / Math.Sqrt((double)x.Length * y.Length);
    }

    /// <summary>Catalogue coverage: distinct items recommended / items with at least one training interaction.</summary>
    /// <param name="lists">Each user's top-k list.</param>
    public double Coverage(IReadOnlyList<int[]> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var seen = new bool[_itemUsers.Rows];
        int distinct = 0;
        foreach (int[] list in lists)
        {
            foreach (int item in list)
            {
                if (!seen[item])
                {
                    seen[item] = true;
                    distinct++;
                }
            }
        }
        return _activeItems == 0 ? 0 : (double)distinct / _activeItems;
    }

    /// <summary>
    /// Gini coefficient of exposure over the catalogue (every item with a training interaction, recommended or not):
    /// with counts x sorted ascending, G = Σ_i (2i − n − 1)·x_i / (n·Σ x). 0 is equal exposure, near 1 all on one item.
    /// </summary>
    /// <param name="lists">Each user's top-k list.</param>
    public double GiniExposure(IReadOnlyList<int[]> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var counts = new double[_itemUsers.Rows];
        foreach (int[] list in lists)
        {
            foreach (int item in list)
            {
                counts[item]++;
            }
        }
        var exposure = new List<double>(_activeItems);
        for (int i = 0; i < counts.Length; i++)
        {
            if (_itemUsers.RowLength(i) > 0 || counts[i] > 0)
            {
                exposure.Add(counts[i]);
            }
        }
        return Gini(exposure.ToArray());
    }

    /// <summary>Gini coefficient of non-negative values: Σ_i (2i − n − 1)·x_(i) / (n·Σ x), x sorted ascending, i from 1.</summary>
    public static double Gini(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int n = values.Length;
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        double total = 0, weighted = 0;
        for (int i = 0; i < n; i++)
        {
            total += sorted[i];
            weighted += ((2.0 * (i + 1)) - n - 1) * sorted[i];
        }
        return total > 0 ? weighted / (n * total) : 0;
    }

    /// <summary>Novelty: the mean over recommended items of −log2(|U_i| / |U|), |U_i| the item's training users, |U| the users with training data; items never seen in training are skipped.</summary>
    /// <param name="lists">Each user's top-k list.</param>
    public double Novelty(IReadOnlyList<int[]> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        double sum = 0;
        long count = 0;
        foreach (int[] list in lists)
        {
            foreach (int item in list)
            {
                int users = _itemUsers.RowLength(item);
                if (users > 0)
                {
                    sum -= Math.Log2((double)users / _activeUsers);
                    count++;
                }
            }
        }
        return count > 0 ? sum / count : 0;
    }

    /// <summary>Intra-list diversity of one list: the mean over unordered pairs of 1 − similarity; 0 for fewer than two items.</summary>
    /// <param name="list">One top-k list.</param>
    public double IntraListDiversity(ReadOnlySpan<int> list)
    {
        if (list.Length < 2)
        {
            return 0;
        }
        double sum = 0;
        for (int a = 0; a < list.Length; a++)
        {
            for (int b = a + 1; b < list.Length; b++)
            {
                sum += 1 - Similarity(list[a], list[b]);
            }
        }
        return sum / (list.Length * (list.Length - 1) / 2.0);
    }

    /// <summary>
    /// Serendipity of one list: the mean over recommended items i of rel(u, i)·(1 − mean_{j ∈ train(u)} sim(i, j)),
    /// rel = 1 when i is among the user's test items; a relevant item counts as much as it is unlike the user's history.
    /// </summary>
    /// <param name="user">The user (a row of the training matrix).</param>
    /// <param name="list">The user's top-k list.</param>
    /// <param name="relevant">The user's test items sorted ascending.</param>
    public double Serendipity(int user, ReadOnlySpan<int> list, ReadOnlySpan<int> relevant)
    {
        if (list.IsEmpty)
        {
            return 0;
        }
        ReadOnlySpan<int> history = user < _train.Rows ? _train.RowIndices(user) : default;
        double sum = 0;
        foreach (int item in list)
        {
            if (relevant.BinarySearch(item) < 0)
            {
                continue;
            }
            double similarity = 0;
            foreach (int j in history)
            {
                similarity += Similarity(item, j);
            }
            sum += 1 - (history.IsEmpty ? 0 : similarity / history.Length);
        }
        return sum / list.Length;
    }
}
