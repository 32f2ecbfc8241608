using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cascade.Ranking.Trees;

/// <summary>One node of a flattened tree: 16 bytes, children adjacent so the step picks one by index.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlatNode
{
    /// <summary>Numeric feature index or categorical field index; bit 31 set when a missing value goes right.</summary>
    public int Feature;

    /// <summary>Numeric: x ≤ Threshold goes left.</summary>
    public float Threshold;

    /// <summary>Left child (a leaf points to itself).</summary>
    public int Left;

    /// <summary>Right child (a leaf points to itself).</summary>
    public int Right;

    public const int MissingRightBit = unchecked((int)0x8000_0000);

    public readonly int FeatureIndex => Feature & 0x7FFF_FFFF;

    public readonly bool MissingRight => (Feature & MissingRightBit) != 0;
}

/// <summary>A node of a tree laid out complete: 8 bytes, children found by index arithmetic.</summary>
internal struct CompleteNode
{
    /// <summary>Numeric feature index; bit 31 set when a missing value goes right.</summary>
    public int Feature;

    /// <summary>x ≤ Threshold goes left.</summary>
    public float Threshold;
}

/// <summary>A node built by the learner, in bin space.</summary>
internal struct GrowNode
{
    public int Left, Right; // −1 for a leaf
    public SplitInfo Split;
    public double Value;
}

/// <summary>
/// The trees of a model flattened into arrays: nodes of tree t are contiguous from <see cref="Roots"/>[t], every child
/// has a larger index than its parent, leaves point to themselves. Prediction walks each tree exactly
/// <see cref="Depths"/>[t] steps, so a block of rows is scored without a data-dependent branch (numeric features).
/// </summary>
internal sealed class Forest
{
    public const byte FlagCategorical = 1;
    public const byte FlagLeaf = 2;

    private const int Block = 64;

    /// <summary>Trees up to this depth are also kept as complete binary trees (children at 2i + 1 and 2i + 2).</summary>
    private const int MaxCompleteDepth = 8;

    private CompleteNode[] _complete = new CompleteNode[1024];
    private float[] _completeLeaves = new float[1024];
    private int[] _completeOffset = new int[16];
    private int[] _completeLeafOffset = new int[16];
    private int _completeCount, _completeLeafCount;
    private int _deepTrees;

    public Forest(FeatureSchema schema, double baseScore, int baseFeature = -1, double baseScale = 0)
    {
        Schema = schema;
        BaseScore = baseScore;
        BaseFeature = baseFeature;
        BaseScale = baseScale;
    }

    /// <summary>The numeric feature whose value (× <see cref="BaseScale"/>, missing = 0) starts every row's score, or −1.</summary>
    public int BaseFeature { get; }

    /// <summary>The factor of <see cref="BaseFeature"/>.</summary>
    public double BaseScale { get; }

    /// <summary>Fills <paramref name="scores"/> with the starting scores of rows [start, start + count): the base score plus the base margin.</summary>
    public void FillBase(RankingDataset data, int start, Span<double> scores)
    {
        scores.Fill(BaseScore);
        if (BaseFeature < 0)
        {
            return;
        }
        int width = data.Schema.NumericCount;
        var numeric = data.Numeric;
        for (int i = 0; i < scores.Length; i++)
        {
            float v = numeric[(start + i) * width + BaseFeature];
            if (float.IsFinite(v))
            {
                scores[i] += BaseScale * v;
            }
        }
    }

    public FeatureSchema Schema { get; }

    public double BaseScore { get; }

    public FlatNode[] Nodes { get; private set; } = new FlatNode[256];
    public byte[] Flags { get; private set; } = new byte[256];
    public float[] Values { get; private set; } = new float[256];
    public double[] Gains { get; private set; } = new double[256];
    public int[] CatOffset { get; private set; } = new int[256];
    public int[] CatWords { get; private set; } = new int[256];
    public ulong[] CatBits { get; private set; } = new ulong[64];
    public int[] Roots { get; private set; } = new int[16];
    public int[] Depths { get; private set; } = new int[16];

    public int NodeCount { get; private set; }
    public int TreeCount { get; private set; }
    public int CatBitCount { get; private set; }

    /// <summary>True when some split is categorical (prediction then takes the general path).</summary>
    public bool HasCategorical { get; private set; }

