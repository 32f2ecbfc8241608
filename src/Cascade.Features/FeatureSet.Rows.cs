using Cascade.Features.State;

namespace Cascade.Features;

// The one code path that turns feature state into rows. Serving and training both call BeginRequest once per
// (user, time, context) and WriteCandidate once per item, so a column cannot mean one thing online and another
// offline. Everything here reads state as it is; which events the state holds is the caller's business (the
// builder holds exactly those strictly before the row's time).
public sealed partial class FeatureSet
{
    /// <summary>Prepares the user and context part shared by every candidate of one request.</summary>
    internal void BeginRequest(FeatureState state, string userId, RequestContext context, long nowMs, RequestRow row)
    {
        var o = Options;
        row.NowMs = nowMs;
        row.User = state.TryGetUser(userId, out var user) ? user : null;
        row.UserHash = FeatureHashing.Hash(UserHashField, userId);
        row.UserIdCode = FeatureHashing.Code(row.UserHash, o.UserIdBuckets);
        row.Position = PositionCode(context.Position);
        if (o.IncludeContext)
        {
            long localMs = nowMs + o.UtcOffsetMinutes * 60_000L;
            long day = Math.DivRem(localMs, 86_400_000L, out long msOfDay);
            if (msOfDay < 0)
            {
                day--;
                msOfDay += 86_400_000L;
            }
            row.Hour = 1 + (int)(msOfDay / 3_600_000L);
            row.Day = 1 + (int)(((day % 7) + 7 + 4) % 7); // 1970-01-01 was a Thursday; 1 = Sunday … 7 = Saturday
            row.Device = FeatureHashing.Code(DeviceHashField, context.Device, o.ContextBuckets);
            row.Platform = FeatureHashing.Code(PlatformHashField, context.Platform, o.ContextBuckets);
        }

        var u = row.UserNumerics;
        if (u.Length != _userNumerics)
        {
            row.UserNumerics = u = new float[_userNumerics];
        }
        int windows = Rates.Length;
        int k = 0;
        for (int w = 0; w < windows; w++)
        {
            // Both slots share the reference time, so one decay factor serves impressions and positives.
            double decay = user is null ? 0 : DecayedCounters.Factor(user.CountersReference, nowMs, Rates[w]);
            double impressions = user is null ? 0 : user.Counters[w] * decay;
            double positives = user is null ? 0 : user.Counters[windows + w] * decay;
            u[k++] = (float)impressions;
            u[k++] = (float)positives;
            u[k++] = Ctr(positives, impressions);
        }
        u[k++] = user is null ? 0 : user.Positives;
        u[k++] = user is null ? float.NaN : SecondsSince(user.LastEventMs, nowMs);
        u[k] = user is null ? 0 : 1;
    }

