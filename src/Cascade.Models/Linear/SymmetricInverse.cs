using System.Numerics.Tensors;

namespace Cascade.Models.Linear;

/// <summary>
/// In-place inverse of a symmetric positive definite matrix by Gauss–Jordan elimination without pivoting (stable for
/// SPD matrices: every pivot is a positive Schur complement). Row updates are SIMD multiply-adds through
/// <see cref="TensorPrimitives"/>, parallel over rows. Measured on a 1,682 × 1,682 Gram matrix (MovieLens 100k) it runs
/// 5.7× faster than MathNet.Numerics' managed Cholesky solve, which is why EASE uses it (see docs/benchmarks.md).
/// </summary>
public static class SymmetricInverse
{
    /// <summary>Replaces <paramref name="matrix"/> (n × n, row-major) by its inverse.</summary>
    /// <param name="matrix">The matrix, overwritten by its inverse.</param>
    /// <param name="n">Its order.</param>
    /// <param name="cancellationToken">Checked every 64 pivots.</param>
    /// <exception cref="ArgumentException">A pivot is not positive: the matrix is not positive definite.</exception>
    public static void InvertInPlace(double[] matrix, int n, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if ((long)n * n != matrix.Length)
        {
            throw new ArgumentException($"A {n} × {n} matrix needs {(long)n * n} values; got {matrix.Length}.", nameof(matrix));
        }
        var pivotRow = new double[n];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        for (int k = 0; k < n; k++)
        {
            if ((k & 63) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            Span<double> rowK = matrix.AsSpan(k * n, n);
            double pivot = rowK[k];
            if (!(pivot > 0) || double.IsInfinity(pivot))
            {
                throw new ArgumentException($"Pivot {k} is {pivot}: the matrix is not positive definite (increase the regularisation).", nameof(matrix));
            }
            double inverse = 1 / pivot;
            TensorPrimitives.Multiply(rowK, inverse, rowK);
            rowK[k] = inverse;
            rowK.CopyTo(pivotRow);
            int current = k;
            Parallel.For(0, n, options, i =>
            {
                if (i == current)
                {
                    return;
                }
                Span<double> row = matrix.AsSpan(i * n, n);
                double factor = row[current];
                if (factor == 0)
                {
                    return;
                }
                row[current] = 0;
                TensorPrimitives.MultiplyAdd(pivotRow, -factor, row, row);
            });
        }
    }
}
