using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cascade.Core;

namespace Cascade.Features;

/// <summary>
/// What a <see cref="FeatureSet"/> computes: hash-bucket sizes, counter windows, smoothing and which groups are on.
/// Defaults are defined here once; <see cref="Validate"/> checks them with the option's name in every message.
/// Binds from JSON (the <c>"Features"</c> section of appsettings, see <see cref="FromJson"/>) or is built in code.
/// </summary>
public sealed record FeatureSetOptions
{
    /// <summary>The largest bucket count of any hashed field (a ranker's embedding table grows with it).</summary>
    public const int MaxBuckets = 1 << 24;

    /// <summary>Emit the hashed user id as a categorical field. Default true.</summary>
    public bool IncludeUserId { get; init; } = true;

    /// <summary>Emit the hashed item id as a categorical field. Default true.</summary>
    public bool IncludeItemId { get; init; } = true;

    /// <summary>Emit hour of day, day of week, position, device and platform. Default true.</summary>
    public bool IncludeContext { get; init; } = true;

    /// <summary>Emit the user × item and user × category features (affinity, recency, hashed cross). Default true.</summary>
    public bool IncludeCross { get; init; } = true;

    /// <summary>
    /// The most items whose exact history (<c>user_item_*</c>) one user keeps (16–1,000,000). Every item shown to a
    /// user leaves one, so without a bound a server logging impressions grows by one entry per item shown. When a
    /// user reaches it, the quarter touched longest ago is dropped (their features restart from zero). Default 2,000.
    /// </summary>
    public int MaxItemsPerUser { get; init; } = 2_000;

    /// <summary>
    /// The most user × item pairs the whole store keeps (1,000–1,000,000,000): the per-user bound alone lets a server
    /// that logs impressions for many users grow for a long time (users × <see cref="MaxItemsPerUser"/>). Reaching it
    /// drops about the quarter of all pairs touched longest ago (their features restart from zero). Default
    /// 10,000,000 (about 0.6 GB).
    /// </summary>
    public int MaxPairs { get; init; } = 10_000_000;

    /// <summary>Buckets of the hashed user id, code 0 included. Default 65,536.</summary>
    public int UserIdBuckets { get; init; } = 1 << 16;

    /// <summary>Buckets of the hashed item id, code 0 included. Default 65,536.</summary>
    public int ItemIdBuckets { get; init; } = 1 << 16;

    /// <summary>Buckets of each hashed user attribute, code 0 included. Default 1,024.</summary>
    public int UserAttributeBuckets { get; init; } = 1 << 10;

    /// <summary>Buckets of the hashed item categories, code 0 included. Default 4,096.</summary>
    public int CategoryBuckets { get; init; } = 1 << 12;

    /// <summary>Buckets of the hashed item tags, code 0 included. Default 4,096.</summary>
    public int TagBuckets { get; init; } = 1 << 12;

    /// <summary>Buckets of the hashed device and platform, code 0 included. Default 64.</summary>
    public int ContextBuckets { get; init; } = 64;

    /// <summary>Buckets of the hashed user × category cross, code 0 included. Default 65,536.</summary>
    public int CrossBuckets { get; init; } = 1 << 16;

    /// <summary>
    /// Top-level keys of a user's attributes JSON emitted as hashed categorical fields <c>user_attr_&lt;key&gt;</c>
    /// (strings, numbers and booleans are hashed by their text). Default none.
    /// </summary>
    public IReadOnlyList<string> UserAttributes { get; init; } = [];

    /// <summary>Number of an item's tags emitted, as fields <c>item_tag_0</c>, <c>item_tag_1</c>, … (0–16). Default 2.</summary>
    public int TagSlots { get; init; } = 2;

    /// <summary>
    /// Half-lives of the exponentially decayed counters, each a number and a unit (<c>s</c>, <c>m</c>, <c>h</c>,
    /// <c>d</c>), e.g. <c>"1h"</c>; the text names the columns (<c>item_positives_1h</c>). At most 8. Default 1h, 1d, 7d.
    /// </summary>
    public IReadOnlyList<string> Windows { get; init; } = ["1h", "1d", "7d"];

    /// <summary>Prior click-through rate the smoothed CTR shrinks towards, in [0, 1]. Default 0.05.</summary>
    public double CtrPrior { get; init; } = 0.05;

    /// <summary>Weight of the prior in impressions: ctr = (clicks + prior × strength) / (impressions + strength). Default 10.</summary>
    public double CtrPriorStrength { get; init; } = 10;

    /// <summary>Positions at or beyond this share one code of the <c>position</c> field (0–1,000). Default 20.</summary>
    public int PositionCap { get; init; } = 20;

    /// <summary>Offset of local time from UTC in minutes, for hour of day and day of week (−840 to 840). Default 0.</summary>
    public int UtcOffsetMinutes { get; init; }

