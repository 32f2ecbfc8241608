using Cascade.Core.Domain;

namespace Cascade.Experiments;

/// <summary>One logged impression for off-policy evaluation of ranked lists.</summary>
/// <param name="RequestId">The recommendation request that showed it.</param>
/// <param name="UserId">The user it was shown to.</param>
/// <param name="Position">The 0-based position.</param>
/// <param name="ItemId">The item shown.</param>
/// <param name="Propensity">The logging policy's probability of showing that item at that position, in (0, 1].</param>
/// <param name="Clicked">Whether a click named this request and position (or this request and item).</param>
/// <param name="TimestampMs">When it was shown (Unix ms).</param>
public sealed record LoggedSlot(string RequestId, string UserId, int Position, string ItemId, double Propensity, bool Clicked, long TimestampMs);

/// <summary>
/// Collects a log's impressions and clicks for off-policy evaluation: impressions in a time window (optionally of one
/// variant) at positions below k, joined to clicks that name their request and position (or request and item). An
/// impression without a propensity (written before propensities were logged, a batch list, a Thompson-sampling slot)
/// cannot be reweighted: it is counted in <see cref="SkippedImpressions"/> and left out.
/// </summary>
public sealed class ImpressionLog
{
    private readonly HashSet<string> _clickTypes;
    private readonly int _k;
    private readonly long _since;
    private readonly long _until;
    private readonly string? _variant;
    private readonly string _app;
    private readonly List<FeedbackEvent> _impressions = [];
    private readonly HashSet<(string Request, int Position)> _clickedPositions = [];
    private readonly HashSet<(string Request, string Item)> _clickedItems = [];

    /// <summary>Prepares the join.</summary>
    /// <param name="app">The app whose events count.</param>
    /// <param name="clickTypes">Event types that count as clicks.</param>
    /// <param name="k">Only positions 0 … k − 1 count.</param>
    /// <param name="sinceMs">Impressions at or after this time (Unix ms).</param>
    /// <param name="untilMs">Impressions before this time (Unix ms).</param>
    /// <param name="variant">Only impressions served by this variant, or null for all.</param>
    /// <exception cref="ArgumentException">No click type, k below 1, or an empty window.</exception>
    public ImpressionLog(string app, IEnumerable<string> clickTypes, int k, long sinceMs = long.MinValue, long untilMs = long.MaxValue, string? variant = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(clickTypes);
        _clickTypes = [.. clickTypes];
        if (_clickTypes.Count == 0)
        {
            throw new ArgumentException("At least one click event type is needed.", nameof(clickTypes));
        }
        if (k < 1)
        {
            throw new ArgumentException($"k must be at least 1; got {k}.", nameof(k));
        }
        if (sinceMs >= untilMs)
        {
            throw new ArgumentException("The window is empty: since must come before until.", nameof(untilMs));
        }
        (_app, _k, _since, _until, _variant) = (app, k, sinceMs, untilMs, variant);
    }

    /// <summary>Impressions in the window (and variant) at positions below k.</summary>
    public long Impressions => _impressions.Count;

    /// <summary>Of <see cref="Impressions"/>, those without a propensity (left out).</summary>
    public long SkippedImpressions { get; private set; }

    /// <summary>Impressions in the window at positions k and beyond (left out).</summary>
    public long BeyondK { get; private set; }

    /// <summary>Reads one event; events of other apps and types are ignored.</summary>
    /// <param name="e">The event.</param>
    public void Add(FeedbackEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.App != _app || e.RequestId is null)
        {
            return;
        }
        if (e.Type == "impression")
        {
            if (e.Position is not { } p || e.TimestampMs < _since || e.TimestampMs >= _until || (_variant is not null && e.Variant != _variant))
            {
                return;
            }
            if (p >= _k)
            {
                BeyondK++;
                return;
            }
            _impressions.Add(e);
            if (e.Propensity is not (> 0 and <= 1))
            {
                SkippedImpressions++;
            }
        }
        else if (_clickTypes.Contains(e.Type))
        {
            if (e.Position is { } p)
            {
                _clickedPositions.Add((e.RequestId, p));
            }
            else
            {
                _clickedItems.Add((e.RequestId, e.ItemId));
            }
        }
    }

    /// <summary>The impressions with a propensity, joined to their clicks, in log order.</summary>
    public IReadOnlyList<LoggedSlot> Slots() =>
        [.. _impressions.Where(e => e.Propensity is > 0 and <= 1).Select(e => new LoggedSlot(e.RequestId!, e.UserId, e.Position!.Value, e.ItemId, e.Propensity!.Value,
            _clickedPositions.Contains((e.RequestId!, e.Position!.Value)) || _clickedItems.Contains((e.RequestId!, e.ItemId)), e.TimestampMs))];
}