    /// <summary>Writes the row of candidate <paramref name="itemId"/> for the request prepared in <paramref name="row"/>.</summary>
    /// <param name="state">The state <paramref name="row"/> was prepared from.</param>
    /// <param name="row">From <see cref="BeginRequest"/>.</param>
    /// <param name="itemId">The candidate.</param>
    /// <param name="positionCode">The position code of this row, or −1 for the request's.</param>
    /// <param name="categorical">Schema.FieldCount codes.</param>
    /// <param name="numeric">Schema.NumericCount values.</param>
    internal void WriteCandidate(FeatureState state, RequestRow row, string itemId, int positionCode, Span<int> categorical, Span<float> numeric)
    {
        var o = Options;
        long now = row.NowMs;
        var user = row.User;
        ItemState? item = state.TryGetItem(itemId, out var found) ? found : null;
        int windows = Rates.Length;

        // Numerics: user block (per request), item block, cross block.
        row.UserNumerics.CopyTo(numeric);
        int k = _userNumerics;
        for (int w = 0; w < windows; w++)
        {
            double decay = item is null ? 0 : DecayedCounters.Factor(item.CountersReference, now, Rates[w]);
            double impressions = item is null ? 0 : item.Counters[w] * decay;
            double positives = item is null ? 0 : item.Counters[windows + w] * decay;
            numeric[k++] = (float)impressions;
            numeric[k++] = (float)positives;
            numeric[k++] = Ctr(positives, impressions);
        }
        numeric[k++] = item is null ? 0 : item.Impressions;
        numeric[k++] = item is null ? 0 : item.Positives;
        numeric[k++] = item is null || item.CreatedAtMs == FeatureState.Unknown ? float.NaN : (float)(Math.Max(0, now - item.CreatedAtMs) / 3_600_000.0);
        numeric[k++] = item is null ? 0 : 1;
        if (o.IncludeCross)
        {
            // Affinity: the strongest of the item's categories per window (a sum would favour items listing many);
            // recency: the latest event in any of them.
            Span<double> best = stackalloc double[windows];
            best.Clear();
            long lastCategory = FeatureState.Unknown;
            if (user is not null && item is not null)
            {
                foreach (int c in item.Categories)
                {
                    int slot = user.FindCategorySlot(c);
                    if (slot < 0)
                    {
                        continue;
                    }
                    var values = user.CategoryPositives(slot, windows);
                    long reference = user.CategoryReferences[slot];
                    for (int w = 0; w < windows; w++)
                    {
                        best[w] = Math.Max(best[w], values[w] * DecayedCounters.Factor(reference, now, Rates[w]));
                    }
                    lastCategory = Math.Max(lastCategory, user.CategoryLastMs[slot]);
                }
            }
            for (int w = 0; w < windows; w++)
            {
                numeric[k++] = (float)best[w];
            }
            numeric[k++] = SecondsSince(lastCategory, now);
            UserItemState pair = default;
            bool hasPair = user is not null && item is not null && user.TryGetPair(item.Index, out pair);
            numeric[k++] = hasPair ? pair.Positives : 0;
            numeric[k++] = hasPair ? pair.Impressions : 0;
            numeric[k] = hasPair ? SecondsSince(pair.LastMs, now) : float.NaN;
        }

        // Categoricals, in the order the constructor laid them out.
        int f = 0;
        if (_userIdField >= 0)
        {
            categorical[f++] = row.UserIdCode;
        }
        if (_itemIdField >= 0)
        {
            categorical[f++] = item?.IdCode ?? FeatureHashing.Code(ItemHashField, itemId, o.ItemIdBuckets);
        }
        int attributes = o.UserAttributes.Count;
        for (int a = 0; a < attributes; a++)
        {
            categorical[f++] = user is null ? 0 : user.AttributeCodes[a];
        }
        categorical[f++] = item?.CategoryCode ?? 0;
        categorical[f++] = item?.CategoryTopCode ?? 0;
        for (int t = 0; t < o.TagSlots; t++)
        {
            categorical[f++] = item is null ? 0 : item.TagCodes[t];
        }
        if (_hourField >= 0)
        {
            categorical[f++] = row.Hour;
            categorical[f++] = row.Day;
            categorical[f++] = positionCode >= 0 ? positionCode : row.Position;
            categorical[f++] = row.Device;
            categorical[f++] = row.Platform;
        }
        if (_crossField >= 0)
        {
            categorical[f++] = item is not null && item.HasLeafCategory ? FeatureHashing.Code(FeatureHashing.Combine(row.UserHash, item.LeafCategoryHash), o.CrossBuckets) : 0;
        }
        foreach (int index in _bucketized)
        {
            categorical[f++] = LogBucket(numeric[index], o.LogBucketCount);
        }
    }

    /// <summary>The position code of a 0-based position (0 when unknown or negative).</summary>
    internal int PositionCode(int? position) => position is { } p && p >= 0 ? 1 + Math.Min(p, Options.PositionCap) : 0;

    /// <summary>The log bucket of <paramref name="value"/>: 0 missing, 1 for ≤ 0, then 2 + ⌊log₂(1 + v)⌋ capped at <paramref name="buckets"/> − 1.</summary>
    /// <param name="value">The value.</param>
    /// <param name="buckets">Codes of the field.</param>
    public static int LogBucket(float value, int buckets)
    {
        if (float.IsNaN(value))
        {
            return 0;
        }
        if (value <= 0)
        {
            return 1;
        }
        double b = 2 + Math.Floor(Math.Log2(1 + (double)value));
        return b >= buckets - 1 ? buckets - 1 : (int)b;
    }

    // A rate: positives without their impressions (clicks sent without impressions logged) must not push it above 1.
    private float Ctr(double positives, double impressions) =>
        (float)Math.Clamp((positives + Options.CtrPrior * Options.CtrPriorStrength) / (impressions + Options.CtrPriorStrength), 0, 1);

    private static float SecondsSince(long thenMs, long nowMs) =>
        thenMs == FeatureState.Unknown ? float.NaN : (float)(Math.Max(0, nowMs - thenMs) / 1000.0);
}

/// <summary>The per-request part of rows (user and context), prepared once and reused for every candidate.</summary>
internal sealed class RequestRow
{
    public long NowMs;
    public UserState? User;
    public ulong UserHash;
    public int UserIdCode;
    public int Hour;
    public int Day;
    public int Position;
    public int Device;
    public int Platform;
    public float[] UserNumerics = [];
}