    /// <summary>
    /// Numeric features also emitted as a log-bucketed categorical field <c>&lt;name&gt;_bucket</c>, for rankers that
    /// want categoricals (FM, DCN); <c>"*"</c> means every numeric feature. Default none.
    /// </summary>
    public IReadOnlyList<string> BucketizedNumerics { get; init; } = [];

    /// <summary>
    /// Codes of a log-bucketed field: 0 missing, 1 for values ≤ 0, then 2 + ⌊log₂(1 + v)⌋, the last code holding
    /// everything larger (3–64). Default 24.
    /// </summary>
    public int LogBucketCount { get; init; } = 24;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads options from a JSON object (property names case-insensitive; unknown names are refused) and validates them.</summary>
    /// <param name="json">A JSON object such as <c>{"windows": ["1h", "1d"], "itemIdBuckets": 100000}</c>.</param>
    /// <exception cref="ArgumentException">The JSON is malformed, names an unknown option, or an option is invalid.</exception>
    public static FeatureSetOptions FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        FeatureSetOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<FeatureSetOptions>(json, Json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Feature options JSON is invalid: {e.Message}", nameof(json), e);
        }
        return (options ?? throw new ArgumentException("Feature options JSON is null; give an object.", nameof(json))).Validate();
    }

    /// <summary>Checks every option and returns this instance.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it, its value and the accepted range.</exception>
    public FeatureSetOptions Validate()
    {
        Guard.InRange(UserIdBuckets, 2, MaxBuckets); // code 0 is reserved for missing
        Guard.InRange(ItemIdBuckets, 2, MaxBuckets);
        Guard.InRange(UserAttributeBuckets, 2, MaxBuckets);
        Guard.InRange(CategoryBuckets, 2, MaxBuckets);
        Guard.InRange(TagBuckets, 2, MaxBuckets);
        Guard.InRange(ContextBuckets, 2, MaxBuckets);
        Guard.InRange(CrossBuckets, 2, MaxBuckets);
        Guard.InRange(MaxItemsPerUser, 16, 1_000_000);
        Guard.InRange(MaxPairs, 1_000, 1_000_000_000);
        Guard.InRange(TagSlots, 0, 16);
        Guard.Probability(CtrPrior);
        Guard.Positive(CtrPriorStrength); // impressions
        Guard.InRange(PositionCap, 0, 1000);
        Guard.InRange(UtcOffsetMinutes, -840, 840);
        Guard.InRange(LogBucketCount, 3, 64);
        if (Windows is null || Windows.Count > 8)
        {
            Guard.ThrowInvalid(nameof(Windows), $"Windows has {Windows?.Count.ToString(CultureInfo.InvariantCulture) ?? "null"} entries; give a list of at most 8 half-lives such as [\"1h\", \"1d\", \"7d\"].");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string w in Windows)
        {
            ParseWindow(w);
            if (!seen.Add(w))
            {
                Guard.ThrowInvalid(nameof(Windows), $"Windows lists '{w}' twice.");
            }
        }
        if (UserAttributes is null)
        {
            Guard.ThrowInvalid(nameof(UserAttributes), "UserAttributes is null; give a (possibly empty) list of attribute keys.");
        }
        seen.Clear();
        foreach (string a in UserAttributes)
        {
            if (string.IsNullOrWhiteSpace(a) || !seen.Add(a))
            {
                Guard.ThrowInvalid(nameof(UserAttributes), $"UserAttributes has an empty or repeated key '{a}'.");
            }
        }
        if (BucketizedNumerics is null)
        {
            Guard.ThrowInvalid(nameof(BucketizedNumerics), "BucketizedNumerics is null; give a (possibly empty) list of numeric feature names or \"*\".");
        }
        return this;
    }

    /// <summary>Parses a half-life such as <c>"90s"</c>, <c>"30m"</c>, <c>"1h"</c> or <c>"7d"</c> into milliseconds.</summary>
    /// <param name="window">The text.</param>
    /// <exception cref="ArgumentException">The text is not a positive whole number followed by s, m, h or d.</exception>
    public static long ParseWindow(string window)
    {
        if (string.IsNullOrEmpty(window) || window.Length < 2)
        {
            throw new ArgumentException($"FeatureSetOptions.Windows entry '{window}' is not a half-life; write a whole number and a unit s, m, h or d, e.g. \"1h\".", nameof(window));
        }
        long unit = window[^1] switch
        {
            's' => 1_000L,
            'm' => 60_000L,
            'h' => 3_600_000L,
            'd' => 86_400_000L,
            _ => 0L,
        };
        if (unit == 0 || !long.TryParse(window.AsSpan(0, window.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n < 1 || n > 3650L * 86_400_000L / unit)
        {
            throw new ArgumentException($"FeatureSetOptions.Windows entry '{window}' is not a half-life; write a whole number from 1 and a unit s, m, h or d (at most 10 years), e.g. \"1h\".", nameof(window));
        }
        return n * unit;
    }
}
