using Cascade.Models.Embeddings;

namespace Cascade.Models.Tests;

public sealed class EmbeddingExportTests
{
    [Fact]
    public void The_l2_nearest_items_after_the_euclidean_reduction_are_the_highest_inner_products()
    {
        const int Items = 500, Queries = 20, D = 6;
        var random = new Random(11);
        var items = new float[Items * D];
        EmbeddingMath.FillNormal(random, items, 1);
        for (int i = 0; i < Items; i++)
        {
            // Norms spread over two orders of magnitude, as trained item vectors (popular items are long) have.
            float scale = (float)Math.Exp(random.NextDouble() * 4.6 - 2.3);
            for (int k = 0; k < D; k++)
            {
                items[(i * D) + k] *= scale;
            }
        }
        float[] reduced = EmbeddingMath.ToEuclideanItems(items, D, out float maxNorm);
        Assert.Equal(Items * (D + 1), reduced.Length);
        for (int q = 0; q < Queries; q++)
        {
            var query = new float[D];
            EmbeddingMath.FillNormal(random, query, 1);
            var padded = new float[D + 1];
            EmbeddingMath.ToEuclideanQuery(query, maxNorm, padded);
            Assert.Equal(maxNorm, Math.Sqrt(Dot(padded, padded)), 3);
            int[] byInnerProduct = Enumerable.Range(0, Items).OrderByDescending(i => Dot(query, items.AsSpan(i * D, D))).Take(10).ToArray();
            int[] byDistance = Enumerable.Range(0, Items).OrderBy(i => SquaredDistance(padded, reduced.AsSpan(i * (D + 1), D + 1))).Take(10).ToArray();
            Assert.Equal(byInnerProduct, byDistance);
        }
        for (int i = 0; i < Items; i++)
        {
            Assert.Equal(maxNorm, Math.Sqrt(Dot(reduced.AsSpan(i * (D + 1), D + 1), reduced.AsSpan(i * (D + 1), D + 1))), 3);
        }
    }

    [Fact]
    public void A_row_length_that_is_not_a_multiple_of_the_dimension_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => EmbeddingMath.ToEuclideanItems(new float[7], 3, out _));
        Assert.Equal("items", error.ParamName);
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int k = 0; k < a.Length; k++)
        {
            sum += (double)a[k] * b[k];
        }
        return sum;
    }

    private static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int k = 0; k < a.Length; k++)
        {
            sum += ((double)a[k] - b[k]) * ((double)a[k] - b[k]);
        }
        return sum;
    }
}
