namespace Cascade.Models.Factorisation;

/// <summary>
/// Solves a small symmetric positive definite system A x = b in place by Cholesky factorisation (A = L Lᵀ, then two
/// triangular solves) in double precision: the exact reference solver of implicit ALS, O(n³/3) per system.
/// </summary>
public static class DenseCholesky
{
    /// <summary>Overwrites the lower triangle of <paramref name="matrix"/> with L and <paramref name="rightHandSide"/> with x.</summary>
    /// <param name="matrix">n × n, row-major; only the lower triangle is read.</param>
    /// <param name="n">The order.</param>
    /// <param name="rightHandSide">b on entry, x on return.</param>
    /// <exception cref="ArgumentException">A pivot is not positive: the matrix is not positive definite.</exception>
    public static void Solve(Span<double> matrix, int n, Span<double> rightHandSide)
    {
        if (matrix.Length != n * n || rightHandSide.Length != n)
        {
            throw new ArgumentException($"A system of order {n} needs {n * n} matrix values and {n} right-hand-side values; got {matrix.Length} and {rightHandSide.Length}.", nameof(matrix));
        }
        for (int j = 0; j < n; j++)
        {
            Span<double> rowJ = matrix.Slice(j * n, n);
            double diagonal = rowJ[j];
            for (int k = 0; k < j; k++)
            {
                diagonal -= rowJ[k] * rowJ[k];
            }
            if (!(diagonal > 0))
            {
                throw new ArgumentException($"Pivot {j} is {diagonal}: the matrix is not positive definite (increase the regularisation).", nameof(matrix));
            }
            double ljj = Math.Sqrt(diagonal);
            rowJ[j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                Span<double> rowI = matrix.Slice(i * n, n);
                double sum = rowI[j];
                for (int k = 0; k < j; k++)
                {
                    sum -= rowI[k] * rowJ[k];
                }
                rowI[j] = sum / ljj;
            }
        }
        for (int i = 0; i < n; i++)
        {
            // Forward: L y = b.
            double sum = rightHandSide[i];
            for (int k = 0; k < i; k++)
            {
                sum -= matrix[(i * n) + k] * rightHandSide[k];
            }
            rightHandSide[i] = sum / matrix[(i * n) + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            // Backward: Lᵀ x = y.
            double sum = rightHandSide[i];
            for (int k = i + 1; k < n; k++)
            {
                sum -= matrix[(k * n) + i] * rightHandSide[k];
            }
            rightHandSide[i] = sum / matrix[(i * n) + i];
        }
    }
}
