namespace Cascade.Ranking.Trees;

/// <summary>The best split of a leaf: which feature, which bins go left and the left child's sums.</summary>
internal struct SplitInfo
{
    public int Feature;
    public double Gain;

    /// <summary>Numeric: bins 1..Threshold go left.</summary>
    public int Threshold;

    /// <summary>Numeric: the missing bin goes left.</summary>
    public bool DefaultLeft;

    public bool Categorical;

    /// <summary>Categorical: bit b set when bin b goes left (bin 0, missing or rare, always goes right).</summary>
    public ulong[]? LeftBins;

    public double LeftG, LeftH, LeftN; // LeftN is estimated from the hessian

    public static SplitInfo None => new() { Feature = -1, Gain = double.NegativeInfinity };

    public readonly bool IsValid => Feature >= 0;

    /// <summary>Whether bin <paramref name="bin"/> of the split feature goes left.</summary>
    public readonly bool GoesLeft(int bin) => Categorical ? ((LeftBins![bin >> 6] >> bin) & 1) != 0 : bin == 0 ? DefaultLeft : bin <= Threshold;
}

/// <summary>Finds the best split of a leaf from its histogram.</summary>
internal sealed class SplitFinder(GbdtOptions options, FeatureBins bins)
{
    private readonly double _l2 = options.L2;
    private readonly double _minHessian = options.MinChildWeight;
    private readonly int _minData = options.MinDataInLeaf;
    private double _countPerHessian;

    /// <summary>The best split over <paramref name="features"/> of a leaf with sums g, h and exactly n rows.</summary>
    /// <remarks>Row counts of bins are estimated as hessian × n / h (LightGBM's estimate); the children's exact counts come from the partition.</remarks>
    public SplitInfo Find(double[] hist, int[] features, double g, double h, double n)
    {
        var best = SplitInfo.None;
        double parent = Score(g, h, _l2);
        _countPerHessian = h > 0 ? n / h : 0;
        foreach (int f in features)
        {
            var bins1 = hist.AsSpan(bins.BinOffset[f] * Histogram.BinWidth, bins.BinCount[f] * Histogram.BinWidth);
            if (bins.IsCategorical(f))
            {
                FindCategorical(bins1, f, g, h, n, parent, ref best);
            }
            else
            {
                FindNumeric(bins1, f, g, h, n, parent, ref best);
            }
        }
        return best;
    }

    private static double Score(double g, double h, double l2) => g * g / (h + l2);

    private bool Allowed(double hl, double nl, double hr, double nr) =>
        nl >= _minData && nr >= _minData && hl >= _minHessian && hr >= _minHessian;

    private void FindNumeric(ReadOnlySpan<double> e, int f, double g, double h, double n, double parent, ref SplitInfo best)
    {
        int binCount = bins.BinCount[f];
        double gm = e[0], hm = e[1];
        double gl = 0, hl = 0, nl = 0;
        for (int t = 1; t < binCount; t++)
        {
            int at = t * Histogram.BinWidth;
            if (e[at + 1] == 0)
            {
                continue; // no rows (every row has a positive hessian): the same partition as the previous threshold
            }
            gl += e[at];
            hl += e[at + 1];
            nl = hl * _countPerHessian;
            // Missing to the right.
            double gr = g - gl, hr = h - hl, nr = n - nl;
            if (Allowed(hl, nl, hr, nr))
            {
                double gain = Score(gl, hl, _l2) + Score(gr, hr, _l2) - parent;
                if (gain > best.Gain)
                {
                    best = new SplitInfo
                    {
                        Feature = f,
                        Gain = gain,
                        Threshold = t,
                        DefaultLeft = hm == 0 && nl >= nr, // no missing rows in training: send missing to the bigger side
                        LeftG = gl,
                        LeftH = hl,
                        LeftN = nl,
                    };
                }
            }
            if (hm > 0)
            {
                // Missing to the left.
                double gl2 = gl + gm, hl2 = hl + hm, nl2 = hl2 * _countPerHessian;
                gr = g - gl2;
                hr = h - hl2;
                nr = n - nl2;
                if (Allowed(hl2, nl2, hr, nr))
                {
                    double gain = Score(gl2, hl2, _l2) + Score(gr, hr, _l2) - parent;
                    if (gain > best.Gain)
                    {
                        best = new SplitInfo { Feature = f, Gain = gain, Threshold = t, DefaultLeft = true, LeftG = gl2, LeftH = hl2, LeftN = nl2 };
                    }
                }
            }
        }
    }