/// <summary>
/// A smoothed click-through model per (position, item), fitted on logged slots: r̂(p, i) = (clicks(p, i) + m · ctr(p))
/// / (impressions(p, i) + m), with ctr(p) the position's click-through and m the prior strength. The doubly robust
/// estimator's reward model; unseen pairs get the position's rate.
/// </summary>
public sealed class PositionItemCtr
{
    private readonly Dictionary<(int, string), (double Clicks, double Shown)> _pairs = [];
    private readonly Dictionary<int, (double Clicks, double Shown)> _positions = [];
    private readonly double _strength;
    private readonly double _overall;

    /// <summary>Fits the model.</summary>
    /// <param name="slots">The logged slots.</param>
    /// <param name="strength">The prior strength m (pseudo-impressions at the position's rate), at least 0.</param>
    public PositionItemCtr(IEnumerable<LoggedSlot> slots, double strength = 20)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentOutOfRangeException.ThrowIfNegative(strength);
        _strength = strength;
        double clicks = 0, shown = 0;
        foreach (var s in slots)
        {
            double c = s.Clicked ? 1 : 0;
            var pair = _pairs.GetValueOrDefault((s.Position, s.ItemId));
            _pairs[(s.Position, s.ItemId)] = (pair.Clicks + c, pair.Shown + 1);
            var position = _positions.GetValueOrDefault(s.Position);
            _positions[s.Position] = (position.Clicks + c, position.Shown + 1);
            clicks += c;
            shown++;
        }
        _overall = shown > 0 ? clicks / shown : 0;
    }

    /// <summary>The modelled click-through of <paramref name="itemId"/> at <paramref name="position"/>.</summary>
    /// <param name="position">The position.</param>
    /// <param name="itemId">The item.</param>
    public double Predict(int position, string itemId)
    {
        double prior = _positions.TryGetValue(position, out var p) && p.Shown > 0 ? p.Clicks / p.Shown : _overall;
        var pair = _pairs.GetValueOrDefault((position, itemId));
        return pair.Shown + _strength > 0 ? (pair.Clicks + (_strength * prior)) / (pair.Shown + _strength) : prior;
    }
}

/// <summary>The off-policy estimates of a candidate ranking's click-through per impression.</summary>
/// <param name="Requests">Logged requests used.</param>
/// <param name="Impressions">Logged impressions used (with a propensity, where the candidate also shows an item).</param>
/// <param name="Matches">Of those, impressions where the candidate shows the logged item at the logged position.</param>
/// <param name="LoggedCtr">The logging policy's observed click-through per impression, with its interval.</param>
/// <param name="Ips">Inverse propensity scoring.</param>
/// <param name="SelfNormalizedIps">Self-normalised IPS.</param>
/// <param name="DoublyRobust">Doubly robust, with the <see cref="PositionItemCtr"/> reward model.</param>
public sealed record SlateOffPolicyResult(int Requests, int Impressions, int Matches, OffPolicyEstimate LoggedCtr, OffPolicyEstimate Ips, OffPolicyEstimate SelfNormalizedIps,
    OffPolicyEstimate DoublyRobust);

