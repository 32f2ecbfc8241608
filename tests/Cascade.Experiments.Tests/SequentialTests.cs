namespace Cascade.Experiments.Tests;

public sealed class SequentialTests
{
    /// <summary>
    /// Runs A/A or A/B experiments of normal data looked at <paramref name="looks"/> times, and counts the runs where the
    /// mSPRT and a naive z test at every look rejected, and where the confidence sequence lost the true difference.
    /// </summary>
    private static (double Sequential, double Naive, double SequenceMisses) Simulate(int runs, int looks, int perLook, double effect, int seed)
    {
        var random = new Random(seed);
        int sequentialRejects = 0, naiveRejects = 0, misses = 0;
        for (int run = 0; run < runs; run++)
        {
            double sumA = 0, sumB = 0, sqA = 0, sqB = 0;
            int n = 0;
            SequentialResult? look = null;
            bool naive = false, missed = false;
            for (int l = 0; l < looks; l++)
            {
                for (int i = 0; i < perLook; i++)
                {
                    double a = Gaussian(random);
                    double b = Gaussian(random) + effect;
                    sumA += a;
                    sumB += b;
                    sqA += a * a;
                    sqB += b * b;
                }
                n += perLook;
                var c = FixedHorizon.WelchT(SampleSummary.FromSums(n, sumA, sqA), SampleSummary.FromSums(n, sumB, sqB));
                naive |= Math.Abs(c.Statistic) > 1.959963984540054;
                look = MixtureSprt.Look(c.AbsoluteLift, c.StandardError * c.StandardError, mixingVariance: 0.01, alpha: 0.05, previous: look);
                missed |= !look.ConfidenceSequence.Contains(effect);
            }
            sequentialRejects += look!.Rejects ? 1 : 0;
            naiveRejects += naive ? 1 : 0;
            misses += missed ? 1 : 0;
        }
        return ((double)sequentialRejects / runs, (double)naiveRejects / runs, (double)misses / runs);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public void The_msprt_keeps_its_false_positive_rate_under_daily_peeking_while_a_naive_z_test_does_not()
    {
        var (sequential, naive, misses) = Simulate(runs: 300, looks: 20, perLook: 200, effect: 0, seed: 17);
        Assert.True(sequential <= 0.08, $"sequential false-positive rate {sequential}");
        Assert.True(naive >= 0.15, $"naive false-positive rate {naive}");
        Assert.True(naive > 2 * sequential, $"naive {naive} vs sequential {sequential}");
        Assert.True(misses <= 0.08, $"confidence sequence lost the truth in {misses} of runs");
    }

    [Fact]
    public void The_msprt_detects_a_real_difference_and_its_sequence_keeps_the_truth()
    {
        var (sequential, _, misses) = Simulate(runs: 100, looks: 20, perLook: 200, effect: 0.1, seed: 18);
        Assert.True(sequential >= 0.8, $"power {sequential}");
        Assert.True(misses <= 0.1, $"misses {misses}");
    }

    [Fact]
    public void The_always_valid_p_value_never_rises_and_the_sequence_only_shrinks()
    {
        var first = MixtureSprt.Look(0.03, 0.0001, 0.0004);
        var second = MixtureSprt.Look(0.0, 0.00005, 0.0004, previous: first);
        Assert.Equal(2, second.Looks);
        Assert.True(second.PValue <= first.PValue);
        Assert.True(second.ConfidenceSequence.Lower >= first.ConfidenceSequence.Lower);
        Assert.True(second.ConfidenceSequence.Upper <= first.ConfidenceSequence.Upper);
        Assert.Equal(Methods.MixtureSprtNormal, second.Method);
    }

    [Fact]
    public void The_likelihood_ratio_and_interval_follow_the_closed_form()
    {
        // V = 1, τ² = 3, Δ = 2: Λ = √(1/4) · exp(3 · 4 / (2 · 1 · 4)) = 0.5 e^1.5.
        var r = MixtureSprt.Look(2, 1, 3, alpha: 0.05);
        Assert.Equal(0.5 * Math.Exp(1.5), r.LikelihoodRatio, 12);
        Assert.Equal(1 / r.LikelihoodRatio, r.PValue, 12);
        double half = Math.Sqrt(4.0 / 3 * ((2 * Math.Log(20)) + Math.Log(4)));
        Assert.Equal(2 - half, r.ConfidenceSequence.Lower, 12);
    }
}
