using Cascade.Core.Domain;
using Cascade.Server.Experiments;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Testing;

namespace Cascade.Server.Tests;

/// <summary>
/// Off-policy evaluation on a log written by a real recommendation service with ε-greedy exploration and clicks drawn
/// from a known model (<see cref="OpeScenario"/>), so each candidate's true click-through on the logged requests is
/// known and the estimates can be checked against it.
/// </summary>
public sealed class OffPolicyEvaluationTests
{
    private const int Users = 1500;

    [Fact]
    public async Task Estimates_of_the_logged_ranking_and_of_a_different_candidate_land_near_their_true_click_through()
    {
        string dir = Directory.CreateTempSubdirectory("cascade-ope-").FullName;
        try
        {
            using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir });
            await OpeScenario.WriteLogAsync(engine, Users, "0.4", new Random(17));

            // (a) the logging policy's own ranking without exploration; (b) a deterministic list that always gives
            // position 1 to the first item beyond the page (within the logging policy's support).
            foreach (var (name, pipeline) in new[] { ("ranking", OpeScenario.Popular()), ("explore-first", OpeScenario.Popular(OpeScenario.Explore("1", "1", "1"))) })
            {
                var candidate = new RecommendationService(engine, new RecommendationOptions { Pipeline = pipeline, LogImpressions = false });
                var report = OffPolicyEvaluation.Run(engine, candidate, new OffPolicyOptions(Apps.Default, OpeScenario.K, SinceMs: OpeScenario.Start));
                Assert.Equal(0, report.SkippedImpressions);
                Assert.Equal(Users * OpeScenario.K, report.ImpressionsInWindow);
                var e = report.Estimates;
                Assert.Equal(Users, e.Requests);
                double truth = OpeScenario.Truth(candidate, Users);
                foreach (var estimate in new[] { e.Ips, e.SelfNormalizedIps, e.DoublyRobust })
                {
                    Assert.True(Math.Abs(estimate.Value - truth) <= 3.5 * estimate.StandardError,
                        $"{name} {estimate.Method}: {estimate.Value:0.0000} ± {estimate.StandardError:0.0000}, truth {truth:0.0000}");
                    Assert.InRange(estimate.StandardError, 1e-4, 0.02);
                }
                Assert.InRange(e.LoggedCtr.Value, 0.03, 0.4);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
