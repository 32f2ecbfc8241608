using Cascade.Core;

namespace Cascade.Experiments;

/// <summary>How one off-policy estimator did over simulated logs.</summary>
/// <param name="Method">The estimator.</param>
/// <param name="Truth">The target policy's true CTR.</param>
/// <param name="MeanEstimate">The mean estimate over logs.</param>
/// <param name="Bias">MeanEstimate − Truth.</param>
/// <param name="Rmse">The root mean squared error over logs.</param>
/// <param name="Coverage">The share of logs whose interval held the truth.</param>
/// <param name="MeanIntervalWidth">The mean width of the intervals.</param>
public sealed record OffPolicySimulationResult(string Method, double Truth, double MeanEstimate, double Bias, double Rmse, double Coverage, double MeanIntervalWidth);

/// <summary>
/// Checks the off-policy estimators on ε-greedy logs with a known truth: contexts and actions with CTRs drawn from the
/// seed (uniform in [0.02, 0.15]); the logging policy is ε-greedy around action (context mod actions), which is not the
/// best; the target policy puts 80 % on each context's truly best action and spreads 20 % evenly; the doubly robust
/// estimator gets a deliberately biased reward model (every CTR + 0.02), so its unbiasedness comes from the propensities.
/// </summary>
public static class OffPolicySimulator
{
    /// <summary>Runs <paramref name="logs"/> logs of <paramref name="samples"/> decisions each.</summary>
    /// <param name="logs">Simulated logs, at least 1.</param>
    /// <param name="samples">Decisions per log, at least 2.</param>
    /// <param name="epsilon">The logging policy's exploration share, in (0, 1].</param>
    /// <param name="seed">The seed.</param>
    /// <param name="contexts">Contexts.</param>
    /// <param name="actions">Actions.</param>
    public static IReadOnlyList<OffPolicySimulationResult> Run(int logs, int samples, double epsilon, ulong seed, int contexts = 5, int actions = 4)
    {
        Guard.Positive(logs);
        Guard.AtLeast(samples, 2);
        Guard.InRange(epsilon, 0, 1, minExclusive: true);
        Guard.Positive(contexts);
        Guard.AtLeast(actions, 2);
        var random = new FastRandom(seed);
        var ctr = new double[contexts, actions];
        var best = new int[contexts];
        for (int x = 0; x < contexts; x++)
        {
            for (int a = 0; a < actions; a++)
            {
                ctr[x, a] = 0.02 + (0.13 * random.NextDouble());
                best[x] = ctr[x, a] > ctr[x, best[x]] ? a : best[x];
            }
        }
        double Logging(int x, int a) => (a == x % actions ? 1 - epsilon : 0) + (epsilon / actions);
        double Target(int x, int a) => (a == best[x] ? 0.8 : 0) + (0.2 / actions);
        double Model(int x, int a) => ctr[x, a] + 0.02;
        double truth = 0;
        for (int x = 0; x < contexts; x++)
        {
            for (int a = 0; a < actions; a++)
            {
                truth += Target(x, a) * ctr[x, a] / contexts;
            }
        }
        string[] methods = [Methods.Ips, Methods.SelfNormalizedIps, Methods.DoublyRobust];
        var sum = new double[3];
        var squared = new double[3];
        var covered = new int[3];
        var width = new double[3];
        var log = new LoggedDecision<int>[samples];
        for (int l = 0; l < logs; l++)
        {
            for (int i = 0; i < samples; i++)
            {
                int x = (int)(random.NextUInt64() % (ulong)contexts);
                int a = random.NextDouble() < epsilon ? (int)(random.NextUInt64() % (ulong)actions) : x % actions;
                log[i] = new LoggedDecision<int>(x, a, Logging(x, a), random.NextDouble() < ctr[x, a] ? 1 : 0);
            }
            var estimates = OffPolicy.Evaluate(log, actions, Target, Model);
            for (int k = 0; k < 3; k++)
            {
                double error = estimates[k].Value - truth;
                sum[k] += estimates[k].Value;
                squared[k] += error * error;
                covered[k] += estimates[k].Interval.Contains(truth) ? 1 : 0;
                width[k] += estimates[k].Interval.Upper - estimates[k].Interval.Lower;
            }
        }
        return [.. Enumerable.Range(0, 3).Select(k => new OffPolicySimulationResult(methods[k], truth, sum[k] / logs, (sum[k] / logs) - truth,
            Math.Sqrt(squared[k] / logs), (double)covered[k] / logs, width[k] / logs))];
    }
}