    /// <summary>Appends a tree grown in bin space, converting thresholds to raw values; returns the flat index of every grown node.</summary>
    public int[] AddTree(ReadOnlySpan<GrowNode> grown, FeatureBins bins)
    {
        EnsureTrees(TreeCount + 1);
        EnsureNodes(NodeCount + grown.Length);
        int root = NodeCount;
        int depth = 0;
        // Pre-order: a node's children come after it.
        var stack = new int[grown.Length + 1];
        var depthOf = new int[grown.Length + 1];
        var flatOf = new int[grown.Length];
        int sp = 0;
        stack[sp] = 0;
        depthOf[sp++] = 0;
        var order = new List<(int Node, int Depth)>(grown.Length);
        while (sp > 0)
        {
            sp--;
            int g = stack[sp];
            int d = depthOf[sp];
            flatOf[g] = root + order.Count;
            order.Add((g, d));
            if (grown[g].Left >= 0)
            {
                stack[sp] = grown[g].Right;
                depthOf[sp++] = d + 1;
                stack[sp] = grown[g].Left;
                depthOf[sp++] = d + 1;
            }
            else
            {
                depth = Math.Max(depth, d);
            }
        }
        foreach (var (g, _) in order)
        {
            int at = flatOf[g];
            ref readonly var node = ref grown[g];
            if (node.Left < 0)
            {
                Nodes[at] = new FlatNode { Feature = 0, Threshold = 0, Left = at, Right = at };
                Flags[at] = FlagLeaf;
                Values[at] = (float)node.Value;
                Gains[at] = 0;
                continue;
            }
            var split = node.Split;
            Values[at] = 0;
            Gains[at] = split.Gain;
            if (split.Categorical)
            {
                var codeToBin = bins.CodeToBin[split.Feature];
                int words = (codeToBin.Length + 63) / 64;
                EnsureBits(CatBitCount + words);
                for (int code = 0; code < codeToBin.Length; code++)
                {
                    int bin = codeToBin[code];
                    if (bin != 0 && ((split.LeftBins![bin >> 6] >> bin) & 1) != 0)
                    {
                        CatBits[CatBitCount + (code >> 6)] |= 1UL << code;
                    }
                }
                CatOffset[at] = CatBitCount;
                CatWords[at] = words;
                CatBitCount += words;
                Nodes[at] = new FlatNode { Feature = split.Feature, Threshold = 0, Left = flatOf[node.Left], Right = flatOf[node.Right] };
                Flags[at] = FlagCategorical;
                HasCategorical = true;
            }
            else
            {
                int j = split.Feature - bins.CategoricalCount;
                float threshold = bins.Upper[j][split.Threshold - 1];
                Nodes[at] = new FlatNode
                {
                    Feature = j | (split.DefaultLeft ? 0 : FlatNode.MissingRightBit),
                    Threshold = threshold,
                    Left = flatOf[node.Left],
                    Right = flatOf[node.Right],
                };
                Flags[at] = 0;
            }
        }
        NodeCount += grown.Length;
        Roots[TreeCount] = root;
        Depths[TreeCount] = depth;
        TreeCount++;
        Complete(TreeCount - 1);
        return flatOf;
    }

    /// <summary>Keeps the first <paramref name="trees"/> trees.</summary>
    public void Truncate(int trees)
    {
        if (trees >= TreeCount)
        {
            return;
        }
        NodeCount = trees == 0 ? 0 : Roots[trees];
        TreeCount = trees;
        int bits = 0;
        bool categorical = false;
        for (int i = 0; i < NodeCount; i++)
        {
            if ((Flags[i] & FlagCategorical) != 0)
            {
                bits = Math.Max(bits, CatOffset[i] + CatWords[i]);
                categorical = true;
            }
        }
        CatBits.AsSpan(bits, CatBitCount - bits).Clear();
        CatBitCount = bits;
        HasCategorical = categorical;
        _deepTrees = 0;
        for (int t = 0; t < trees; t++)
        {
            _deepTrees += Depths[t] > MaxCompleteDepth ? 1 : 0;
        }
        if (trees < _completeOffset.Length && trees > 0)
        {
            _completeCount = _completeOffset[trees - 1] + ((1 << Depths[trees - 1]) - 1);
            _completeLeafCount = _completeLeafOffset[trees - 1] + (1 << Depths[trees - 1]);
        }
        else if (trees == 0)
        {
            _completeCount = 0;
            _completeLeafCount = 0;
        }
    }

    /// <summary>Adds the raw scores of trees [<paramref name="from"/>, <paramref name="to"/>) for every row to <paramref name="scores"/>.</summary>
    public void AddScores(RankingDataset data, Span<double> scores, int from, int to) => AddScores(data, 0, data.Rows, scores, from, to);

