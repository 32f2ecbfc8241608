using System.Diagnostics;
using Cascade.Core.Domain;

namespace Cascade.Features;

/// <summary>What <see cref="FeaturesBenchmark.Run"/> measured.</summary>
/// <param name="Events">Events observed.</param>
/// <param name="Users">Users with state.</param>
/// <param name="Items">Items with state.</param>
/// <param name="ObserveEventsPerSecond">Events applied per second by one thread through <see cref="OnlineFeatureStore.Observe(FeedbackEvent)"/>.</param>
/// <param name="Candidates">Candidates per hydrated request.</param>
/// <param name="HydrateMedianMicroseconds">Median time of one <see cref="OnlineFeatureStore.Hydrate"/> call.</param>
/// <param name="HydrateP99Microseconds">99th percentile of the same.</param>
/// <param name="TrainingRows">Rows built by the training-set builder.</param>
/// <param name="BuildRowsPerSecond">Training rows per second, replay included.</param>
/// <param name="Columns">Categorical fields + numeric features per row.</param>
/// <param name="ObserveCpuEventsPerSecond">Events per second of process CPU time (less sensitive to a shared machine than wall time).</param>
/// <param name="HydrateCpuMeanMicroseconds">Mean process CPU time of one hydrate call.</param>
public sealed record FeaturesBenchmarkResult(
    int Events,
    int Users,
    int Items,
    double ObserveEventsPerSecond,
    int Candidates,
    double HydrateMedianMicroseconds,
    double HydrateP99Microseconds,
    int TrainingRows,
    double BuildRowsPerSecond,
    int Columns,
    double ObserveCpuEventsPerSecond,
    double HydrateCpuMeanMicroseconds);

/// <summary>
/// A self-contained timing of the feature store on a synthetic app (skewed popularity, 3 categories and tags per
/// item, 30 % impressions): observe throughput, hydrate latency for one request's candidates and training-set build
/// throughput. For <c>cascade bench</c> and docs/benchmarks.md; not a test.
/// </summary>
public static class FeaturesBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    /// <param name="users">Users in the synthetic app.</param>
    /// <param name="items">Items in the synthetic app.</param>
    /// <param name="events">Events observed by the store.</param>
    /// <param name="candidates">Candidates per hydrated request.</param>
    /// <param name="requests">Hydrate calls timed (after 50 warm-up calls).</param>
    /// <param name="trainingEvents">Events replayed by the training-set builder (a prefix of the same stream).</param>
    /// <param name="features">The feature set (default options when null).</param>
    /// <param name="seed">Seed of the synthetic data.</param>
    public static FeaturesBenchmarkResult Run(int users = 20_000, int items = 50_000, int events = 1_000_000, int candidates = 500, int requests = 1_000, int trainingEvents = 200_000, FeatureSet? features = null, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        features ??= FeatureSet.Default;
        const string app = "bench";
        var rng = new Random(seed);
        long start = 1_700_000_000_000;
        var catalog = new List<Item>(items);
        for (int i = 0; i < items; i++)
        {
            string[] categories = ["top" + rng.Next(20), "mid" + rng.Next(200), "leaf" + rng.Next(2000)];
            string[] tags = ["t" + rng.Next(5000), "t" + rng.Next(5000)];
            catalog.Add(new Item(app, "i" + i, "", categories, tags, "{}", DateTimeOffset.FromUnixTimeMilliseconds(start - rng.NextInt64(0, 365 * 86_400_000L)), false, null));
        }
        var people = new List<User>(users);
        for (int u = 0; u < users; u++)
        {
            people.Add(new User(app, "u" + u, "{\"country\":\"c" + rng.Next(50) + "\"}"));
        }
        string[] types = ["impression", "impression", "impression", "click", "like", "purchase", "dislike", "impression", "click", "impression"];
        var stream = new FeedbackEvent[events];
        for (int e = 0; e < events; e++)
        {
            // Squared uniforms skew activity and popularity towards low ids, like real logs.
            int u = (int)(users * Math.Pow(rng.NextDouble(), 2));
            int i = (int)(items * Math.Pow(rng.NextDouble(), 2));
            string type = types[rng.Next(types.Length)];
            stream[e] = new FeedbackEvent(app, null, "u" + u, "i" + i, type, null, start + e * 600L, type == "impression" ? "r" + (e / 8) : null, type == "impression" ? e % 8 : null);
        }

        using var store = new OnlineFeatureStore(features, EventTypeRegistry.Default);
        var clock = Stopwatch.StartNew();
        foreach (var item in catalog)
        {
            store.Observe(item);
        }
        foreach (var user in people)
        {
            store.Observe(user);
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        clock.Restart();
        foreach (var e in stream)
        {
            store.Observe(e);
        }
        double observeSeconds = clock.Elapsed.TotalSeconds;
        double observeCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var (stateUsers, stateItems, _) = store.Count(app);

        long now = start + events * 600L + 1;
        var lists = new string[16][];
        for (int l = 0; l < lists.Length; l++)
        {
            lists[l] = new string[candidates];
            for (int c = 0; c < candidates; c++)
            {
                lists[l][c] = "i" + (int)(items * Math.Pow(rng.NextDouble(), 2));
            }
        }
        var context = new RequestContext("mobile", "ios", 0);
        for (int w = 0; w < 50; w++)
        {
            store.Hydrate(app, "u" + w, lists[w % lists.Length], context, now);
        }
        var times = new double[requests];
        cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (int r = 0; r < requests; r++)
        {
            string user = "u" + (int)(users * Math.Pow(rng.NextDouble(), 2));
            long t0 = Stopwatch.GetTimestamp();
            store.Hydrate(app, user, lists[r % lists.Length], context, now);
            times[r] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        double hydrateCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / requests;
        Array.Sort(times);

        var builder = new TrainingSetBuilder(features, EventTypeRegistry.Default, new TrainingSetOptions { Source = ExampleSource.Impressions });
        clock.Restart();
        var training = builder.Build(stream.AsSpan(0, Math.Min(trainingEvents, events)).ToArray(), catalog, people);
        double buildSeconds = clock.Elapsed.TotalSeconds;

        return new FeaturesBenchmarkResult(
            events,
            stateUsers,
            stateItems,
            events / observeSeconds,
            candidates,
            times[times.Length / 2],
            times[Math.Min(times.Length - 1, (int)(times.Length * 0.99))],
            training.Data.Rows,
            training.Data.Rows / buildSeconds,
            features.Schema.FieldCount + features.Schema.NumericCount,
            events / observeCpu,
            hydrateCpu);
    }
}