    private void FindCategorical(ReadOnlySpan<double> e, int f, double g, double h, double n, double parent, ref SplitInfo best)
    {
        int binCount = bins.BinCount[f];
        int present = 0;
        for (int c = 1; c < binCount; c++)
        {
            if (e[(c * Histogram.BinWidth) + 1] > 0)
            {
                present++;
            }
        }
        if (present == 0)
        {
            return;
        }
        if (present <= options.MaxCategoriesOneHot)
        {
            // One category against the rest.
            for (int c = 1; c < binCount; c++)
            {
                int at = c * Histogram.BinWidth;
                double gl = e[at], hl = e[at + 1], nl = hl * _countPerHessian;
                if (hl == 0)
                {
                    continue;
                }
                double gr = g - gl, hr = h - hl, nr = n - nl;
                if (!Allowed(hl, nl, hr, nr))
                {
                    continue;
                }
                double gain = Score(gl, hl, _l2) + Score(gr, hr, _l2) - parent;
                if (gain > best.Gain)
                {
                    var set = new ulong[(binCount + 63) / 64];
                    set[c >> 6] |= 1UL << c;
                    best = new SplitInfo { Feature = f, Gain = gain, Categorical = true, LeftBins = set, LeftG = gl, LeftH = hl, LeftN = nl };
                }
            }
            return;
        }
        // Categories with enough rows, sorted by gradient / (hessian + smoothing); a prefix from either end goes left.
        var order = new int[binCount];
        var ratio = new double[binCount];
        int used = 0;
        for (int c = 1; c < binCount; c++)
        {
            int at = c * Histogram.BinWidth;
            if (e[at + 1] * _countPerHessian >= options.MinDataPerCategory)
            {
                order[used] = c;
                ratio[used] = e[at] / (e[at + 1] + options.CategorySmooth);
                used++;
            }
        }
        if (used < 2)
        {
            return;
        }
        ratio.AsSpan(0, used).Sort(order.AsSpan(0, used));
        double l2 = _l2 + options.CategoryL2;
        int maxLeft = Math.Min(options.MaxCategoryThreshold, (used + 1) / 2);
        int bestDirection = 0, bestCount = 0;
        double bestGain = best.Gain, bestG = 0, bestH = 0, bestN = 0;
        for (int direction = 0; direction < 2; direction++)
        {
            double gl = 0, hl = 0, nl = 0;
            for (int i = 0; i < maxLeft; i++)
            {
                int c = order[direction == 0 ? i : used - 1 - i];
                int at = c * Histogram.BinWidth;
                gl += e[at];
                hl += e[at + 1];
                nl = hl * _countPerHessian;
                double gr = g - gl, hr = h - hl, nr = n - nl;
                if (!Allowed(hl, nl, hr, nr))
                {
                    continue;
                }
                double gain = Score(gl, hl, l2) + Score(gr, hr, l2) - parent;
                if (gain > bestGain)
                {
                    bestGain = gain;
                    bestDirection = direction;
                    bestCount = i + 1;
                    bestG = gl;
                    bestH = hl;
                    bestN = nl;
                }
            }
        }
        if (bestCount == 0)
        {
            return;
        }
        var left = new ulong[(binCount + 63) / 64];
        for (int i = 0; i < bestCount; i++)
        {
            int c = order[bestDirection == 0 ? i : used - 1 - i];
            left[c >> 6] |= 1UL << c;
        }
        best = new SplitInfo { Feature = f, Gain = bestGain, Categorical = true, LeftBins = left, LeftG = bestG, LeftH = bestH, LeftN = bestN };
    }
}