    /// <summary>Adds the raw scores of trees [from, to) for rows [rowStart, rowStart + scores.Length) to <paramref name="scores"/>.</summary>
    public void AddScores(RankingDataset data, int rowStart, int rowCount, Span<double> scores, int from, int to)
    {
        if (from >= to)
        {
            return;
        }
        if (!HasCategorical && data.Schema.NumericCount > 0)
        {
            int width = data.Schema.NumericCount;
            if (_deepTrees == 0 && Avx2.IsSupported && UseVectorKernel)
            {
                AddScoresCompleteAvx2(data.Numeric.AsSpan(rowStart * width, rowCount * width), width, rowCount, scores, from, to);
                return;
            }
            if (_deepTrees == 0)
            {
                AddScoresComplete(data.Numeric.AsSpan(rowStart * width, rowCount * width), width, rowCount, scores, from, to);
                return;
            }
            AddScoresNumeric(data.Numeric.AsSpan(rowStart * width, rowCount * width), width, rowCount, scores, from, to);
            return;
        }
        for (int i = 0; i < rowCount; i++)
        {
            var codes = data.CategoricalRow(rowStart + i);
            var values = data.NumericRow(rowStart + i);
            double sum = 0;
            for (int t = from; t < to; t++)
            {
                sum += Values[Leaf(Roots[t], codes, values)];
            }
            scores[i] += sum;
        }
    }

    /// <summary>The leaf reached by one row in the tree rooted at <paramref name="node"/>.</summary>
    public int Leaf(int node, ReadOnlySpan<int> codes, ReadOnlySpan<float> values)
    {
        while ((Flags[node] & FlagLeaf) == 0)
        {
            ref readonly var n = ref Nodes[node];
            bool left;
            if ((Flags[node] & FlagCategorical) != 0)
            {
                int code = codes[n.Feature];
                left = code < CatWords[node] * 64 && ((CatBits[CatOffset[node] + (code >> 6)] >> code) & 1) != 0;
            }
            else
            {
                float x = values[n.FeatureIndex];
                left = float.IsNaN(x) ? !n.MissingRight : x <= n.Threshold;
            }
            node = left ? n.Left : n.Right;
        }
        return node;
    }

    private unsafe void AddScoresNumeric(ReadOnlySpan<float> numeric, int width, int rows, Span<double> scores, int from, int to)
    {
        int* nodes = stackalloc int[Block];
        double* acc = stackalloc double[Block];
        fixed (float* x0 = numeric)
        fixed (FlatNode* n0 = Nodes)
        fixed (float* v0 = Values)
        fixed (int* roots = Roots)
        fixed (int* depths = Depths)
        {
            for (int start = 0; start < rows; start += Block)
            {
                int count = Math.Min(Block, rows - start);
                float* x = x0 + ((long)start * width);
                for (int k = 0; k < count; k++)
                {
                    acc[k] = 0;
                }
                for (int t = from; t < to; t++)
                {
                    int root = roots[t];
                    int depth = depths[t];
                    for (int k = 0; k < count; k++)
                    {
                        nodes[k] = root;
                    }
                    for (int d = 0; d < depth; d++)
                    {
                        float* row = x;
                        for (int k = 0; k < count; k++)
                        {
                            FlatNode* n = n0 + nodes[k];
                            int feature = n->Feature;
                            float v = row[feature & 0x7FFF_FFFF];
                            // Right when v > threshold, or when v is NaN and missing goes right (the sign bit).
                            int right = (v > n->Threshold ? 1 : 0) | ((float.IsNaN(v) ? 1 : 0) & (int)((uint)feature >> 31));
                            nodes[k] = (&n->Left)[right];
                            row += width;
                        }
                    }
                    for (int k = 0; k < count; k++)
                    {
                        acc[k] += v0[nodes[k]];
                    }
                }
                for (int k = 0; k < count; k++)
                {
                    scores[start + k] += acc[k];
                }
            }
        }
    }

