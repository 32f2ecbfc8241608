using System.Numerics;
using System.Runtime.Intrinsics;

namespace Cascade.Ranking.Trees;

/// <summary>
/// Maps every feature to bins, computed once from the training rows: at most 256 per numeric feature and
/// 1 + <see cref="GbdtOptions.MaxCategories"/> per categorical field; rows are stored as bytes when every feature has
/// at most 256 bins, else as 16-bit bins. Features are numbered categorical
/// fields first, then numeric features. Bin 0 is "missing": NaN for a numeric feature; code 0 and every category
/// outside the <see cref="GbdtOptions.MaxCategories"/> most frequent for a categorical field. Numeric bins 1..k hold
/// the values x with <c>upper[b − 2] &lt; x ≤ upper[b − 1]</c> (quantile edges, the last one +∞), so a split "bin ≤ t"
/// is the raw test <c>x ≤ upper[t − 1]</c> and inference needs no binning.
/// </summary>
internal sealed class FeatureBins
{
    private readonly float[][] _padded;

    private FeatureBins(int categoricalCount, int numericCount, float[][] upper, int[][] codeToBin, int[] binCount)
    {
        BinOffset = new int[binCount.Length + 1];
        for (int f = 0; f < binCount.Length; f++)
        {
            BinOffset[f + 1] = BinOffset[f] + binCount[f];
        }
        CategoricalCount = categoricalCount;
        NumericCount = numericCount;
        Upper = upper;
        // Edges padded with +∞ to a multiple of 16 for the vector count in NumericBin.
        _padded = new float[numericCount][];
        for (int j = 0; j < numericCount; j++)
        {
            _padded[j] = new float[(upper[j].Length + 15) & ~15];
            Array.Fill(_padded[j], float.PositiveInfinity);
            upper[j].CopyTo(_padded[j], 0);
        }
        CodeToBin = codeToBin;
        BinCount = binCount;
    }

    /// <summary>Number of categorical fields (features 0 .. CategoricalCount − 1).</summary>
    public int CategoricalCount { get; }

    /// <summary>Number of numeric features (features CategoricalCount ..).</summary>
    public int NumericCount { get; }

    /// <summary>All features.</summary>
    public int FeatureCount => CategoricalCount + NumericCount;

    /// <summary>Upper edges of numeric feature j's bins 1.. (index by numeric feature).</summary>
    public float[][] Upper { get; }

    /// <summary>Bin of each code of categorical field f.</summary>
    public int[][] CodeToBin { get; }

    /// <summary>Bins per feature including bin 0.</summary>
    public int[] BinCount { get; }

    /// <summary>Start of each feature's bins in a histogram (length FeatureCount + 1; the last is the total).</summary>
    public int[] BinOffset { get; }

    /// <summary>True when some feature has more than 256 bins (rows are then binned as 16-bit values).</summary>
    public bool Wide => BinCount.Length > 0 && BinCount.Max() > 256;

    public bool IsCategorical(int feature) => feature < CategoricalCount;

    public static FeatureBins Build(RankingDataset train, GbdtOptions options, ParallelOptions parallel)
    {
        var schema = train.Schema;
        int fields = schema.FieldCount;
        int numeric = schema.NumericCount;
        var upper = new float[numeric][];
        var codeToBin = new int[fields][];
        var binCount = new int[fields + numeric];
        // An evenly spaced, deterministic sample of the rows, gathered once into one column per numeric feature.
        int rows = train.Rows;
        int sample = Math.Min(rows, options.BinSampleRows);
        var columns = new float[numeric][];
        for (int j = 0; j < numeric; j++)
        {
            columns[j] = new float[sample];
        }
        for (int i = 0; i < sample; i++)
        {
            var values = train.NumericRow((int)((long)i * rows / sample));
            for (int j = 0; j < numeric; j++)
            {
                columns[j][i] = values[j];
            }
        }
        Parallel.For(0, fields + numeric, parallel, feature =>
        {
            if (feature < fields)
            {
                codeToBin[feature] = CategoryBins(train, feature, options.MaxCategories, out binCount[feature]);
            }
            else
            {
                upper[feature - fields] = QuantileEdges(columns[feature - fields], options.MaxBins);
                binCount[feature] = upper[feature - fields].Length + 1;
            }
        });
        return new FeatureBins(fields, numeric, upper, codeToBin, binCount);
    }

    /// <summary>Bins every row: Rows × FeatureCount bins, row-major (T is byte, or ushort when <see cref="Wide"/>).</summary>
    public T[] Bin<T>(RankingDataset data, ParallelOptions parallel)
        where T : unmanaged, IBinaryInteger<T>
    {
        int rows = data.Rows;
        int features = FeatureCount;
        var result = new T[(long)rows * features];
        const int Block = 8192;
        int blocks = (rows + Block - 1) / Block;
        Parallel.For(0, blocks, parallel, block =>
        {
            int start = block * Block;
            int end = Math.Min(rows, start + Block);
            for (int r = start; r < end; r++)
            {
                var codes = data.CategoricalRow(r);
                var values = data.NumericRow(r);
                var target = result.AsSpan(r * features, features);
                for (int f = 0; f < CategoricalCount; f++)
                {
                    target[f] = T.CreateTruncating(CodeToBin[f][codes[f]]);
                }
                for (int j = 0; j < NumericCount; j++)
                {
                    target[CategoricalCount + j] = T.CreateTruncating(Vector512.IsHardwareAccelerated ? NumericBinVector(_padded[j], values[j]) : NumericBin(Upper[j], values[j]));
                }
            }
        });
        return result;
    }

