using Cascade.Ranking.Factorisation;
using Cascade.Ranking.Linear;
using Cascade.Ranking.Metrics;

namespace Cascade.Ranking.Tests;

public sealed class FactorisationTests
{
    private static readonly FactorisationOptions Small = new() { Factors = 4, LearningRate = 0.1, BatchSize = 16, Epochs = 8, InitScale = 0.1 };

    [Fact]
    public void A_factorisation_machine_learns_a_pure_interaction_that_logistic_regression_cannot()
    {
        var train = Synthetic.Interaction(6_000, seed: 1);
        var valid = Synthetic.Interaction(2_000, seed: 2);
        var labels = valid.BinaryLabels();
        var lr = new LogisticRegression(new LogisticRegressionOptions { Epochs = 4 });
        lr.Fit(train, valid);
        var fm = new FactorisationMachine(Small);
        fm.Fit(train, valid);
        double lrAuc = ScoreMetrics.Auc(labels, Synthetic.Predict(lr, valid));
        double fmAuc = ScoreMetrics.Auc(labels, Synthetic.Predict(fm, valid));
        Assert.InRange(lrAuc, 0.4, 0.6);
        Assert.True(fmAuc > 0.9, $"FM AUC {fmAuc:0.000}, LR {lrAuc:0.000}");
    }

    [Fact]
    public void A_field_aware_factorisation_machine_learns_a_pure_interaction()
    {
        var train = Synthetic.Interaction(6_000, seed: 3);
        var valid = Synthetic.Interaction(2_000, seed: 4);
        var ffm = new FieldAwareFactorisationMachine(Small);
        ffm.Fit(train, valid);
        double auc = ScoreMetrics.Auc(valid.BinaryLabels(), Synthetic.Predict(ffm, valid));
        Assert.True(auc > 0.9, $"FFM AUC {auc:0.000}");
    }

    [Theory]
    [InlineData("fm")]
    [InlineData("ffm")]
    public void Analytic_gradients_match_finite_differences(string kind)
    {
        const int Fields = 4, Factors = 3, Dimension = 12;
        IFactorisationKernel kernel = kind == "fm" ? new FmKernel(Factors) : new FfmKernel(Fields, Factors);
        var random = new Random(11);
        var p = new float[1 + (Dimension * kernel.BlockSize)];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = (float)((random.NextDouble() * 2) - 1);
        }
        int[] index = [1, 4, 7, 10];
        float[] value = [1f, 0.5f, -1.5f, 2f];
        var scratch = new float[kernel.ScratchSize];
        kernel.Score(p, index, value, scratch);
        var gradient = new float[p.Length];
        kernel.AddGradient(p, index, value, 1f, scratch, gradient);
        int checkedCoordinates = 0;
        for (int j = 0; j < p.Length; j++)
        {
            float saved = p[j];
            const float H = 1e-2f;
            p[j] = saved + H;
            double up = kernel.Score(p, index, value, scratch);
            p[j] = saved - H;
            double down = kernel.Score(p, index, value, scratch);
            p[j] = saved;
            double numeric = (up - down) / (2 * H);
            Assert.True(Math.Abs(numeric - gradient[j]) < 1e-3 * Math.Max(1, Math.Abs(numeric)), $"{kind} parameter {j}: analytic {gradient[j]}, numeric {numeric}");
            checkedCoordinates += numeric != 0 ? 1 : 0;
        }
        Assert.True(checkedCoordinates > 10);
    }

    [Fact]
    public void The_fm_score_equals_the_explicit_pairwise_sum()
    {
        const int Factors = 3;
        var kernel = new FmKernel(Factors);
        var random = new Random(5);
        var p = new float[1 + (10 * kernel.BlockSize)];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = (float)(random.NextDouble() - 0.5);
        }
        int[] index = [0, 3, 9];
        float[] value = [1f, 2f, -0.5f];
        double expected = p[0];
        for (int a = 0; a < 3; a++)
        {
            expected += p[1 + (index[a] * 4)] * value[a];
            for (int b = a + 1; b < 3; b++)
            {
                for (int f = 0; f < Factors; f++)
                {
                    expected += p[2 + (index[a] * 4) + f] * p[2 + (index[b] * 4) + f] * value[a] * value[b];
                }
            }
        }
        Assert.Equal(expected, kernel.Score(p, index, value, new float[Factors]), 5);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Training_is_deterministic_for_a_seed_and_thread_count(int threads)
    {
        var train = Synthetic.Interaction(3_000, seed: 5);
        var options = Small with { Threads = threads, BatchSize = 64, Epochs = 2 };
        var first = new FactorisationMachine(options);
        var second = new FactorisationMachine(options);
        first.Fit(train);
        second.Fit(train);
        Assert.Equal(first.Core.Parameters, second.Core.Parameters);
    }

    [Fact]
    public void Two_threads_learn_as_well_as_one()
    {
        var train = Synthetic.Interaction(6_000, seed: 6);
        var valid = Synthetic.Interaction(2_000, seed: 7);
        var fm = new FactorisationMachine(Small with { Threads = 2, BatchSize = 16 });
        fm.Fit(train, valid);
        Assert.True(ScoreMetrics.Auc(valid.BinaryLabels(), Synthetic.Predict(fm, valid)) > 0.9);
    }

    [Fact]
    public void Parameters_are_read_from_text_with_the_kind_defaults()
    {
        var ffm = FactorisationOptions.FromParameters(FactorisationOptions.Ffm, "ffm", new Dictionary<string, string> { ["lr"] = "0.2" }, 7);
        Assert.Equal(FactorisationOptions.Ffm.Factors, ffm.Factors);
        Assert.Equal(0.2, ffm.LearningRate);
        Assert.Equal(7, ffm.Seed);
        var e = Assert.Throws<ArgumentException>(() => FactorisationOptions.FromParameters(FactorisationOptions.Fm, "fm", new Dictionary<string, string> { ["factors"] = "8" }, 1));
        Assert.Contains("factors", e.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => FactorisationOptions.FromParameters(FactorisationOptions.Fm, "fm", new Dictionary<string, string> { ["k"] = "0" }, 1));
    }
}
