using System.Runtime.Intrinsics.X86;

namespace Cascade.Ranking.Trees;

/// <summary>
/// Grows one tree leaf-wise on binned rows: the leaf whose best split gains most is split next, until
/// <see cref="GbdtOptions.MaxLeaves"/> leaves or no split gains. Each leaf owns a contiguous range of the row-index
/// array, partitioned in place (stably) on a split; the smaller child's histogram is built and the sibling's is the
/// parent's minus it.
/// </summary>
internal sealed class TreeLearner : IDisposable
{
    private const int PartitionBlockRows = 1 << 16;

    private readonly GbdtOptions _options;
    private readonly FeatureBins _bins;
    private readonly byte[]? _binned8;
    private readonly ushort[]? _binned16;
    private readonly int _featureCount;
    private readonly WorkerTeam _team;
    private readonly SplitFinder _finder;
    private readonly int[] _rows;
    private readonly int[] _scratch;
    private readonly Stack<double[]> _freeHistograms = new();
    private readonly List<Leaf> _leaves = [];
    private readonly List<GrowNode> _nodes = [];

    /// <summary>A learner over rows binned by <paramref name="bins"/>: <paramref name="binned"/> is byte[] or ushort[] (when bins.Wide).</summary>
    public TreeLearner(GbdtOptions options, FeatureBins bins, Array binned, int rows, int threads)
    {
        _options = options;
        _bins = bins;
        _binned8 = binned as byte[];
        _binned16 = binned as ushort[];
        _featureCount = bins.FeatureCount;
        _finder = new SplitFinder(options, bins);
        _rows = new int[rows];
        _scratch = new int[rows];
        _team = new WorkerTeam(threads);
    }

    public void Dispose() => _team.Dispose();