    /// <summary>
    /// Lays tree t out as a complete binary tree of its depth D: internal node i has children 2i + 1 and 2i + 2, the
    /// 2^D leaves follow in order. A leaf above depth D becomes a pass-through node (threshold +∞, missing left) over
    /// copies of itself, so every row takes exactly D steps and a step needs no child load.
    /// </summary>
    private void Complete(int t)
    {
        int depth = Depths[t];
        if (depth > MaxCompleteDepth)
        {
            _deepTrees++;
            return;
        }
        if (t >= _completeOffset.Length)
        {
            _completeOffset = Grow(_completeOffset, Math.Max(t + 1, _completeOffset.Length * 2));
            _completeLeafOffset = Grow(_completeLeafOffset, _completeOffset.Length);
        }
        int internalCount = (1 << depth) - 1;
        if (_completeCount + internalCount > _complete.Length)
        {
            _complete = Grow(_complete, Math.Max(_completeCount + internalCount, _complete.Length * 2));
        }
        if (_completeLeafCount + internalCount + 1 > _completeLeaves.Length)
        {
            _completeLeaves = Grow(_completeLeaves, Math.Max(_completeLeafCount + internalCount + 1, _completeLeaves.Length * 2));
        }
        _completeOffset[t] = _completeCount;
        _completeLeafOffset[t] = _completeLeafCount;
        Fill(Roots[t], 0, 0, depth, _completeCount, _completeLeafCount);
        _completeCount += internalCount;
        _completeLeafCount += internalCount + 1;
    }

    private void Fill(int node, int slot, int level, int depth, int nodeBase, int leafBase)
    {
        if (level == depth)
        {
            _completeLeaves[leafBase + slot - ((1 << depth) - 1)] = Values[node];
            return;
        }
        if ((Flags[node] & FlagLeaf) != 0)
        {
            _complete[nodeBase + slot] = new CompleteNode { Feature = 0, Threshold = float.PositiveInfinity };
            Fill(node, (2 * slot) + 1, level + 1, depth, nodeBase, leafBase);
            Fill(node, (2 * slot) + 2, level + 1, depth, nodeBase, leafBase);
            return;
        }
        var n = Nodes[node];
        _complete[nodeBase + slot] = new CompleteNode { Feature = n.Feature, Threshold = n.Threshold };
        Fill(n.Left, (2 * slot) + 1, level + 1, depth, nodeBase, leafBase);
        Fill(n.Right, (2 * slot) + 2, level + 1, depth, nodeBase, leafBase);
    }

    private unsafe void AddScoresComplete(ReadOnlySpan<float> numeric, int width, int rows, Span<double> scores, int from, int to)
    {
        int* slots = stackalloc int[Block];
        double* acc = stackalloc double[Block];
        fixed (float* x0 = numeric)
        fixed (CompleteNode* c0 = _complete)
        fixed (float* l0 = _completeLeaves)
        fixed (int* offsets = _completeOffset)
        fixed (int* leafOffsets = _completeLeafOffset)
        fixed (int* depths = Depths)
        {
            for (int start = 0; start < rows; start += Block)
            {
                int count = Math.Min(Block, rows - start);
                float* x = x0 + ((long)start * width);
                for (int k = 0; k < count; k++)
                {
                    acc[k] = 0;
                }
                for (int t = from; t < to; t++)
                {
                    CompleteNode* tree = c0 + offsets[t];
                    int depth = depths[t];
                    for (int k = 0; k < count; k++)
                    {
                        slots[k] = 0;
                    }
                    for (int d = 0; d < depth; d++)
                    {
                        float* row = x;
                        for (int k = 0; k < count; k++)
                        {
                            int slot = slots[k];
                            CompleteNode n = tree[slot];
                            float v = row[n.Feature & 0x7FFF_FFFF];
                            int right = (v > n.Threshold ? 1 : 0) | ((float.IsNaN(v) ? 1 : 0) & (int)((uint)n.Feature >> 31));
                            slots[k] = (2 * slot) + 1 + right;
                            row += width;
                        }
                    }
                    float* leaves = l0 + leafOffsets[t] - ((1 << depth) - 1);
                    for (int k = 0; k < count; k++)
                    {
                        acc[k] += leaves[slots[k]];
                    }
                }
                for (int k = 0; k < count; k++)
                {
                    scores[start + k] += acc[k];
                }
            }
        }
    }

    /// <summary>False forces the scalar kernels (tests compare them).</summary>
    internal bool UseVectorKernel { get; set; } = true;

