using System.Globalization;
using Cascade.Core.Domain;
using Cascade.Server.Experiments;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Testing;

/// <summary>
/// `ope RUNS [USERS] [EPSILON]`: off-policy evaluation from a log that a real recommendation service wrote
/// (<see cref="OpeScenario"/>, the scenario of OffPolicyEvaluationTests), repeated with fresh clicks and exploration
/// draws. Per run, `OffPolicyEvaluation` (the code of `cascade experiment ope`) estimates two deterministic candidates'
/// CTR per impression — the logged ranking without exploration, and one that always puts the first item beyond the
/// page at position 1 — and each estimate is compared with the candidate's true CTR on the same requests. Prints the
/// bias, the RMSE and the coverage of the 95 % intervals per candidate and estimator.
/// </summary>
internal static class OpeBench
{
    public static async Task Run(string[] args)
    {
        int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        int users = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1500;
        string epsilon = args.Length > 2 ? args[2] : "0.4";
        var candidates = new[] { ("ranking", OpeScenario.Popular()), ("explore-first", OpeScenario.Popular(OpeScenario.Explore("1", "1", "1"))) };
        var stats = new Dictionary<(string, string), (double Bias, double Squared, int Covered, double Se, double Ess)>();
        double[] truthSum = new double[candidates.Length];
        for (int run = 0; run < runs; run++)
        {
            string dir = Path.Combine(Path.GetTempPath(), "cascade-ope-bench-" + Guid.NewGuid().ToString("N"));
            try
            {
                using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir, Log = new EventLogOptions { Durability = DurabilityMode.Off } });
                await OpeScenario.WriteLogAsync(engine, users, epsilon, new Random(1000 + run));
                for (int c = 0; c < candidates.Length; c++)
                {
                    var (name, pipeline) = candidates[c];
                    var candidate = new RecommendationService(engine, new RecommendationOptions { Pipeline = pipeline, LogImpressions = false });
                    var e = OffPolicyEvaluation.Run(engine, candidate, new OffPolicyOptions(Apps.Default, OpeScenario.K, SinceMs: OpeScenario.Start)).Estimates;
                    double truth = OpeScenario.Truth(candidate, users);
                    truthSum[c] += truth;
                    foreach (var estimate in new[] { e.Ips, e.SelfNormalizedIps, e.DoublyRobust })
                    {
                        var key = (name, estimate.Method);
                        var s = stats.GetValueOrDefault(key);
                        double error = estimate.Value - truth;
                        stats[key] = (s.Bias + error, s.Squared + (error * error), s.Covered + (estimate.Interval.Contains(truth) ? 1 : 0),
                            s.Se + estimate.StandardError, s.Ess + estimate.EffectiveSampleSize);
                    }
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
            Console.Error.Write($"\rrun {run + 1}/{runs}");
        }
        Console.Error.WriteLine();
        Console.WriteLine($"ope-bench: runs={runs} users={users} impressions_per_run={users * OpeScenario.K} epsilon={epsilon} (positions 1,3,5, pool 5)");
        Console.WriteLine("| candidate | true CTR (mean) | estimator | bias | RMSE | 95 % coverage | mean SE | mean ESS |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|");
        for (int c = 0; c < candidates.Length; c++)
        {
            foreach (var ((name, method), s) in stats.Where(p => p.Key.Item1 == candidates[c].Item1))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {truthSum[c] / runs:0.00000} | {method} | {s.Bias / runs:+0.00000;-0.00000} | {Math.Sqrt(s.Squared / runs):0.00000} | {(double)s.Covered / runs:0.000} | {s.Se / runs:0.00000} | {s.Ess / runs:0} |"));
            }
        }
    }
}
