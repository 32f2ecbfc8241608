using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Serving;
using Cascade.Serving.Ingestion;
using Cascade.Storage.Engine;

namespace Cascade.Testing;

/// <summary>
/// A log with a known truth for off-policy evaluation, written by a real recommendation service (shared by
/// OffPolicyEvaluationTests and bench/Cascade.Experiments.Bench's `ope`): 40 items, each user with three earlier
/// clicks, then one request per user served by the popularity ranking with ε-greedy exploration at positions 1, 3 and
/// 5 from a pool of 5, impressions logged with their propensities, and clicks drawn from a known model — item
/// attractiveness × position examination 1/√(position + 1) — so any deterministic candidate's true click-through on
/// the logged requests can be computed.
/// </summary>
internal static class OpeScenario
{
    public const int Items = 40;
    public const int K = 6;
    public const long Start = 1_800_000_000_000;

    private sealed class ManualClock : TimeProvider
    {
        public long NowMs { get; set; } = Start;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
    }

    /// <summary>The popularity ranking over every item, followed by these re-rankers.</summary>
    public static PipelineOptions Popular(params RerankerOptions[] rerankers) => new()
    {
        Sources = [new SourceOptions { Name = "popular", Kind = "popular", Quota = Items }],
        Rerankers = [.. rerankers],
    };

    /// <summary>An exploration re-ranker's settings.</summary>
    public static RerankerOptions Explore(string positions, string epsilon, string poolSize) =>
        new() { Kind = "explore", Settings = new() { ["positions"] = positions, ["epsilon"] = epsilon, ["poolsize"] = poolSize } };

    // Attractiveness falls with popularity rank only loosely, so the exploring candidate differs from the ranking.
    private static double Attractiveness(int item) => 0.04 + (0.3 * (((item * 7) + 3) % 11) / 10.0);

    /// <summary>The click probability of an item at a position.</summary>
    public static double Ctr(string itemId, int position) =>
        Attractiveness(int.Parse(itemId.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)) / Math.Sqrt(position + 1);

    /// <summary>Writes the scenario's log into <paramref name="engine"/>: items, earlier clicks, the served requests and their clicks.</summary>
    public static async Task WriteLogAsync(CascadeEngine engine, int users, string epsilon, Random random)
    {
        await new IngestService(engine).UpsertItemsAsync(Apps.Default, [.. Enumerable.Range(0, Items).Select(i => (ItemInput?)new ItemInput { Id = $"i{i}", Title = $"Item {i}" })], null);
        var history = new List<FeedbackEvent>();
        for (int u = 0; u < users; u++)
        {
            for (int c = 0; c < 3; c++)
            {
                history.Add(new FeedbackEvent(Apps.Default, null, $"u{u}", $"i{Math.Min(random.Next(Items), random.Next(Items))}", "click", null, Start - 86_400_000 + u, null, null));
            }
        }
        await engine.AppendEventsAsync(history);
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(60));

        var clock = new ManualClock();
        var logging = new RecommendationService(engine, new RecommendationOptions { Pipeline = Popular(Explore("1,3,5", epsilon, "5")) }, clock);
        logging.Bundles.Train(Apps.Default);
        // Each user asks once, so its own clicks never change what it is shown later.
        for (int u = 0; u < users; u++)
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
    }

    /// <summary>A deterministic candidate's true click-through per impression on the scenario's logged requests.</summary>
    public static double Truth(RecommendationService candidate, int users)
    {
        double truth = 0;
        for (int u = 0; u < users; u++)
        {
            var list = candidate.RecommendAtSnapshot(Apps.Default, $"u{u}", K, Start + (u * 1000L), 0);
            truth += Enumerable.Range(0, K).Sum(p => Ctr(list[p], p));
        }
        return truth / (users * K);
    }
}
