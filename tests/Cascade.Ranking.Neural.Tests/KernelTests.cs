using Cascade.Ranking.Neural.Dcn;

namespace Cascade.Ranking.Neural.Tests;

public class KernelTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 37, 9)]
    [InlineData(8, 16, 3)]
    [InlineData(7, 100, 100)]
    public void Gemm_matches_a_naive_product_for_row_major_and_transposed_left_operands(int m, int n, int k)
    {
        var random = new Random(m * 100 + n + k);
        float[] a = [.. Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble() - 0.5f)];
        float[] b = [.. Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble() - 0.5f)];
        float[] start = [.. Enumerable.Range(0, m * n).Select(_ => (float)random.NextDouble())];

        var c = (float[])start.Clone();
        Kernels.Gemm(a, k, 1, b, n, c, n, m, n, k, accumulate: true);
        // The same A stored transposed (k × m) and read with swapped strides.
        var aT = new float[k * m];
        Kernels.Transpose(a, m, k, aT);
        var c2 = new float[m * n];
        Kernels.Gemm(aT, 1, m, b, n, c2, n, m, n, k, accumulate: false);

        for (int r = 0; r < m; r++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                for (int p = 0; p < k; p++)
                {
                    expected += (double)a[r * k + p] * b[p * n + j];
                }
                Assert.Equal(expected + start[r * n + j], c[r * n + j], 1e-4);
                Assert.Equal(expected, c2[r * n + j], 1e-4);
            }
        }
    }
}
