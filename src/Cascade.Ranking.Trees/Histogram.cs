using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cascade.Ranking.Trees;

/// <summary>
/// Gradient histograms of one leaf: for every feature, its bins of (Σ gradient, Σ hessian) as doubles, so one 128-bit
/// add updates a bin (row counts are estimated from the hessian, as LightGBM does). Each feature's bins are summed by
/// one thread in row order, so the sums do not depend on the thread count.
/// </summary>
internal static class Histogram
{
    /// <summary>Doubles per bin.</summary>
    public const int BinWidth = 2;

    /// <summary>Rows × features below which a histogram is built on the calling thread.</summary>
    private const long ParallelThreshold = 1 << 16;

    /// <summary>Rows ahead whose data is prefetched.</summary>
    private const int PrefetchDistance = 12;

    /// <summary>
    /// Clears the bins of <paramref name="features"/> in <paramref name="hist"/> and sums gradients of the rows
    /// <c>rowIndex[begin .. begin + count)</c> into them; <paramref name="gradientPairs"/> holds (gradient, hessian) of
    /// row r at 2r; feature f's bins start at <c>binOffset[f]</c>.
    /// </summary>
    public static void Build<T>(
        double[] hist, T[] bins, int[] binOffset, int[] rowIndex, int begin, int count, double[] gradientPairs, int[] features, WorkerTeam team)
        where T : unmanaged
    {
        int active = features.Length;
        int blocks = (long)count * active < ParallelThreshold || team.Threads <= 1 ? 1 : Math.Min(active, team.Threads * 2);
        if (blocks == 1)
        {
            BuildBlock(hist, bins, binOffset, rowIndex.AsSpan(begin, count), gradientPairs, features, 0, active);
            return;
        }
        // Parallel over feature blocks: each feature's bins are filled by one task, rows in order.
        team.For(blocks, block =>
        {
            int from = (int)((long)block * active / blocks);
            int to = (int)((long)(block + 1) * active / blocks);
            BuildBlock(hist, bins, binOffset, rowIndex.AsSpan(begin, count), gradientPairs, features, from, to);
        });
    }

    /// <summary>parent − child into <paramref name="parent"/>, over <paramref name="features"/>.</summary>
    public static void Subtract(double[] parent, double[] child, int[] binOffset, int[] features)
    {
        foreach (int f in features)
        {
            int start = binOffset[f] * BinWidth, length = (binOffset[f + 1] - binOffset[f]) * BinWidth;
            var p = parent.AsSpan(start, length);
            TensorPrimitives.Subtract(p, child.AsSpan(start, length), p);
        }
    }

    /// <summary>The bin stored at <paramref name="p"/> (a byte or a 16-bit bin; the branch folds away per T).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe int Load<T>(T* p)
        where T : unmanaged => sizeof(T) == 1 ? *(byte*)p : *(ushort*)p;

    private static unsafe void BuildBlock<T>(
        double[] hist, T[] bins, int[] binOffset, ReadOnlySpan<int> rows, double[] gradientPairs, int[] features, int from, int to)
        where T : unmanaged
    {
        int width = to - from;
        if (width <= 0)
        {
            return;
        }
        foreach (int f in features.AsSpan(from, width))
        {
            hist.AsSpan(binOffset[f] * BinWidth, (binOffset[f + 1] - binOffset[f]) * BinWidth).Clear();
        }
        int featureCount = binOffset.Length - 1;
        bool contiguous = features[to - 1] - features[from] == width - 1;
        int first = features[from];
        fixed (double* h0 = hist)
        fixed (T* b0 = bins)
        fixed (int* r0 = rows)
        fixed (double* q0 = gradientPairs)
        fixed (int* f0 = features)
        fixed (int* o0 = binOffset)
        {
            int n = rows.Length;
            int* feats = f0 + from;
            int* offsets = o0 + first;
            for (int i = 0; i < n; i++)
            {
                int r = r0[i];
                if (Sse.IsSupported && i + PrefetchDistance < n)
                {
                    // Rows of a leaf are scattered: fetch a later row's bins and gradients ahead of use.
                    int ahead = r0[i + PrefetchDistance];
                    T* next = b0 + ((long)ahead * featureCount) + first;
                    Sse.Prefetch0(next);
                    Sse.Prefetch0(next + width - 1);
                    Sse.Prefetch0(q0 + (2L * ahead));
                }
                var gh = Vector128.Load(q0 + (2L * r));
                if (contiguous)
                {
                    // Every feature in [first, first + width): the row's bins are one run.
                    T* row = b0 + ((long)r * featureCount) + first;
                    int k = 0;
                    for (; k + 4 <= width; k += 4)
                    {
                        double* p0 = h0 + ((offsets[k] + Load(row + k)) * BinWidth);
                        double* p1 = h0 + ((offsets[k + 1] + Load(row + k + 1)) * BinWidth);
                        double* p2 = h0 + ((offsets[k + 2] + Load(row + k + 2)) * BinWidth);
                        double* p3 = h0 + ((offsets[k + 3] + Load(row + k + 3)) * BinWidth);
                        Vector128.Store(Vector128.Load(p0) + gh, p0);
                        Vector128.Store(Vector128.Load(p1) + gh, p1);
                        Vector128.Store(Vector128.Load(p2) + gh, p2);
                        Vector128.Store(Vector128.Load(p3) + gh, p3);
                    }
                    for (; k < width; k++)
                    {
                        double* p = h0 + ((offsets[k] + Load(row + k)) * BinWidth);
                        Vector128.Store(Vector128.Load(p) + gh, p);
                    }
                }
                else
                {
                    T* row = b0 + ((long)r * featureCount);
                    for (int k = 0; k < width; k++)
                    {
                        int f = feats[k];
                        double* p = h0 + ((o0[f] + Load(row + f)) * BinWidth);
                        Vector128.Store(Vector128.Load(p) + gh, p);
                    }
                }
            }
        }
    }
}
