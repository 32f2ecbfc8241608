using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Server.Experiments;
using Cascade.Serving;
using Cascade.Serving.Ingestion;
using Cascade.Storage.Engine;

namespace Cascade.Server.Tests;

/// <summary>
/// Off-policy evaluation on a log written by a real recommendation service with ε-greedy exploration and clicks drawn
/// from a known model (item attractiveness × position examination), so each candidate's true click-through on the
/// logged requests is known and the estimates can be checked against it.
/// </summary>
public sealed class OffPolicyEvaluationTests
{
    private const int Items = 40;
    private const int Users = 1500;
    private const int K = 6;
    private const long Start = 1_800_000_000_000;

    private sealed class ManualClock : TimeProvider
    {
        public long NowMs { get; set; } = Start;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
    }

    private static PipelineOptions Popular(RerankerOptions? explore) => new()
    {
        Sources = [new SourceOptions { Name = "popular", Kind = "popular", Quota = Items }],
        Rerankers = explore is null ? [] : [explore],
    };

    private static RerankerOptions Explore(string positions, string epsilon, string poolSize) =>
        new() { Kind = "explore", Settings = new() { ["positions"] = positions, ["epsilon"] = epsilon, ["poolsize"] = poolSize } };

    // Attractiveness falls with popularity rank only loosely, so the exploring candidate differs from the ranking.
    private static double Attractiveness(int item) => 0.04 + (0.3 * (((item * 7) + 3) % 11) / 10.0);

    private static double Examination(int position) => 1 / Math.Sqrt(position + 1);

    private static double Ctr(string itemId, int position) => Attractiveness(int.Parse(itemId[1..], System.Globalization.CultureInfo.InvariantCulture)) * Examination(position);

    [Fact]
    public async Task Estimates_of_the_logged_ranking_and_of_a_different_candidate_land_near_their_true_click_through()
    {
        string dir = Directory.CreateTempSubdirectory("cascade-ope-").FullName;
        try
        {
            using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir });
            var ingest = new IngestService(engine);
            await ingest.UpsertItemsAsync(Apps.Default, [.. Enumerable.Range(0, Items).Select(i => (ItemInput?)new ItemInput { Id = $"i{i}", Title = $"Item {i}" })], null);
            var random = new Random(17);
            var history = new List<FeedbackEvent>();
            for (int u = 0; u < Users; u++)
            {
                for (int c = 0; c < 3; c++)
                {
                    history.Add(new FeedbackEvent(Apps.Default, null, $"u{u}", $"i{Math.Min(random.Next(Items), random.Next(Items))}", "click", null, Start - 86_400_000 + u, null, null));
                }
            }
            await engine.AppendEventsAsync(history);
            await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));

            // The logging policy: the popular ranking with ε-greedy exploration at positions 1, 3 and 5 from a pool of 5.
            var clock = new ManualClock();
            var logging = new RecommendationService(engine, new RecommendationOptions { Pipeline = Popular(Explore("1,3,5", "0.4", "5")) }, clock);
            logging.Bundles.Train(Apps.Default);
            long since = Start;
            // Each user asks once, so its own clicks never change what it is shown later.
            for (int u = 0; u < Users; u++)
            {
                clock.NowMs = Start + (u * 1000L);
                var served = logging.Recommend(Apps.Default, new RecommendQuery($"u{u}", K));
                var clicks = new List<FeedbackEvent>();
                for (int p = 0; p < served.Items.Count; p++)
                {
                    if (random.NextDouble() < Ctr(served.Items[p].ItemId, p))
                    {
                        clicks.Add(new FeedbackEvent(Apps.Default, null, $"u{u}", served.Items[p].ItemId, "click", null, clock.NowMs + 1, served.RequestId, p));
                    }
                }
                if (clicks.Count > 0)
                {
                    await engine.AppendEventsAsync(clicks);
                }
            }
            await logging.WaitForImpressionsAsync();

            // (a) the logging policy's own ranking without exploration; (b) a deterministic list that always gives
            // position 1 to the first item beyond the page (within the logging policy's support).
            foreach (var (name, pipeline) in new[] { ("ranking", Popular(null)), ("explore-first", Popular(Explore("1", "1", "1"))) })
            {
                var candidate = new RecommendationService(engine, new RecommendationOptions { Pipeline = pipeline, LogImpressions = false });
                var report = OffPolicyEvaluation.Run(engine, candidate, new OffPolicyOptions(Apps.Default, K, SinceMs: since));
                Assert.Equal(0, report.SkippedImpressions);
                Assert.Equal(Users * K, report.ImpressionsInWindow);
                var e = report.Estimates;
                Assert.Equal(Users, e.Requests);
                // The truth: the candidate's list for each logged request (it is deterministic), scored by the click model.
                double truth = 0;
                for (int u = 0; u < Users; u++)
                {
                    var list = candidate.RecommendAtSnapshot(Apps.Default, $"u{u}", K, Start + (u * 1000L), 0);
                    truth += Enumerable.Range(0, K).Sum(p => Ctr(list[p], p));
                }
                truth /= Users * K;
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
