using System.Runtime.InteropServices;

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
internal sealed partial class Forest
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

    // Each categorical split, in node order, also reads a derived column after the numeric features (0 when the code is
    // in the split's left set, 1 otherwise), so the complete-tree kernels can score forests with categorical splits.
    private int[] _derivedColumn = new int[256];
    private FlatNode[] _derivedNodesFlat = new FlatNode[256]; // Nodes with each categorical split reading its derived column
    private int[] _derivedNodes = new int[64];
    private int _derivedCount;

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
                AddDerived(at);
                _derivedNodesFlat[at] = new FlatNode { Feature = Schema.NumericCount + _derivedColumn[at], Threshold = 0.5f, Left = Nodes[at].Left, Right = Nodes[at].Right };
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
        for (int at = root; at < root + grown.Length; at++)
        {
            if ((Flags[at] & FlagCategorical) == 0)
            {
                _derivedNodesFlat[at] = Nodes[at];
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
        while (_derivedCount > 0 && _derivedNodes[_derivedCount - 1] >= NodeCount)
        {
            _derivedCount--;
        }
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
        _derivedColumn = Grow(_derivedColumn, size);
        _derivedNodesFlat = Grow(_derivedNodesFlat, size);
    }

    /// <summary>Gives categorical node <paramref name="node"/> the next derived column.</summary>
    private void AddDerived(int node)
    {
        if (_derivedCount == _derivedNodes.Length)
        {
            _derivedNodes = Grow(_derivedNodes, _derivedNodes.Length * 2);
        }
        _derivedColumn[node] = _derivedCount;
        _derivedNodes[_derivedCount++] = node;
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
        _derivedColumn = new int[nodes.Length];
        _derivedNodesFlat = (FlatNode[])nodes.Clone();
        _derivedCount = 0;
        for (int i = 0; i < nodes.Length; i++)
        {
            if ((flags[i] & FlagCategorical) != 0)
            {
                AddDerived(i);
                _derivedNodesFlat[i] = new FlatNode { Feature = Schema.NumericCount + _derivedColumn[i], Threshold = 0.5f, Left = nodes[i].Left, Right = nodes[i].Right };
            }
        }
        for (int t = 0; t < TreeCount; t++)
        {
            Complete(t);
        }
    }
}
