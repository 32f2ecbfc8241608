using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cascade.Ann;

/// <summary>
/// SIMD distance kernels over raw pointers, the innermost loop of every search. Vector512 is used when the
/// processor accelerates it, then Vector256, then a scalar tail; two accumulators hide the FMA latency.
/// </summary>
internal static unsafe class VectorKernels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), acc1);
            }
            if (i <= n - 16)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc0);
                i += 16;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), acc1);
            }
            if (i <= n - 8)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
                i += 8;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            sum += a[i] * b[i];
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float L2Squared(float* a, float* b, int n)
    {
        int i = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                Vector512<float> d0 = Vector512.Load(a + i) - Vector512.Load(b + i);
                Vector512<float> d1 = Vector512.Load(a + i + 16) - Vector512.Load(b + i + 16);
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector512.FusedMultiplyAdd(d1, d1, acc1);
            }
            if (i <= n - 16)
            {
                Vector512<float> d0 = Vector512.Load(a + i) - Vector512.Load(b + i);
                acc0 = Vector512.FusedMultiplyAdd(d0, d0, acc0);
                i += 16;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                Vector256<float> d0 = Vector256.Load(a + i) - Vector256.Load(b + i);
                Vector256<float> d1 = Vector256.Load(a + i + 8) - Vector256.Load(b + i + 8);
                acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
                acc1 = Vector256.FusedMultiplyAdd(d1, d1, acc1);
            }
            if (i <= n - 8)
            {
                Vector256<float> d0 = Vector256.Load(a + i) - Vector256.Load(b + i);
                acc0 = Vector256.FusedMultiplyAdd(d0, d0, acc0);
                i += 8;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            float d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Scales <paramref name="v"/> to unit length in place; a zero vector stays zero.</summary>
    public static void Normalize(Span<float> v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0f)
        {
            TensorPrimitives.Divide(v, norm, v);
        }
    }
}

/// <summary>A distance between two stored-layout vectors; smaller is closer.</summary>
internal unsafe interface IDistance
{
    static abstract float Compute(float* a, float* b, int n);
}

/// <summary>Squared Euclidean distance.</summary>
internal readonly unsafe struct L2Distance : IDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(float* a, float* b, int n) => VectorKernels.L2Squared(a, b, n);
}

/// <summary>1 − a·b, used for inner product and, on normalised vectors, cosine.</summary>
internal readonly unsafe struct DotDistance : IDistance
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(float* a, float* b, int n) => 1f - VectorKernels.Dot(a, b, n);
}
