using Cascade.Core.Domain;

namespace Cascade.Features.Tests;

/// <summary>
/// The naive reference: every column of one row recomputed from scratch by scanning all events with a timestamp
/// strictly before the row's time. Written from the column definitions in docs/features.md, not from the store.
/// </summary>
public sealed class BruteForceFeatures(FeatureSetOptions options, IReadOnlyList<FeedbackEvent> events, IReadOnlyList<Item> items, IReadOnlyList<User> users)
{
    private readonly Dictionary<string, Item> _items = items.GroupBy(i => i.Id).ToDictionary(g => g.Key, g => g.Last());
    private readonly Dictionary<string, User> _users = users.GroupBy(u => u.Id).ToDictionary(g => g.Key, g => g.Last());

    public static EventRole? Role(string type) => EventTypeRegistry.Default.TryGet(type, out var t) ? t.Role : null;

    public Dictionary<string, double> Row(string userId, string itemId, long t, RequestContext context, int? position)
    {
        var before = events.Where(e => e.TimestampMs < t && Role(e.Type) is not null).ToList();
        var mine = before.Where(e => e.UserId == userId).ToList();
        var its = before.Where(e => e.ItemId == itemId).ToList();
        var row = new Dictionary<string, double>();
        double prior = options.CtrPrior, strength = options.CtrPriorStrength;
        foreach (string w in options.Windows)
        {
            double h = FeatureSetOptions.ParseWindow(w);
            double Decayed(IEnumerable<FeedbackEvent> es) => es.Sum(e => Math.Pow(2, -(t - e.TimestampMs) / h));
            double ui = Decayed(mine.Where(e => Role(e.Type) == EventRole.Impression));
            double up = Decayed(mine.Where(e => Role(e.Type) == EventRole.Positive));
            row[$"user_impressions_{w}"] = ui;
            row[$"user_positives_{w}"] = up;
            row[$"user_ctr_{w}"] = Math.Min(1, (up + prior * strength) / (ui + strength));
            double ii = Decayed(its.Where(e => Role(e.Type) == EventRole.Impression));
            double ip = Decayed(its.Where(e => Role(e.Type) == EventRole.Positive));
            row[$"item_impressions_{w}"] = ii;
            row[$"item_positives_{w}"] = ip;
            row[$"item_ctr_{w}"] = Math.Min(1, (ip + prior * strength) / (ii + strength));
            double best = 0;
            foreach (string c in Categories(itemId))
            {
                best = Math.Max(best, Decayed(mine.Where(e => Role(e.Type) == EventRole.Positive && Categories(e.ItemId).Contains(c))));
            }
            row[$"user_category_positives_{w}"] = best;
        }
        bool userKnown = _users.ContainsKey(userId) || mine.Count > 0;
        row["user_positives_total"] = mine.Count(e => Role(e.Type) == EventRole.Positive);
        var acted = mine.Where(e => Role(e.Type) != EventRole.Impression).ToList();
        row["user_seconds_since_last_event"] = acted.Count == 0 ? double.NaN : (t - acted.Max(e => e.TimestampMs)) / 1000.0;
        row["user_known"] = userKnown ? 1 : 0;
        bool itemKnown = _items.ContainsKey(itemId) || its.Count > 0;
        row["item_impressions_total"] = its.Count(e => Role(e.Type) == EventRole.Impression);
        row["item_positives_total"] = its.Count(e => Role(e.Type) == EventRole.Positive);
        row["item_age_hours"] = _items.TryGetValue(itemId, out var item) && item.CreatedAt != default
            ? Math.Max(0, t - item.CreatedAt.ToUnixTimeMilliseconds()) / 3_600_000.0
            : double.NaN;
        row["item_known"] = itemKnown ? 1 : 0;
        var inCategory = acted.Where(e => Categories(e.ItemId).Intersect(Categories(itemId)).Any()).ToList();
        row["user_seconds_since_category_event"] = inCategory.Count == 0 ? double.NaN : (t - inCategory.Max(e => e.TimestampMs)) / 1000.0;
        var pair = mine.Where(e => e.ItemId == itemId).ToList();
        row["user_item_positives"] = pair.Count(e => Role(e.Type) == EventRole.Positive);
        row["user_item_impressions"] = pair.Count(e => Role(e.Type) == EventRole.Impression);
        var pairActed = pair.Where(e => Role(e.Type) != EventRole.Impression).ToList();
        row["user_item_seconds_since_last"] = pairActed.Count == 0 ? double.NaN : (t - pairActed.Max(e => e.TimestampMs)) / 1000.0;

        // Categoricals.
        row["user_id"] = FeatureHashing.Code("user_id", userId, options.UserIdBuckets);
        row["item_id"] = FeatureHashing.Code("item_id", itemId, options.ItemIdBuckets);
        foreach (string key in options.UserAttributes)
        {
            string? value = null;
            if (_users.TryGetValue(userId, out var user) && user.AttributesJson.Contains($"\"{key}\"", StringComparison.Ordinal))
            {
                using var doc = System.Text.Json.JsonDocument.Parse(user.AttributesJson);
                var v = doc.RootElement.GetProperty(key);
                value = v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : v.GetRawText();
            }
            row["user_attr_" + key] = FeatureHashing.Code("user_attr_" + key, value, options.UserAttributeBuckets);
        }
        var cats = item?.Categories.Where(c => c.Length > 0).ToList() ?? [];
        row["item_category"] = cats.Count == 0 ? 0 : FeatureHashing.Code("category", cats[^1], options.CategoryBuckets);
        row["item_category_top"] = cats.Count == 0 ? 0 : FeatureHashing.Code("category", cats[0], options.CategoryBuckets);
        for (int k = 0; k < options.TagSlots; k++)
        {
            row[$"item_tag_{k}"] = item is not null && k < item.Tags.Count ? FeatureHashing.Code("tag", item.Tags[k], options.TagBuckets) : 0;
        }
        var local = DateTimeOffset.FromUnixTimeMilliseconds(t).ToOffset(TimeSpan.FromMinutes(options.UtcOffsetMinutes));
        row["hour_of_day"] = 1 + local.Hour;
        row["day_of_week"] = 1 + (int)local.DayOfWeek;
        row["position"] = position is { } p ? 1 + Math.Min(p, options.PositionCap) : 0;
        row["device"] = FeatureHashing.Code("device", context.Device, options.ContextBuckets);
        row["platform"] = FeatureHashing.Code("platform", context.Platform, options.ContextBuckets);
        row["user_x_category"] = cats.Count == 0 ? 0 : FeatureHashing.Code(FeatureHashing.Combine(FeatureHashing.Hash("user_id", userId), FeatureHashing.Hash("category", cats[^1])), options.CrossBuckets);
        return row;
    }

    /// <summary>Brute-force label of an impression: a positive by the same user on the same item in [t, t + window], request ids compatible.</summary>
    public bool Label(FeedbackEvent impression, long window) =>
        events.Any(e => Role(e.Type) == EventRole.Positive && e.UserId == impression.UserId && e.ItemId == impression.ItemId
            && e.TimestampMs >= impression.TimestampMs && e.TimestampMs <= impression.TimestampMs + window
            && (impression.RequestId is null || e.RequestId is null || e.RequestId == impression.RequestId));

    private IReadOnlyList<string> Categories(string itemId) =>
        _items.TryGetValue(itemId, out var item) ? item.Categories : [];
}