    /// <summary>The bin of value x for edges <paramref name="upper"/>: 0 for NaN, else 1 + the first edge ≥ x.</summary>
    public static byte NumericBin(float[] upper, float x)
    {
        if (float.IsNaN(x))
        {
            return 0;
        }
        // Branch-free lower bound: upper[^1] is +∞, so the answer exists.
        int lo = 0, n = upper.Length;
        while (n > 1)
        {
            int half = n >> 1;
            lo += half & -(x > upper[lo + half - 1] ? 1 : 0);
            n -= half;
        }
        return (byte)(lo + 1);
    }

    /// <summary>The same bin as <see cref="NumericBin"/>: 1 + the number of edges below x, counted 16 edges at a time.</summary>
    private static unsafe byte NumericBinVector(float[] padded, float x)
    {
        if (float.IsNaN(x))
        {
            return 0;
        }
        var vx = Vector512.Create(x);
        int below = 0;
        fixed (float* p = padded)
        {
            for (int k = 0; k < padded.Length; k += 16)
            {
                below += BitOperations.PopCount(Vector512.ExtractMostSignificantBits(Vector512.LessThan(Vector512.Load(p + k), vx)));
            }
        }
        return (byte)(below + 1);
    }

    private static int[] CategoryBins(RankingDataset train, int field, int maxCategories, out int bins)
    {
        int cardinality = train.Schema.Categorical[field].Cardinality;
        int fields = train.Schema.FieldCount;
        var counts = new long[cardinality];
        var codes = train.Categorical;
        for (long i = field; i < codes.Length; i += fields)
        {
            counts[codes[i]]++;
        }
        var order = new List<int>();
        for (int c = 1; c < cardinality; c++)
        {
            if (counts[c] > 0)
            {
                order.Add(c);
            }
        }
        // Most frequent first; ties by code so the binning does not depend on anything but the data.
        order.Sort((a, b) => counts[a] != counts[b] ? counts[b].CompareTo(counts[a]) : a.CompareTo(b));
        int kept = Math.Min(order.Count, maxCategories);
        var map = new int[cardinality];
        for (int k = 0; k < kept; k++)
        {
            map[order[k]] = k + 1;
        }
        bins = kept + 1;
        return map;
    }

    private static float[] QuantileEdges(float[] values, int maxBins)
    {
        int count = 0;
        foreach (float x in values)
        {
            if (!float.IsNaN(x))
            {
                values[count++] = x;
            }
        }
        var sorted = values.AsSpan(0, count);
        RadixSort(sorted);
        var edges = new List<float>(maxBins);
        if (count > 0)
        {
            for (int k = 1; k < maxBins; k++)
            {
                float v = sorted[(int)((long)k * count / maxBins)];
                int next = UpperBound(sorted, v);
                if (next >= count)
                {
                    break;
                }
                float edge = Midpoint(v, sorted[next]);
                if (edges.Count == 0 || edge > edges[^1])
                {
                    edges.Add(edge);
                }
            }
        }
        edges.Add(float.PositiveInfinity);
        return [.. edges];
    }

    /// <summary>Sorts floats (no NaN) ascending: LSD radix sort on order-preserving 32-bit keys, 3 passes of 11 bits.</summary>
    private static void RadixSort(Span<float> values)
    {
        int n = values.Length;
        var keys = new uint[n];
        var other = new uint[n];
        for (int i = 0; i < n; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(values[i]);
            keys[i] = (bits & 0x8000_0000) != 0 ? ~bits : bits | 0x8000_0000;
        }
        var counts = new int[2048];
        for (int shift = 0; shift < 32; shift += 11)
        {
            Array.Clear(counts);
            foreach (uint k in keys)
            {
                counts[(int)((k >> shift) & 2047)]++;
            }
            for (int b = 0, sum = 0; b < 2048; b++)
            {
                (counts[b], sum) = (sum, sum + counts[b]);
            }
            foreach (uint k in keys)
            {
                other[counts[(int)((k >> shift) & 2047)]++] = k;
            }
            (keys, other) = (other, keys);
        }
        for (int i = 0; i < n; i++)
        {
            uint k = keys[i];
            values[i] = BitConverter.UInt32BitsToSingle((k & 0x8000_0000) != 0 ? k & 0x7FFF_FFFF : ~k);
        }
    }

    private static int UpperBound(ReadOnlySpan<float> sorted, float v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (sorted[mid] <= v)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>An edge e with a ≤ e &lt; b, halfway when float precision allows.</summary>
    private static float Midpoint(float a, float b)
    {
        float mid = (float)((a + (double)b) / 2);
        return mid >= b || mid < a ? a : mid;
    }
}
