using System.Runtime.Intrinsics.X86;

namespace Cascade.Ranking.Trees;

/// <summary>Prediction over the flat layout: every tree, any split kind.</summary>
internal sealed partial class Forest
{
    /// <summary>Adds the raw scores of trees [<paramref name="from"/>, <paramref name="to"/>) for every row to <paramref name="scores"/>.</summary>
    public void AddScores(RankingDataset data, Span<double> scores, int from, int to) => AddScores(data, 0, data.Rows, scores, from, to);

    /// <summary>Adds the raw scores of trees [from, to) for rows [rowStart, rowStart + scores.Length) to <paramref name="scores"/>.</summary>
    public void AddScores(RankingDataset data, int rowStart, int rowCount, Span<double> scores, int from, int to)
    {
        if (from >= to)
        {
            return;
        }
        if (HasCategorical)
        {
            // The derived columns of the categorical splits in trees [from, to): contiguous, since they are numbered in node order.
            int firstNode = Roots[from], endNode = to < TreeCount ? Roots[to] : NodeCount;
            int firstColumn = DerivedAtOrAfter(firstNode), endColumn = DerivedAtOrAfter(endNode);
            if (endColumn <= MaxDerivedColumns)
            {
                AddScoresDerived(data, rowStart, rowCount, scores, from, to, firstColumn, endColumn);
                return;
            }
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
            AddScoresNumeric(data.Numeric.AsSpan(rowStart * width, rowCount * width), width, rowCount, scores, from, to, Nodes);
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

    /// <summary>Above this many categorical splits the derived columns cost more than they save: rows are walked one at a time.</summary>
    private const int MaxDerivedColumns = 2048;

    /// <summary>
    /// Scores forests with categorical splits on the numeric kernels (complete trees, or the flat walk when a tree is
    /// deeper): each block of rows is copied with one derived column per categorical split appended (0 when the row's
    /// code is in the split's left set, 1 otherwise), which those splits read as <c>column ≤ 0.5</c>.
    /// </summary>
    private void AddScoresDerived(RankingDataset data, int rowStart, int rowCount, Span<double> scores, int from, int to, int firstColumn, int endColumn)
    {
        // Columns before firstColumn belong to other trees: left unwritten, never read.
        int fields = data.Schema.FieldCount, width = data.Schema.NumericCount, wide = width + endColumn;
        var buffer = System.Buffers.ArrayPool<float>.Shared.Rent(Block * wide);
        try
        {
            for (int start = 0; start < rowCount; start += Block)
            {
                int count = Math.Min(Block, rowCount - start);
                for (int k = 0; k < count; k++)
                {
                    int row = rowStart + start + k;
                    var target = buffer.AsSpan(k * wide, wide);
                    data.Numeric.AsSpan(row * width, width).CopyTo(target);
                    var codes = data.Categorical.AsSpan(row * fields, fields);
                    for (int c = firstColumn; c < endColumn; c++)
                    {
                        int node = _derivedNodes[c];
                        int code = codes[Nodes[node].Feature];
                        bool left = code < CatWords[node] * 64 && ((CatBits[CatOffset[node] + (code >> 6)] >> code) & 1) != 0;
                        target[width + c] = left ? 0f : 1f;
                    }
                }
                var rows = buffer.AsSpan(0, count * wide);
                if (_deepTrees > 0)
                {
                    AddScoresNumeric(rows, wide, count, scores.Slice(start, count), from, to, _derivedNodesFlat);
                }
                else if (Avx2.IsSupported && UseVectorKernel)
                {
                    AddScoresCompleteAvx2(rows, wide, count, scores.Slice(start, count), from, to);
                }
                else
                {
                    AddScoresComplete(rows, wide, count, scores.Slice(start, count), from, to);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>The first derived column whose node is at or after flat node <paramref name="node"/>.</summary>
    private int DerivedAtOrAfter(int node)
    {
        int lo = 0, hi = _derivedCount;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_derivedNodes[mid] < node)
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

    private unsafe void AddScoresNumeric(ReadOnlySpan<float> numeric, int width, int rows, Span<double> scores, int from, int to, FlatNode[] nodeArray)
    {
        int* nodes = stackalloc int[Block];
        double* acc = stackalloc double[Block];
        fixed (float* x0 = numeric)
        fixed (FlatNode* n0 = nodeArray)
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
}
