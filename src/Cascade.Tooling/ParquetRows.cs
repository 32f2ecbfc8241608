using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Cascade.Tooling;

// The Parquet layouts of `cascade export parquet` and `cascade import parquet` (docs/cli.md): one row per record, the
// API's camelCase names as column names, timestamps as UTC milliseconds (TIMESTAMP(MILLIS, UTC)), free attributes as
// a JSON text column, categories, tags and sources as lists of strings. Pandas, Polars, Spark and DuckDB read them as
// they are.

/// <summary>A row of events.parquet.</summary>
public sealed class ParquetEventRow
{
    /// <summary>Optional client event id.</summary>
    [JsonPropertyName("eventId")]
    public string? EventId { get; set; }

    /// <summary>The user.</summary>
    [JsonPropertyName("userId")]
    public string? UserId { get; set; }

    /// <summary>The item.</summary>
    [JsonPropertyName("itemId")]
    public string? ItemId { get; set; }

    /// <summary>The event type.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary>Optional value.</summary>
    [JsonPropertyName("value")]
    public double? Value { get; set; }

    /// <summary>When it happened (UTC).</summary>
    [JsonPropertyName("timestamp")]
    [ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime? Timestamp { get; set; }

    /// <summary>The recommendation request that showed the item.</summary>
    [JsonPropertyName("requestId")]
    public string? RequestId { get; set; }

    /// <summary>The position the item was shown at.</summary>
    [JsonPropertyName("position")]
    public int? Position { get; set; }
}

/// <summary>A row of items.parquet.</summary>
public sealed class ParquetItemRow
{
    /// <summary>The item id.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    /// <summary>Display title.</summary>
    [JsonPropertyName("title")]
    public string? Title { get; set; }

    /// <summary>Categories.</summary>
    [JsonPropertyName("categories")]
    public List<string>? Categories { get; set; }

    /// <summary>Tags.</summary>
    [JsonPropertyName("tags")]
    public List<string>? Tags { get; set; }

    /// <summary>Free attributes as JSON text (an object).</summary>
    [JsonPropertyName("attributes")]
    public string? Attributes { get; set; }

    /// <summary>Creation time (UTC).</summary>
    [JsonPropertyName("createdAt")]
    [ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime? CreatedAt { get; set; }

    /// <summary>Hidden items are never recommended.</summary>
    [JsonPropertyName("hidden")]
    public bool? Hidden { get; set; }

    /// <summary>Expiry (UTC), if any.</summary>
    [JsonPropertyName("expiresAt")]
    [ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime? ExpiresAt { get; set; }
}

/// <summary>A row of users.parquet.</summary>
public sealed class ParquetUserRow
{
    /// <summary>The user id.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    /// <summary>Free attributes as JSON text (an object).</summary>
    [JsonPropertyName("attributes")]
    public string? Attributes { get; set; }
}

/// <summary>A row of recommendations.parquet: one precomputed recommendation of `cascade batch`.</summary>
public sealed class ParquetRecommendationRow
{
    /// <summary>The user.</summary>
    [JsonPropertyName("userId")]
    public string? UserId { get; set; }

    /// <summary>1-based rank in the user's list.</summary>
    [JsonPropertyName("rank")]
    public int Rank { get; set; }

    /// <summary>The item.</summary>
    [JsonPropertyName("itemId")]
    public string? ItemId { get; set; }

    /// <summary>Its score when computed.</summary>
    [JsonPropertyName("score")]
    public double Score { get; set; }

    /// <summary>The sources that proposed it.</summary>
    [JsonPropertyName("sources")]
    public List<string>? Sources { get; set; }

    /// <summary>The log sequence the batch run's bundle was trained to.</summary>
    [JsonPropertyName("sequence")]
    public long Sequence { get; set; }

    /// <summary>When the list was computed (UTC).</summary>
    [JsonPropertyName("computedAt")]
    [ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime ComputedAt { get; set; }
}