    /// <summary>
    /// The complete-tree walk for 8 rows per 256-bit vector: node, value and leaf are gathered, the comparison and the
    /// missing-value rule are lane-wise, and 8 groups of 8 rows are stepped together so the gathers overlap.
    /// </summary>
    private unsafe void AddScoresCompleteAvx2(ReadOnlySpan<float> numeric, int width, int rows, Span<double> scores, int from, int to)
    {
        const int Groups = Block / 8;
        var slots = stackalloc Vector256<int>[Groups];
        var acc = stackalloc double[Block];
        var rowOffset = Vector256.Create(0, width, 2 * width, 3 * width, 4 * width, 5 * width, 6 * width, 7 * width);
        var mask = Vector256.Create(0x7FFF_FFFF);
        var one = Vector256.Create(1);
        int full = rows / Block * Block;
        fixed (float* x0 = numeric)
        fixed (CompleteNode* c0 = _complete)
        fixed (float* l0 = _completeLeaves)
        fixed (int* offsets = _completeOffset)
        fixed (int* leafOffsets = _completeLeafOffset)
        fixed (int* depths = Depths)
        {
            for (int start = 0; start < full; start += Block)
            {
                float* x = x0 + ((long)start * width);
                new Span<double>(acc, Block).Clear();
                for (int t = from; t < to; t++)
                {
                    int* tree = (int*)(c0 + offsets[t]);
                    int depth = depths[t];
                    for (int g = 0; g < Groups; g++)
                    {
                        slots[g] = Vector256<int>.Zero;
                    }
                    for (int d = 0; d < depth; d++)
                    {
                        for (int g = 0; g < Groups; g++)
                        {
                            var slot = slots[g];
                            var index = slot + slot; // 2 ints per node
                            var feature = Avx2.GatherVector256(tree, index, 4);
                            var threshold = Avx2.GatherVector256((float*)tree + 1, index, 4);
                            var v = Avx2.GatherVector256(x + (g * 8 * width), rowOffset + (feature & mask), 4);
                            var greater = Avx.CompareGreaterThan(v, threshold).AsInt32();
                            var missing = Avx.CompareUnordered(v, v).AsInt32();
                            var right = greater | (missing & Avx2.ShiftRightArithmetic(feature, 31)); // −1 or 0
                            slots[g] = slot + slot + one - right;
                        }
                    }
                    float* leaves = l0 + leafOffsets[t] - ((1 << depth) - 1);
                    for (int g = 0; g < Groups; g++)
                    {
                        var value = Avx2.GatherVector256(leaves, slots[g], 4);
                        double* a = acc + (g * 8);
                        Vector256.Store(Vector256.Load(a) + Avx.ConvertToVector256Double(value.GetLower()), a);
                        Vector256.Store(Vector256.Load(a + 4) + Avx.ConvertToVector256Double(value.GetUpper()), a + 4);
                    }
                }
                for (int k = 0; k < Block; k++)
                {
                    scores[start + k] += acc[k];
                }
            }
        }
        if (full < rows)
        {
            AddScoresComplete(numeric[(full * width)..], width, rows - full, scores[full..], from, to);
        }
    }

    private void EnsureNodes(int count)
    {
        if (count <= Nodes.Length)
        {
            return;
        }
        int size = Math.Max(count, Nodes.Length * 2);
        Nodes = Grow(Nodes, size);
        Flags = Grow(Flags, size);
        Values = Grow(Values, size);
        Gains = Grow(Gains, size);
        CatOffset = Grow(CatOffset, size);
        CatWords = Grow(CatWords, size);
    }

    private void EnsureTrees(int count)
    {
        if (count > Roots.Length)
        {
            int size = Math.Max(count, Roots.Length * 2);
            Roots = Grow(Roots, size);
            Depths = Grow(Depths, size);
        }
    }

    private void EnsureBits(int count)
    {
        if (count > CatBits.Length)
        {
            CatBits = Grow(CatBits, Math.Max(count, CatBits.Length * 2));
        }
    }

    private static T[] Grow<T>(T[] array, int size)
    {
        var result = new T[size];
        array.CopyTo(result, 0);
        return result;
    }

    /// <summary>Sets the arrays of a forest read from a file (already validated).</summary>
    internal void Load(FlatNode[] nodes, byte[] flags, float[] values, double[] gains, int[] catOffset, int[] catWords, ulong[] bits, int[] roots, int[] depths)
    {
        Nodes = nodes;
        Flags = flags;
        Values = values;
        Gains = gains;
        CatOffset = catOffset;
        CatWords = catWords;
        CatBits = bits;
        Roots = roots;
        Depths = depths;
        NodeCount = nodes.Length;
        TreeCount = roots.Length;
        CatBitCount = bits.Length;
        HasCategorical = Array.Exists(flags, f => (f & FlagCategorical) != 0);
        for (int t = 0; t < TreeCount; t++)
        {
            Complete(t);
        }
    }
}
