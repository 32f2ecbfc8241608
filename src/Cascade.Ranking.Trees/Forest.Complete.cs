using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cascade.Ranking.Trees;

/// <summary>The complete-tree layout of shallow trees and its scalar and AVX2 kernels (categorical splits read derived columns).</summary>
internal sealed partial class Forest
{
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
        // A categorical split reads its derived column: 0 (code in the left set) goes left, 1 goes right.
        _complete[nodeBase + slot] = (Flags[node] & FlagCategorical) != 0
            ? new CompleteNode { Feature = Schema.NumericCount + _derivedColumn[node], Threshold = 0.5f }
            : new CompleteNode { Feature = n.Feature, Threshold = n.Threshold };
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
}
