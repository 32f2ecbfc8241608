namespace Cascade.Core.Domain;

/// <summary>A catalog item.</summary>
/// <param name="App">The app (tenant) the item belongs to.</param>
/// <param name="Id">The item's external id.</param>
/// <param name="Title">Display title.</param>
/// <param name="Categories">Categories, most specific last.</param>
/// <param name="Tags">Free tags.</param>
/// <param name="AttributesJson">Free attributes as a JSON object.</param>
/// <param name="CreatedAt">When the item was created (for recency and "latest").</param>
/// <param name="Hidden">Hidden items are never recommended.</param>
/// <param name="ExpiresAt">After this time the item is never recommended.</param>
public sealed record Item(
    string App,
    string Id,
    string Title,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> Tags,
    string AttributesJson,
    DateTimeOffset CreatedAt,
    bool Hidden,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>Whether the item may be recommended at <paramref name="now"/>.</summary>
    public bool IsServable(DateTimeOffset now) => !Hidden && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>A user.</summary>
/// <param name="App">The app (tenant) the user belongs to.</param>
/// <param name="Id">The user's external id.</param>
/// <param name="AttributesJson">Free attributes as a JSON object.</param>
public sealed record User(string App, string Id, string AttributesJson);

/// <summary>
/// One version of an online experiment's definition, as stored in the event log and the catalog. The storage layers
/// keep the definition as JSON they do not interpret; the experiments layer owns its schema.
/// </summary>
/// <param name="App">The app (tenant).</param>
/// <param name="Id">The experiment's id.</param>
/// <param name="Version">1 for the first definition, one more for each change (start, stop, a new definition).</param>
/// <param name="DefinitionJson">The definition and its state, as JSON.</param>
/// <param name="TimestampMs">When this version was written (Unix ms).</param>
public sealed record ExperimentRecord(string App, string Id, int Version, string DefinitionJson, long TimestampMs);

/// <summary>A feedback event.</summary>
/// <param name="App">The app (tenant).</param>
/// <param name="EventId">Optional client event id; a repeated id is acknowledged but stored once.</param>
/// <param name="UserId">The user's external id.</param>
/// <param name="ItemId">The item's external id.</param>
/// <param name="Type">The configured event type name.</param>
/// <param name="Value">Optional value (a rating, a watch time).</param>
/// <param name="TimestampMs">Unix time in milliseconds.</param>
/// <param name="RequestId">For impressions and clicks: the recommendation request that showed the item.</param>
/// <param name="Position">For impressions and clicks: the 0-based position the item was shown at.</param>
/// <param name="Variant">For impressions: the experiment variant (arm) that served the item, for online metrics per variant.</param>
/// <param name="Propensity">
/// For impressions the server logs: the probability, in (0, 1], with which the serving policy put this item at this
/// position (1 for a deterministic list; below 1 under ε-greedy exploration); null when unknown. Server-written only,
/// like <paramref name="Variant"/>; off-policy evaluation (cascade experiment ope) reweights by it.
/// </param>
public sealed record FeedbackEvent(
    string App,
    string? EventId,
    string UserId,
    string ItemId,
    string Type,
    double? Value,
    long TimestampMs,
    string? RequestId,
    int? Position,
    string? Variant = null,
    double? Propensity = null)
{
    /// <summary>The longest variant name (long enough for the experiment tags of several layers).</summary>
    public const int MaxVariantLength = 256;

    /// <summary>Whether <paramref name="variant"/> is a valid variant name: 1–256 letters, digits, '.', '_', '-' or ':'.</summary>
    /// <param name="variant">The name.</param>
    public static bool IsValidVariant(string? variant)
    {
        if (string.IsNullOrEmpty(variant) || variant.Length > MaxVariantLength)
        {
            return false;
        }
        foreach (char c in variant)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':'))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>The app every record belongs to when the caller names none.</summary>
public static class Apps
{
    /// <summary>The name of the default app.</summary>
    public const string Default = "default";
}
