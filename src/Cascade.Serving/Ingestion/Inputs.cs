using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cascade.Serving.Ingestion;

/// <summary>The JSON contract every client and importer uses: camelCase, unknown fields rejected.</summary>
public static class CascadeJson
{
    /// <summary>Serializer options for request and response bodies and JSON Lines imports.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            MaxDepth = 32,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}

/// <summary>A feedback event as clients send it.</summary>
public sealed record EventInput
{
    /// <summary>Optional client event id; resending the same id stores the event once.</summary>
    public string? EventId { get; init; }

    /// <summary>The user's id (required).</summary>
    public string? UserId { get; init; }

    /// <summary>The item's id (required).</summary>
    public string? ItemId { get; init; }

    /// <summary>A configured event type (required): impression, click, like, purchase, rating, dislike by default.</summary>
    public string? Type { get; init; }

    /// <summary>Optional value; required for rating (1–5).</summary>
    public double? Value { get; init; }

    /// <summary>When it happened (ISO 8601); defaults to now.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The recommendation request that showed the item, for impressions and clicks.</summary>
    public string? RequestId { get; init; }

    /// <summary>The 0-based position the item was shown at.</summary>
    public int? Position { get; init; }
}

/// <summary>An item as clients send it; <see cref="Id"/> is required in batches and must match the path otherwise.</summary>
public sealed record ItemInput
{
    /// <summary>The item id (batch only; PUT takes it from the path).</summary>
    public string? Id { get; init; }

    /// <summary>Display title (required).</summary>
    public string? Title { get; init; }

    /// <summary>Categories.</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>Tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Free attributes: a JSON object.</summary>
    public JsonElement? Attributes { get; init; }

    /// <summary>Creation time; defaults to now.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Hidden items are never recommended.</summary>
    public bool? Hidden { get; init; }

    /// <summary>After this time the item is never recommended.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A user as clients send it.</summary>
public sealed record UserInput
{
    /// <summary>The user id (batch only; PUT takes it from the path).</summary>
    public string? Id { get; init; }

    /// <summary>Free attributes: a JSON object.</summary>
    public JsonElement? Attributes { get; init; }
}

/// <summary>One invalid field of an input.</summary>
/// <param name="Field">The field's JSON path, e.g. <c>userId</c> or <c>[3].type</c>.</param>
/// <param name="Reason">What is wrong and what is accepted.</param>
public sealed record FieldError(string Field, string Reason);