/// <summary>
/// Off-policy estimates of a deterministic candidate ranking's click-through per impression from logged ranked lists,
/// under the position-based assumption that a click at a position depends on the item and the position only (not on
/// the rest of the list). Per logged impression i (request r, position p, item aᵢ, propensity μᵢ, click cᵢ) and the
/// candidate's item tᵢ at p, the weight is wᵢ = 1[tᵢ = aᵢ] / μᵢ. IPS = Σwᵢcᵢ / N; SNIPS = Σwᵢcᵢ / Σwᵢ; DR = Σ[r̂(p, tᵢ) +
/// wᵢ(cᵢ − r̂(p, aᵢ))] / N. Impressions of one request are correlated, so the standard errors treat requests as the
/// units (ratio estimators by the delta method over per-request sums), and intervals are normal.
/// </summary>
public static class SlateOffPolicy
{
    /// <summary>Estimates the candidate's click-through per impression.</summary>
    /// <param name="slots">The logged slots (each with a propensity).</param>
    /// <param name="targetItem">The candidate's item at (request, position), or null when its list is shorter (the slot is left out).</param>
    /// <param name="rewardModel">r̂(position, item) for doubly robust.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    /// <exception cref="ArgumentException">Fewer than 2 requests remain.</exception>
    public static SlateOffPolicyResult Evaluate(IReadOnlyList<LoggedSlot> slots, Func<LoggedSlot, string?> targetItem, Func<int, string, double> rewardModel,
        double confidenceLevel = FixedHorizon.DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(slots);
        ArgumentNullException.ThrowIfNull(targetItem);
        ArgumentNullException.ThrowIfNull(rewardModel);
        var requests = new Dictionary<string, int>(StringComparer.Ordinal);
        // Per request: impressions, clicks, Σw, Σwc, ΣDR term.
        var sums = new List<double[]>();
        double sumW = 0, sumW2 = 0;
        int impressions = 0, matches = 0;
        foreach (var s in slots)
        {
            if (!(s.Propensity is > 0 and <= 1))
            {
                throw new ArgumentException($"Slot {s.RequestId}/{s.Position} has propensity {s.Propensity}; it must lie in (0, 1].", nameof(slots));
            }
            if (targetItem(s) is not { } target)
            {
                continue;
            }
            if (!requests.TryGetValue(s.RequestId, out int r))
            {
                requests[s.RequestId] = r = sums.Count;
                sums.Add(new double[5]);
            }
            double c = s.Clicked ? 1 : 0;
            bool match = string.Equals(target, s.ItemId, StringComparison.Ordinal);
            double w = match ? 1 / s.Propensity : 0;
            var row = sums[r];
            row[0]++;
            row[1] += c;
            row[2] += w;
            row[3] += w * c;
            row[4] += rewardModel(s.Position, target) + (w * (c - rewardModel(s.Position, s.ItemId)));
            sumW += w;
            sumW2 += w * w;
            impressions++;
            matches += match ? 1 : 0;
        }
        if (sums.Count < 2)
        {
            throw new ArgumentException($"Off-policy evaluation needs at least 2 logged requests with propensities; got {sums.Count}.", nameof(slots));
        }
        double ess = sumW2 > 0 ? sumW * sumW / sumW2 : 0;
        double z = Normal.Quantile(1 - ((1 - confidenceLevel) / 2));
        OffPolicyEstimate Ratio(string method, int numerator, int denominator, double effective)
        {
            double num = 0, den = 0;
            foreach (var row in sums)
            {
                num += row[numerator];
                den += row[denominator];
            }
            double value = den > 0 ? num / den : 0;
            double meanDen = den / sums.Count;
            // Delta method: the ratio's variance is that of (num_r − value · den_r) / mean(den) over requests, over R.
            var terms = new double[sums.Count];
            for (int i = 0; i < terms.Length; i++)
            {
                terms[i] = meanDen > 0 ? (sums[i][numerator] - (value * sums[i][denominator])) / meanDen : 0;
            }
            double se = Math.Sqrt(SampleSummary.FromValues(terms).VarianceOfMean);
            return new OffPolicyEstimate(method, value, se, Interval.Around(value, z * se), impressions, effective);
        }
        return new SlateOffPolicyResult(sums.Count, impressions, matches,
            Ratio("logged", 1, 0, impressions),
            Ratio(Methods.Ips, 3, 0, ess),
            Ratio(Methods.SelfNormalizedIps, 3, 2, ess),
            Ratio(Methods.DoublyRobust, 4, 0, ess));
    }
}
