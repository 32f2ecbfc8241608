using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cascade.Ranking.Neural.Dcn;

/// <summary>
/// Dense kernels of the DCN-v2 network. Every output element is a sum over its inner index in one fixed order with a
/// fused multiply-add per term, whichever tile (4-row, 1-row, vector or scalar tail) computes it, so results do not
/// depend on how rows or columns are split between threads.
/// </summary>
internal static unsafe class Kernels
{
    /// <summary>
    /// C[m×n] = A·B (+ C when <paramref name="accumulate"/>), A(r, p) = a[r·aRow + p·aCol], B row-major with stride
    /// <paramref name="ldb"/>, C row-major with stride <paramref name="ldc"/>. With aRow = K, aCol = 1 it is X·W; with
    /// aRow = 1, aCol = in it is Xᵀ·dY (a weight gradient).
    /// </summary>
    public static void Gemm(ReadOnlySpan<float> a, int aRow, int aCol, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc, int m, int n, int k, bool accumulate)
    {
        if (m == 0 || n == 0)
        {
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            int r = 0;
            for (; r + 4 <= m; r += 4)
            {
                Tile4(pa + (r * aRow), aRow, aCol, pb, ldb, pc + (r * ldc), ldc, n, k, accumulate);
            }
            for (; r < m; r++)
            {
                Tile1(pa + (r * aRow), aCol, pb, ldb, pc + (r * ldc), n, k, accumulate);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4(float* a, int aRow, int aCol, float* b, int ldb, float* c, int ldc, int n, int k, bool accumulate)
    {
        float* a1 = a + aRow, a2 = a + (2 * aRow), a3 = a + (3 * aRow);
        float* c1 = c + ldc, c2 = c + (2 * ldc), c3 = c + (3 * ldc);
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            Vector256<float> s00, s01, s10, s11, s20, s21, s30, s31;
            if (accumulate)
            {
                s00 = Vector256.Load(c + j); s01 = Vector256.Load(c + j + 8);
                s10 = Vector256.Load(c1 + j); s11 = Vector256.Load(c1 + j + 8);
                s20 = Vector256.Load(c2 + j); s21 = Vector256.Load(c2 + j + 8);
                s30 = Vector256.Load(c3 + j); s31 = Vector256.Load(c3 + j + 8);
            }
            else
            {
                s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = Vector256<float>.Zero;
            }
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb)
            {
                var b0 = Vector256.Load(bp);
                var b1 = Vector256.Load(bp + 8);
                int at = p * aCol;
                var x = Vector256.Create(a[at]);
                s00 = Vector256.FusedMultiplyAdd(x, b0, s00); s01 = Vector256.FusedMultiplyAdd(x, b1, s01);
                x = Vector256.Create(a1[at]);
                s10 = Vector256.FusedMultiplyAdd(x, b0, s10); s11 = Vector256.FusedMultiplyAdd(x, b1, s11);
                x = Vector256.Create(a2[at]);
                s20 = Vector256.FusedMultiplyAdd(x, b0, s20); s21 = Vector256.FusedMultiplyAdd(x, b1, s21);
                x = Vector256.Create(a3[at]);
                s30 = Vector256.FusedMultiplyAdd(x, b0, s30); s31 = Vector256.FusedMultiplyAdd(x, b1, s31);
            }
            s00.Store(c + j); s01.Store(c + j + 8);
            s10.Store(c1 + j); s11.Store(c1 + j + 8);
            s20.Store(c2 + j); s21.Store(c2 + j + 8);
            s30.Store(c3 + j); s31.Store(c3 + j + 8);
        }
        for (; j + 8 <= n; j += 8)
        {
            Vector256<float> s0, s1, s2, s3;
            if (accumulate)
            {
                s0 = Vector256.Load(c + j); s1 = Vector256.Load(c1 + j); s2 = Vector256.Load(c2 + j); s3 = Vector256.Load(c3 + j);
            }
            else
            {
                s0 = s1 = s2 = s3 = Vector256<float>.Zero;
            }
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb)
            {
                var b0 = Vector256.Load(bp);
                int at = p * aCol;
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[at]), b0, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Create(a1[at]), b0, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Create(a2[at]), b0, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Create(a3[at]), b0, s3);
            }
            s0.Store(c + j); s1.Store(c1 + j); s2.Store(c2 + j); s3.Store(c3 + j);
        }
        for (; j < n; j++)
        {
            float s0 = accumulate ? c[j] : 0, s1 = accumulate ? c1[j] : 0, s2 = accumulate ? c2[j] : 0, s3 = accumulate ? c3[j] : 0;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb)
            {
                int at = p * aCol;
                s0 = MathF.FusedMultiplyAdd(a[at], *bp, s0);
                s1 = MathF.FusedMultiplyAdd(a1[at], *bp, s1);
                s2 = MathF.FusedMultiplyAdd(a2[at], *bp, s2);
                s3 = MathF.FusedMultiplyAdd(a3[at], *bp, s3);
            }
            c[j] = s0; c1[j] = s1; c2[j] = s2; c3[j] = s3;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1(float* a, int aCol, float* b, int ldb, float* c, int n, int k, bool accumulate)
    {
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            Vector256<float> s0 = accumulate ? Vector256.Load(c + j) : Vector256<float>.Zero;
            Vector256<float> s1 = accumulate ? Vector256.Load(c + j + 8) : Vector256<float>.Zero;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb)
            {
                var x = Vector256.Create(a[p * aCol]);
                s0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp), s0);
                s1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(bp + 8), s1);
            }
            s0.Store(c + j); s1.Store(c + j + 8);
        }
        for (; j + 8 <= n; j += 8)
        {
            Vector256<float> s0 = accumulate ? Vector256.Load(c + j) : Vector256<float>.Zero;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[p * aCol]), Vector256.Load(bp), s0);
            }
            s0.Store(c + j);
        }
        for (; j < n; j++)
        {
            float s = accumulate ? c[j] : 0;
            float* bp = b + j;
            for (int p = 0; p < k; p++, bp += ldb)
            {
                s = MathF.FusedMultiplyAdd(a[p * aCol], *bp, s);
            }
            c[j] = s;
        }
    }

    /// <summary>Writes the transpose of row-major <paramref name="source"/> [rows×cols] into <paramref name="target"/> [cols×rows].</summary>
    public static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> target)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = source.Slice(r * cols, cols);
            for (int c = 0; c < cols; c++)
            {
                target[(c * rows) + r] = row[c];
            }
        }
    }

    /// <summary>Adds every row of <paramref name="matrix"/>[rows×stride] restricted to columns [from, to) into <paramref name="sums"/>[from, to), in row order.</summary>
    public static void ColumnSums(ReadOnlySpan<float> matrix, int rows, int stride, int from, int to, Span<float> sums)
    {
        var target = sums[from..to];
        target.Clear();
        for (int r = 0; r < rows; r++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(target, matrix.Slice((r * stride) + from, to - from), target);
        }
    }
}
