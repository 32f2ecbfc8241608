using Cascade.Ranking.Neural.Dcn;

namespace Cascade.Ranking.Neural.Tests;

/// <summary>Every parameter block's hand-derived gradient against central finite differences of the same loss.</summary>
public class GradientCheckTests
{
    public static TheoryData<DcnStructure, bool, double, int[]> Shapes => new()
    {
        { DcnStructure.Parallel, true, 0.0, [5, 4] },
        { DcnStructure.Parallel, false, 0.3, [6] },
        { DcnStructure.Stacked, true, 0.3, [5, 4] },
        { DcnStructure.Stacked, false, 0.0, [] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Analytic_gradients_match_central_differences_for_every_parameter_block(DcnStructure structure, bool batchNorm, double dropout, int[] hidden)
    {
        var data = Synthetic.Parity(24, seed: 3, noise: 0.3);
        var network = new DcnV2Network(data.Schema, 3, 2, hidden, batchNorm, structure);
        var random = new Random(11);
        network.Initialise(random, embeddingStd: 0.5);
        network.FitNumericScaling(data);
        // Move every dense value off its initial point (biases 0, γ 1) so no gradient is zero by symmetry.
        for (int i = 0; i < network.Parameters.Length; i++)
        {
            network.Parameters[i] += (float)((random.NextDouble() - 0.5) * 0.4);
        }
        int[] rows = [.. Enumerable.Range(0, data.Rows)];
        const double l2 = 0.05;
        const ulong seed = 12345;
        var act = new DcnV2Activations(network, rows.Length, dropout);
        var analytic = new DcnV2Gradients(network);
        var scratch = new DcnV2Gradients(network);
        network.ComputeGradients(data, rows, act, analytic, dropout, l2, seed, threads: 1, updateRunningStats: false);
        double Loss() => network.ComputeGradients(data, rows, act, scratch, dropout, l2, seed, threads: 1, updateRunningStats: false);

        const float h = 2e-3f;
        foreach (var block in network.Blocks)
        {
            var fd = new double[block.Length];
            for (int j = 0; j < block.Length; j++)
            {
                fd[j] = Central(network.Parameters, block.Offset + j, h, Loss);
            }
            bool biasBeforeBatchNorm = batchNorm && block.Name.StartsWith("deep", StringComparison.Ordinal) && block.Name.EndsWith(".b", StringComparison.Ordinal);
            AssertClose(block.Name, analytic.Dense.AsSpan(block.Offset, block.Length), fd, mayVanish: biasBeforeBatchNorm);
        }

        int dim = network.EmbeddingDimension;
        Assert.NotEmpty(analytic.Touched);
        var embeddingAnalytic = new List<float>();
        var embeddingFd = new List<double>();
        foreach (int row in analytic.Touched)
        {
            for (int c = 0; c < dim; c++)
            {
                embeddingAnalytic.Add(analytic.Embedding[row * dim + c]);
                embeddingFd.Add(Central(network.Embeddings, row * dim + c, h, Loss));
            }
        }
        AssertClose("embedding", embeddingAnalytic.ToArray(), [.. embeddingFd], mayVanish: false);
        // Rows no example touched have no gradient.
        var untouched = Enumerable.Range(0, network.Vocabulary).Except(analytic.Touched).ToArray();
        Assert.NotEmpty(untouched);
        Assert.All(untouched, row => Assert.Equal(0f, Central(network.Embeddings, row * dim, h, Loss), 6));
    }

    private static double Central(float[] values, int index, float h, Func<double> loss)
    {
        float saved = values[index];
        values[index] = saved + h;
        double plus = loss();
        values[index] = saved - h;
        double minus = loss();
        values[index] = saved;
        return (plus - minus) / (2 * h);
    }

    private static void AssertClose(string name, ReadOnlySpan<float> analytic, double[] numeric, bool mayVanish)
    {
        double diff = 0, normA = 0, normN = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            diff += (analytic[i] - numeric[i]) * (analytic[i] - numeric[i]);
            normA += (double)analytic[i] * analytic[i];
            normN += numeric[i] * numeric[i];
        }
        diff = Math.Sqrt(diff);
        normA = Math.Sqrt(normA);
        normN = Math.Sqrt(normN);
        if (mayVanish)
        {
            // A bias followed by batch norm cancels out: its true gradient is 0.
            Assert.True(normA < 1e-4 && normN < 1e-2, $"{name}: expected a vanishing gradient, got |analytic| {normA:G3}, |numeric| {normN:G3}.");
            return;
        }
        Assert.True(normA > 1e-4, $"{name}: the analytic gradient is {normA:G3}, too small for the check to mean anything.");
        double relative = diff / (normA + normN);
        Assert.True(relative < 1e-2, $"{name}: relative error {relative:G3} (|analytic| {normA:G3}, |numeric| {normN:G3}).");
    }
}
