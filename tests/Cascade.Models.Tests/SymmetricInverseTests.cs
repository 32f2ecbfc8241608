using Cascade.Models.Linear;
using MathNet.Numerics.LinearAlgebra.Double;

namespace Cascade.Models.Tests;

public sealed class SymmetricInverseTests
{
    [Fact]
    public void The_inverse_of_a_two_by_two_matrix_matches_the_hand_computation()
    {
        // [[3,1],[1,3]]⁻¹ = (1/8)[[3,−1],[−1,3]].
        double[] m = [3, 1, 1, 3];
        SymmetricInverse.InvertInPlace(m, 2);
        Assert.Equal([3.0 / 8, -1.0 / 8, -1.0 / 8, 3.0 / 8], m.Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void The_inverse_of_a_random_gram_matrix_agrees_with_mathnet()
    {
        int n = 80;
        var random = new Random(5);
        var x = new double[120 * n];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.NextDouble() < 0.1 ? 1 : 0;
        }
        var gram = new double[n * n];
        for (int u = 0; u < 120; u++)
        {
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    gram[(i * n) + j] += x[(u * n) + i] * x[(u * n) + j];
                }
            }
        }
        for (int i = 0; i < n; i++)
        {
            gram[(i * n) + i] += 2;
        }
        var expected = new DenseMatrix(n, n, (double[])gram.Clone()).Inverse(); // symmetric: layout does not matter
        SymmetricInverse.InvertInPlace(gram, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(expected[i, j], gram[(i * n) + j], 10);
            }
        }
    }

    [Fact]
    public void A_matrix_that_is_not_positive_definite_is_rejected()
    {
        double[] m = [1, 2, 2, 1]; // eigenvalues 3 and −1
        Assert.Contains("not positive definite", Assert.Throws<ArgumentException>(() => SymmetricInverse.InvertInPlace(m, 2)).Message);
    }
}
