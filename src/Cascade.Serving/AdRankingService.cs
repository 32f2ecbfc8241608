using System.Globalization;
using Cascade.Features;
using Cascade.Ranking;

namespace Cascade.Serving;

/// <summary>One candidate of a ranking request: an item (an ad, or any item) and optionally its bid.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Bid">Price per click the advertiser bids; null for organic ranking by pCTR.</param>
public sealed record RankCandidate(string ItemId, double? Bid);

/// <summary>A ranked candidate with the arithmetic that placed it.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Rank">1-based position among the eligible, or null when it lost (below the reserve).</param>
/// <param name="PCtr">Predicted probability of a click.</param>
/// <param name="PCtrSource">"model:KIND" for the configured CTR model, "empirical" for the smoothed 7-day CTR of the item.</param>
/// <param name="Bid">The bid, if any.</param>
/// <param name="ExpectedValue">pCTR × bid (pCTR without bids).</param>
/// <param name="Price">Under the second-price rule, what a click costs: the least bid that keeps this rank, max(next expected value, reserve) / pCTR, never above the bid. Null without bids.</param>
/// <param name="Explanation">One sentence: how pCTR, value, reserve and price came about.</param>
public sealed record RankedCandidate(string ItemId, int? Rank, double PCtr, string PCtrSource, double? Bid, double ExpectedValue, double? Price, string Explanation);

/// <summary>
/// Ranks a given candidate list (the ads case): pCTR from a calibrated CTR model over the online feature store's rows
/// (or, without a model, the item's smoothed 7-day CTR), expected value = pCTR × bid, a reserve price on the expected
/// value, and the generalised second-price rule for what each winner pays per click. Every candidate is explained.
/// </summary>
/// <param name="store">The online feature store.</param>
/// <param name="ctrModel">A CTR model trained on <see cref="OnlineFeatureStore"/>'s schema that outputs probabilities (e.g. calibrated LR), or null.</param>
/// <param name="clock">Time source.</param>
public sealed class AdRankingService(OnlineFeatureStore store, IRanker? ctrModel = null, TimeProvider? clock = null)
{
    private const string EmpiricalFeature = "item_ctr_7d";
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>The feature store.</summary>
    public OnlineFeatureStore Store { get; } = store;

    /// <summary>The CTR model, or null.</summary>
    public IRanker? CtrModel { get; } = ctrModel is null || ctrModel.OutputsProbability
        ? ctrModel
        : throw new ArgumentException($"The CTR model '{ctrModel.Name}' does not output probabilities; pCTR × bid needs a probability (calibrate it).", nameof(ctrModel));

    /// <summary>Largest bid or reserve price accepted (so every expected value and price stays a finite number).</summary>
    public const double MaxBid = 1e9;

    private static readonly System.Diagnostics.Metrics.Histogram<double> PCtrDistribution = Core.Telemetry.CascadeTelemetry.Meter.CreateHistogram<double>(
        "cascade.rank.pctr", "1", "Predicted click-through rate of each ranked candidate (POST /v1/rank): the prediction's distribution, watched for drift.", tags: null,
        advice: new System.Diagnostics.Metrics.InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1] });

    /// <summary>Ranks <paramref name="candidates"/> for <paramref name="userId"/>.</summary>
    /// <param name="app">The app.</param>
    /// <param name="userId">The user ("" for anonymous).</param>
    /// <param name="candidates">Items with bids (all or none).</param>
    /// <param name="reservePrice">Least expected value per impression an ad must reach to be shown, or null.</param>
    /// <param name="context">Request context (device, platform).</param>
    /// <returns>Winners by rank, then losers.</returns>
    /// <exception cref="ArgumentException">Some candidates have bids and others not, a bid or the reserve is negative, not finite or over <see cref="MaxBid"/>, or an item repeats.</exception>
    public IReadOnlyList<RankedCandidate> Rank(string app, string userId, IReadOnlyList<RankCandidate> candidates, double? reservePrice, RequestContext? context)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        bool bids = candidates.Count > 0 && candidates[0].Bid is not null;
        for (int i = 0; i < candidates.Count; i++)
        {
            if ((candidates[i].Bid is not null) != bids)
            {
                throw new ArgumentException($"candidates[{i}].bid: either every candidate has a bid or none does.");
            }
            if (candidates[i].Bid is { } b && (!double.IsFinite(b) || b < 0 || b > MaxBid))
            {
                throw new ArgumentException($"candidates[{i}].bid: {b} must be a number from 0 to {MaxBid:G}.");
            }
        }
        if (candidates.Select(c => c.ItemId).Distinct(StringComparer.Ordinal).Count() != candidates.Count)
        {
            throw new ArgumentException("candidates: an itemId repeats.");
        }
        if (reservePrice is { } r && (!double.IsFinite(r) || r < 0 || r > MaxBid))
        {
            throw new ArgumentException($"reservePrice: {r} must be a number from 0 to {MaxBid:G}.");
        }
        var ids = candidates.Select(c => c.ItemId).ToArray();
        var rows = Store.Hydrate(app, userId, ids, context, _clock.GetUtcNow().ToUnixTimeMilliseconds());
        var pctr = new float[ids.Length];
        string source;
        if (CtrModel is { } model)
        {
            model.Predict(rows, pctr);
            source = "model:" + model.Name;
        }
        else
        {
            for (int i = 0; i < pctr.Length; i++)
            {
                pctr[i] = Store.Features.Value(rows, i, EmpiricalFeature);
            }
            source = "empirical";
        }
        for (int i = 0; i < pctr.Length; i++)
        {
            pctr[i] = float.IsFinite(pctr[i]) ? Math.Clamp(pctr[i], 0f, 1f) : 0f; // a probability, whatever the model says
        }
        var scored = candidates.Select((c, i) => (Candidate: c, PCtr: (double)pctr[i], Value: pctr[i] * (c.Bid ?? 1.0))).ToList();
        foreach (var s in scored)
        {
            PCtrDistribution.Record(s.PCtr);
        }
        var eligible = scored.Where(s => reservePrice is null || s.Value >= reservePrice).OrderByDescending(s => s.Value).ThenBy(s => s.Candidate.ItemId, StringComparer.Ordinal).ToList();
        var result = new List<RankedCandidate>(candidates.Count);
        for (int i = 0; i < eligible.Count; i++)
        {
            var (c, p, value) = eligible[i];
            double? price = null;
            string why = $"pCTR {F(p)} ({source}){(bids ? $" × bid {F(c.Bid!.Value)}" : "")} = value {F(value)}";
            if (bids)
            {
                double next = i + 1 < eligible.Count ? eligible[i + 1].Value : 0;
                double floor = Math.Max(next, reservePrice ?? 0);
                price = p > 0 ? Math.Min(c.Bid!.Value, floor / p) : 0;
                why += $"; pays {F(price.Value)} per click = max(next value {F(next)}, reserve {F(reservePrice ?? 0)}) / pCTR";
            }
            result.Add(new RankedCandidate(c.ItemId, i + 1, p, source, c.Bid, value, price, why));
        }
        foreach (var (c, p, value) in scored.Where(s => reservePrice is not null && s.Value < reservePrice))
        {
            result.Add(new RankedCandidate(c.ItemId, null, p, source, c.Bid, value, null,
                $"pCTR {F(p)} ({source}){(bids ? $" × bid {F(c.Bid!.Value)}" : "")} = value {F(value)} is below the reserve {F(reservePrice!.Value)}: not shown"));
        }
        return result;
    }

    private static string F(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
