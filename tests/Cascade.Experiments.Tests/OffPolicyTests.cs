namespace Cascade.Experiments.Tests;

public sealed class OffPolicyTests
{
    private const int Contexts = 5, Actions = 4;
    private const double Epsilon = 0.2;

    // True click-through rate of each action in each context.
    private static readonly double[,] Ctr =
    {
        { 0.10, 0.04, 0.02, 0.06 },
        { 0.03, 0.12, 0.05, 0.02 },
        { 0.05, 0.02, 0.09, 0.04 },
        { 0.02, 0.06, 0.03, 0.15 },
        { 0.08, 0.05, 0.07, 0.03 },
    };

    /// <summary>The logging policy: ε-greedy around action x mod 4.</summary>
    private static double Logging(int x, int a) => (a == x % Actions ? 1 - Epsilon : 0) + (Epsilon / Actions);

    /// <summary>The target policy: 80 % on action (x + 1) mod 4, the rest spread evenly.</summary>
    private static double Target(int x, int a) => (a == (x + 1) % Actions ? 0.8 : 0) + (0.2 / Actions);

    private static double TrueValue()
    {
        double value = 0;
        for (int x = 0; x < Contexts; x++)
        {
            for (int a = 0; a < Actions; a++)
            {
                value += Target(x, a) * Ctr[x, a] / Contexts;
            }
        }
        return value;
    }

    private static List<LoggedDecision<int>> Log(Random random, int n)
    {
        var log = new List<LoggedDecision<int>>(n);
        for (int i = 0; i < n; i++)
        {
            int x = random.Next(Contexts);
            int a = random.NextDouble() < Epsilon ? random.Next(Actions) : x % Actions;
            log.Add(new LoggedDecision<int>(x, a, Logging(x, a), random.NextDouble() < Ctr[x, a] ? 1 : 0));
        }
        return log;
    }

    [Fact]
    public void Ips_snips_and_doubly_robust_intervals_cover_the_target_policy_s_true_ctr_on_epsilon_greedy_logs()
    {
        var random = new Random(11);
        double truth = TrueValue();
        const int runs = 200;
        var covered = new int[3];
        var sums = new double[3];
        // A deliberately wrong reward model (every rate off by +0.02): DR stays unbiased through the propensities.
        double Model(int x, int a) => Ctr[x, a] + 0.02;
        for (int run = 0; run < runs; run++)
        {
            var estimates = OffPolicy.Evaluate(Log(random, 5000), Actions, Target, Model);
            Assert.Equal([Methods.Ips, Methods.SelfNormalizedIps, Methods.DoublyRobust], estimates.Select(e => e.Method));
            for (int k = 0; k < 3; k++)
            {
                covered[k] += estimates[k].Interval.Contains(truth) ? 1 : 0;
                sums[k] += estimates[k].Value;
            }
        }
        for (int k = 0; k < 3; k++)
        {
            double coverage = covered[k] / (double)runs;
            double bias = (sums[k] / runs) - truth;
            Assert.True(coverage >= 0.9, $"estimator {k}: coverage {coverage}");
            Assert.True(Math.Abs(bias) < 0.003, $"estimator {k}: bias {bias} (truth {truth})");
        }
    }

    [Fact]
    public void The_off_policy_simulator_finds_small_bias_and_near_nominal_coverage()
    {
        var results = OffPolicySimulator.Run(logs: 200, samples: 5000, epsilon: 0.2, seed: 4);
        Assert.Equal([Methods.Ips, Methods.SelfNormalizedIps, Methods.DoublyRobust], results.Select(r => r.Method));
        Assert.All(results, r =>
        {
            Assert.True(r.Coverage >= 0.9, $"{r.Method}: coverage {r.Coverage}");
            Assert.True(Math.Abs(r.Bias) < 0.003, $"{r.Method}: bias {r.Bias}");
        });
    }

    [Fact]
    public void When_the_target_is_the_logging_policy_ips_is_the_mean_reward()
    {
        var log = Log(new Random(12), 2000);
        var ips = OffPolicy.Evaluate(log, Actions, Logging)[0];
        Assert.Equal(log.Average(d => d.Reward), ips.Value, 12);
        Assert.Equal(2000, ips.EffectiveSampleSize, 6);
    }

    [Fact]
    public void A_zero_logging_propensity_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => OffPolicy.Ips([1, 1], [0.5, 0], [1, 0]));
        Assert.Equal("propensities", e.ParamName);
    }
}
