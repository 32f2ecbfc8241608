using System.Diagnostics;
using Cascade.Core.Domain;
using Cascade.Experiments;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Storage.Records;

namespace Cascade.Server.Experiments;

/// <summary>What <see cref="OffPolicyEvaluation"/> reads from the log.</summary>
/// <param name="App">The app.</param>
/// <param name="K">Positions 0 … K − 1 of each logged list are evaluated.</param>
/// <param name="SinceMs">Evaluate requests at or after this time (Unix ms); the candidate is trained on the log before it. Null: the median logged impression time.</param>
/// <param name="UntilMs">Evaluate requests before this time; null for no end.</param>
/// <param name="Variant">Only requests served by this variant; null for all.</param>
/// <param name="MaxRequests">Evaluate at most this many requests (the earliest); 0 for all.</param>
/// <param name="ClickTypes">Event types that count as clicks; null for ["click"].</param>
/// <param name="Seed">Mixed into each request's seed for the candidate's random re-rankers.</param>
public sealed record OffPolicyOptions(string App, int K = 10, long? SinceMs = null, long? UntilMs = null, string? Variant = null, int MaxRequests = 0,
    IReadOnlyList<string>? ClickTypes = null, ulong Seed = 1);

/// <summary>The result of <see cref="OffPolicyEvaluation.Run"/>.</summary>
/// <param name="Estimates">The logging policy's CTR and the candidate's IPS, SNIPS and DR estimates.</param>
/// <param name="SinceMs">The start of the evaluated window (Unix ms).</param>
/// <param name="UntilMs">Its end, or null.</param>
/// <param name="TrainedUpTo">The last log sequence the candidate was trained on.</param>
/// <param name="ImpressionsInWindow">Impressions in the window at positions below K (with or without a propensity).</param>
/// <param name="SkippedImpressions">Of those, impressions without a propensity (left out).</param>
/// <param name="DroppedRequests">Requests left out by the request limit.</param>
/// <param name="ShortLists">Logged impressions left out because the candidate's list did not reach their position.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
public sealed record OffPolicyReport(SlateOffPolicyResult Estimates, long SinceMs, long? UntilMs, long TrainedUpTo, long ImpressionsInWindow, long SkippedImpressions,
    int DroppedRequests, int ShortLists, double Seconds);

/// <summary>
/// <c>cascade experiment ope</c>: estimates a candidate pipeline's click-through per impression from the impressions
/// and clicks in the log (docs/experiments.md). The candidate (a recommendation service configured with the candidate
/// pipeline) is trained on the log up to the start of the evaluated window, then asked, for every logged request in
/// the window, for its top K for that user as of its training; its list is compared position by position with the
/// logged one and the matches reweighted by the logged propensities (<see cref="SlateOffPolicy"/>).
/// </summary>
public static class OffPolicyEvaluation
{
    /// <summary>Runs the evaluation. The candidate service's bundle for the app is replaced by one trained up to the window.</summary>
    /// <param name="engine">The engine whose log holds the impressions and clicks.</param>
    /// <param name="candidate">A recommendation service configured with the candidate pipeline, on <paramref name="engine"/>.</param>
    /// <param name="options">What to read.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <exception cref="ArgumentException">A bad option, or too few logged requests with propensities in the window.</exception>
    public static OffPolicyReport Run(CascadeEngine engine, RecommendationService candidate, OffPolicyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(options);
        if (options.K < 1)
        {
            throw new ArgumentException($"k must be at least 1; got {options.K}.", nameof(options));
        }
        if (options.MaxRequests < 0)
        {
            throw new ArgumentException($"max-requests must be 0 (all) or more; got {options.MaxRequests}.", nameof(options));
        }
        var clock = Stopwatch.StartNew();
        var events = new List<(long Sequence, FeedbackEvent Event)>();
        foreach (var record in engine.Log.ReadFrom())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (record.Kind == Storage.Log.RecordKind.Event && RecordCodec.DecodeEvent(record.Payload.Span) is { } e && e.App == options.App)
            {
                events.Add((record.Sequence, e));
            }
        }
        long since = options.SinceMs ?? MedianImpressionTime(events, options.App)
            ?? throw new ArgumentException($"The log holds no impressions of app '{options.App}'; serve with impressions on first.", nameof(options));
        long until = options.UntilMs ?? long.MaxValue;
        if (since >= until)
        {
            throw new ArgumentException("since must come before until.", nameof(options));
        }
        // The candidate sees the log before the first event of the window (log order follows arrival order).
        long trainedUpTo = engine.Log.LastSequence;
        foreach (var (sequence, e) in events)
        {
            if (e.TimestampMs >= since)
            {
                trainedUpTo = sequence - 1;
                break;
            }
        }
        if (trainedUpTo < 1)
        {
            throw new ArgumentException("Nothing in the log comes before the window, so the candidate has nothing to train on; pass a later --since.", nameof(options));
        }
        var log = new ImpressionLog(options.App, options.ClickTypes ?? ["click"], options.K, since, until, options.Variant);
        foreach (var (_, e) in events)
        {
            log.Add(e);
        }
        var slots = log.Slots();
        var requests = slots.GroupBy(s => s.RequestId, StringComparer.Ordinal).OrderBy(g => g.Min(s => s.TimestampMs)).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        int dropped = 0;
        if (options.MaxRequests > 0 && requests.Count > options.MaxRequests)
        {
            dropped = requests.Count - options.MaxRequests;
            requests = requests.Take(options.MaxRequests).ToList();
            slots = [.. requests.SelectMany(g => g)];
        }
        candidate.Bundles.TrainUpTo(options.App, trainedUpTo);
        var lists = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var request in requests)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = request.First();
            lists[request.Key] = candidate.RecommendAtSnapshot(options.App, first.UserId, options.K, first.TimestampMs, SeedOf(request.Key, options.Seed));
        }
        int shortLists = 0;
        string? Target(LoggedSlot s)
        {
            var list = lists[s.RequestId];
            if (s.Position < list.Count)
            {
                return list[s.Position];
            }
            shortLists++;
            return null;
        }
        var model = new PositionItemCtr(slots);
        var estimates = SlateOffPolicy.Evaluate(slots, Target, model.Predict);
        return new OffPolicyReport(estimates, since, options.UntilMs, trainedUpTo, log.Impressions, log.SkippedImpressions, dropped, shortLists, clock.Elapsed.TotalSeconds);
    }

    private static long? MedianImpressionTime(List<(long Sequence, FeedbackEvent Event)> events, string app)
    {
        var times = events.Where(x => x.Event.Type == "impression" && x.Event.App == app).Select(x => x.Event.TimestampMs).Order().ToList();
        return times.Count == 0 ? null : times[times.Count / 2];
    }

    // FNV-1a over the request id, mixed with the seed: the candidate's random re-rankers replay per request.
    private static ulong SeedOf(string requestId, ulong seed)
    {
        ulong h = 14695981039346656037UL ^ seed;
        foreach (char c in requestId)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return h;
    }
}