    /// <summary>The grown nodes (index 0 = root) of the last <see cref="Grow"/>.</summary>
    public ReadOnlySpan<GrowNode> Nodes => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_nodes);

    /// <summary>The row-index array: leaf ranges of the last tree index into it.</summary>
    public int[] Rows => _rows;

    /// <summary>The leaves of the last tree: node index and row range in <see cref="Rows"/>.</summary>
    public IEnumerable<(int Node, int Begin, int End)> LeafRanges
    {
        get
        {
            foreach (var leaf in _leaves)
            {
                yield return (leaf.Node, leaf.Begin, leaf.End);
            }
        }
    }

    /// <summary>Grows a tree on the rows <paramref name="sample"/> (ascending; null = all) using <paramref name="features"/> (ascending).</summary>
    public void Grow(double[] gradientPairs, int[]? sample, int sampleCount, int[] features)
    {
        foreach (var leaf in _leaves)
        {
            if (leaf.Histogram is not null)
            {
                _freeHistograms.Push(leaf.Histogram);
            }
        }
        _leaves.Clear();
        _nodes.Clear();
        int count;
        if (sample is null)
        {
            count = _rows.Length;
            for (int i = 0; i < count; i++)
            {
                _rows[i] = i;
            }
        }
        else
        {
            count = sampleCount;
            sample.AsSpan(0, count).CopyTo(_rows);
        }
        // Sums over fixed blocks added in block order: the same result for any thread count.
        const int SumBlock = 1 << 16;
        var blockSums = new (double G, double H)[(count + SumBlock - 1) / SumBlock];
        var rowIndex = _rows;
        _team.For(blockSums.Length, block =>
        {
            double bg = 0, bh = 0;
            int end = Math.Min(count, (block + 1) * SumBlock);
            for (int i = block * SumBlock; i < end; i++)
            {
                int r = rowIndex[i];
                bg += gradientPairs[2 * r];
                bh += gradientPairs[(2 * r) + 1];
            }
            blockSums[block] = (bg, bh);
        });
        double g = 0, h = 0;
        foreach (var (bg, bh) in blockSums)
        {
            g += bg;
            h += bh;
        }
        _nodes.Add(new GrowNode { Left = -1, Right = -1, Value = LeafValue(g, h) });
        var root = new Leaf { Node = 0, Begin = 0, End = count, G = g, H = h, Depth = 0 };
        if (CanSplit(root))
        {
            root.Histogram = Rent();
            BuildHistogram(root.Histogram, 0, count, gradientPairs, features);
            root.Best = _finder.Find(root.Histogram, features, g, h, count);
        }
        else
        {
            root.Best = SplitInfo.None;
        }
        _leaves.Add(root);
        double minGain = Math.Max(_options.MinSplitGain, 1e-12);
        while (_leaves.Count < _options.MaxLeaves)
        {
            int pick = -1;
            double bestGain = minGain;
            for (int i = 0; i < _leaves.Count; i++)
            {
                if (_leaves[i].Best.IsValid && _leaves[i].Best.Gain > bestGain)
                {
                    bestGain = _leaves[i].Best.Gain;
                    pick = i;
                }
            }
            if (pick < 0)
            {
                break;
            }
            SplitLeaf(pick, gradientPairs, features);
        }
        foreach (var leaf in _leaves)
        {
            var node = _nodes[leaf.Node];
            node.Value = LeafValue(leaf.G, leaf.H);
            _nodes[leaf.Node] = node;
        }
    }

    private void SplitLeaf(int index, double[] gradientPairs, int[] features)
    {
        var parent = _leaves[index];
        var split = parent.Best;
        int leftCount = Partition(parent.Begin, parent.End, split);
        int leftNode = _nodes.Count;
        _nodes.Add(new GrowNode { Left = -1, Right = -1 });
        _nodes.Add(new GrowNode { Left = -1, Right = -1 });
        var parentNode = _nodes[parent.Node];
        parentNode.Left = leftNode;
        parentNode.Right = leftNode + 1;
        parentNode.Split = split;
        _nodes[parent.Node] = parentNode;

        var left = new Leaf
        {
            Node = leftNode,
            Begin = parent.Begin,
            End = parent.Begin + leftCount,
            G = split.LeftG,
            H = split.LeftH,
            Depth = parent.Depth + 1,
            Best = SplitInfo.None,
        };
        var right = new Leaf
        {
            Node = leftNode + 1,
            Begin = parent.Begin + leftCount,
            End = parent.End,
            G = parent.G - split.LeftG,
            H = parent.H - split.LeftH,
            Depth = parent.Depth + 1,
            Best = SplitInfo.None,
        };
        bool leftSplits = CanSplit(left), rightSplits = CanSplit(right);
        var histogram = parent.Histogram!;
        if (leftSplits || rightSplits)
        {
            bool leftSmaller = left.Count <= right.Count;
            ref var small = ref leftSmaller ? ref left : ref right;
            ref var large = ref leftSmaller ? ref right : ref left;
            bool largeSplits = leftSmaller ? rightSplits : leftSplits;
            small.Histogram = Rent();
            BuildHistogram(small.Histogram, small.Begin, small.Count, gradientPairs, features);
            if (largeSplits)
            {
                Histogram.Subtract(histogram, small.Histogram, _bins.BinOffset, features);
                large.Histogram = histogram;
            }
            else
            {
                _freeHistograms.Push(histogram);
            }
            if (!(leftSmaller ? leftSplits : rightSplits))
            {
                _freeHistograms.Push(small.Histogram);
                small.Histogram = null;
            }
        }
        else
        {
            _freeHistograms.Push(histogram);
        }
        if (left.Histogram is not null)
        {
            left.Best = _finder.Find(left.Histogram, features, left.G, left.H, left.Count);
        }
        if (right.Histogram is not null)
        {
            right.Best = _finder.Find(right.Histogram, features, right.G, right.H, right.Count);
        }
        // A leaf with no valid split gives its histogram back now.
        if (!left.Best.IsValid && left.Histogram is not null)
        {
            _freeHistograms.Push(left.Histogram);
            left.Histogram = null;
        }
        if (!right.Best.IsValid && right.Histogram is not null)
        {
            _freeHistograms.Push(right.Histogram);
            right.Histogram = null;
        }
        _leaves[index] = left;
        _leaves.Add(right);
    }

    /// <summary>
    /// Stable partition of the leaf's rows; returns the number that go left. The range is cut into fixed blocks
    /// (partitioned in parallel when there are several) and then gathered, so the order does not depend on the thread count.
    /// </summary>
    private int Partition(int begin, int end, in SplitInfo split)
    {
        var goesLeft = new bool[_bins.BinCount[split.Feature]];
        for (int b = 0; b < goesLeft.Length; b++)
        {
            goesLeft[b] = split.GoesLeft(b);
        }
        int feature = split.Feature;
        int count = end - begin;
        int blocks = (count + PartitionBlockRows - 1) / PartitionBlockRows;
        var lefts = new int[blocks];
        if (blocks == 1)
        {
            lefts[0] = PartitionBlock(begin, end, feature, goesLeft);

        }
        else
        {
            _team.For(blocks, block =>
            {
                int from = begin + (block * PartitionBlockRows);
                lefts[block] = PartitionBlock(from, Math.Min(end, from + PartitionBlockRows), feature, goesLeft);
            });
        }
        int totalLeft = 0;
        foreach (int l in lefts)
        {
            totalLeft += l;
        }
        if (blocks == 1)
        {
            Gather(begin, end, lefts[0], begin, begin + totalLeft);
        }
        else
        {
            var leftStart = new int[blocks];
            var rightStart = new int[blocks];
            for (int block = 0, l = begin, r = begin + totalLeft; block < blocks; block++)
            {
                int from = begin + (block * PartitionBlockRows);
                leftStart[block] = l;
                rightStart[block] = r;
                l += lefts[block];
                r += Math.Min(end, from + PartitionBlockRows) - from - lefts[block];
            }
            _team.For(blocks, block =>
            {
                int from = begin + (block * PartitionBlockRows);
                Gather(from, Math.Min(end, from + PartitionBlockRows), lefts[block], leftStart[block], rightStart[block]);
            });
        }
        return totalLeft;
    }

    /// <summary>
    /// Partitions _rows[from, to) into _scratch[from, to): lefts from the front in order, rights from the back in
    /// reverse order. Both slots are written every row (no branch); a right slot written for a left row is overwritten later.
    /// </summary>
    private int PartitionBlock(int from, int to, int feature, bool[] goesLeft) =>
        _binned8 is not null ? PartitionBlock(_binned8, from, to, feature, goesLeft) : PartitionBlock(_binned16!, from, to, feature, goesLeft);

    private void BuildHistogram(double[] hist, int begin, int count, double[] gradientPairs, int[] features)
    {
        if (_binned8 is not null)
        {
            Histogram.Build(hist, _binned8, _bins.BinOffset, _rows, begin, count, gradientPairs, features, _team);
        }
        else
        {
            Histogram.Build(hist, _binned16!, _bins.BinOffset, _rows, begin, count, gradientPairs, features, _team);
        }
    }

    private unsafe int PartitionBlock<T>(T[] bins, int from, int to, int feature, bool[] goesLeft)
        where T : unmanaged
    {
        int width = _featureCount;
        int left = from, back = to - 1;
        fixed (int* rows = _rows)
        fixed (int* scratch = _scratch)
        fixed (T* binned = bins)
        fixed (bool* table = goesLeft)
        {
            for (int i = from; i < to; i++)
            {
                int r = rows[i];
                if (Sse.IsSupported && i + 16 < to)
                {
                    Sse.Prefetch0(binned + ((long)rows[i + 16] * width) + feature);
                }
                int l = table[Histogram.Load(binned + ((long)r * width) + feature)] ? 1 : 0;
                scratch[left] = r;
                scratch[back] = r;
                left += l;
                back -= 1 - l;
            }
        }
        return left - from;
    }

    /// <summary>Copies a partitioned block from _scratch back to _rows: lefts to leftAt, rights (restoring their order) to rightAt.</summary>
    private void Gather(int from, int to, int lefts, int leftAt, int rightAt)
    {
        _scratch.AsSpan(from, lefts).CopyTo(_rows.AsSpan(leftAt));
        int rights = to - from - lefts;
        for (int k = 0; k < rights; k++)
        {
            _rows[rightAt + k] = _scratch[to - 1 - k];
        }
    }

    private bool CanSplit(in Leaf leaf) =>
        leaf.Count >= 2 * _options.MinDataInLeaf && (_options.MaxDepth == 0 || leaf.Depth < _options.MaxDepth);

    private double LeafValue(double g, double h) => -g / (h + _options.L2) * _options.LearningRate;

    private double[] Rent() =>
        _freeHistograms.Count > 0 ? _freeHistograms.Pop() : new double[_bins.BinOffset[^1] * Histogram.BinWidth];

    private struct Leaf
    {
        public int Node, Begin, End, Depth;
        public double G, H;
        public double[]? Histogram;
        public SplitInfo Best;

        public readonly int Count => End - Begin;
    }
}
