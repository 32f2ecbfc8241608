using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cascade.Client;

// The request and response types mirror docs/openapi.json rather than the server's own records
// (Cascade.Serving.Ingestion): the client references no Cascade project, so an application takes it without the engine.

/// <summary>A feedback event to send (<c>POST /v1/events</c>).</summary>
public sealed record CascadeEvent
{
    /// <summary>Optional client event id: resending an event with the same id stores it once, so the client retries such writes.</summary>
    public string? EventId { get; init; }

    /// <summary>The user's id.</summary>
    public required string UserId { get; init; }

    /// <summary>The item's id.</summary>
    public required string ItemId { get; init; }

    /// <summary>A configured event type: impression, click, like, purchase, rating, dislike by default.</summary>
    public required string Type { get; init; }

    /// <summary>Optional value; required for rating (1–5).</summary>
    public double? Value { get; init; }

    /// <summary>When it happened; the server's time when absent.</summary>
    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The recommendation request that showed the item (<see cref="RecommendResponse.RequestId"/>), for clicks.</summary>
    public string? RequestId { get; init; }

    /// <summary>The 0-based position the item was shown at.</summary>
    public int? Position { get; init; }
}

/// <summary>An item to create or replace (<c>PUT /v1/items/{id}</c>, <c>POST /v1/items</c>).</summary>
public sealed record CascadeItem
{
    /// <summary>The item id: required in batches; a single PUT takes it from its argument.</summary>
    public string? Id { get; init; }

    /// <summary>Display title.</summary>
    public required string Title { get; init; }

    /// <summary>Categories.</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>Tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Free attributes: a JSON object.</summary>
    public JsonElement? Attributes { get; init; }

    /// <summary>Creation time; the server's time when absent.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Hidden items are never recommended.</summary>
    public bool? Hidden { get; init; }

    /// <summary>After this time the item is never recommended.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A user to create or replace (<c>PUT /v1/users/{id}</c>, <c>POST /v1/users</c>).</summary>
public sealed record CascadeUser
{
    /// <summary>The user id: required in batches; a single PUT takes it from its argument.</summary>
    public string? Id { get; init; }

    /// <summary>Free attributes: a JSON object.</summary>
    public JsonElement? Attributes { get; init; }
}

/// <summary>A stored item.</summary>
public sealed record ItemView
{
    /// <summary>The item id.</summary>
    public string Id { get; init; } = "";

    /// <summary>Display title.</summary>
    public string Title { get; init; } = "";

    /// <summary>Categories.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Free attributes.</summary>
    public JsonElement Attributes { get; init; }

    /// <summary>Creation time.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Whether it is hidden.</summary>
    public bool Hidden { get; init; }

    /// <summary>Expiry, if any.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A stored user.</summary>
public sealed record UserView
{
    /// <summary>The user id.</summary>
    public string Id { get; init; } = "";

    /// <summary>Free attributes.</summary>
    public JsonElement Attributes { get; init; }
}

/// <summary>A stored event as <c>GET /v1/users/{id}/events</c> lists it.</summary>
public sealed record EventView
{
    /// <summary>The client event id, if one was sent.</summary>
    public string? EventId { get; init; }

    /// <summary>The user.</summary>
    public string UserId { get; init; } = "";

    /// <summary>The item.</summary>
    public string ItemId { get; init; } = "";

    /// <summary>The event type.</summary>
    public string Type { get; init; } = "";

    /// <summary>The value, if any.</summary>
    public double? Value { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The recommendation request that showed the item, if any.</summary>
    public string? RequestId { get; init; }

    /// <summary>The position the item was shown at, if any.</summary>
    public int? Position { get; init; }
}

/// <summary>What happened to one element of a write.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ElementStatus>))]
public enum ElementStatus
{
    /// <summary>Written.</summary>
    [JsonStringEnumMemberName("stored")]
    Stored,

    /// <summary>An event whose id was stored before: acknowledged, not stored again.</summary>
    [JsonStringEnumMemberName("duplicate")]
    Duplicate,

    /// <summary>Refused; <see cref="ElementResult.Errors"/> says why.</summary>
    [JsonStringEnumMemberName("invalid")]
    Invalid,
}

/// <summary>The answer to one event: stored, or a duplicate of an earlier event with the same id.</summary>
public sealed record EventAck
{
    /// <summary>Stored or duplicate.</summary>
    public ElementStatus Status { get; init; }

    /// <summary>The log sequence holding it (the first copy's for a duplicate).</summary>
    public long Sequence { get; init; }
}

/// <summary>The answer to a batch write: counts and one result per element, in request order.</summary>
public sealed record BatchResponse
{
    /// <summary>Elements written.</summary>
    public int Stored { get; init; }

    /// <summary>Events whose id was stored before.</summary>
    public int Duplicates { get; init; }

    /// <summary>Elements refused.</summary>
    public int Invalid { get; init; }

    /// <summary>One result per element.</summary>
    public IReadOnlyList<ElementResult> Results { get; init; } = [];
}

/// <summary>What happened to one element of a batch.</summary>
public sealed record ElementResult
{
    /// <summary>The element's position in the request.</summary>
    public int Index { get; init; }

    /// <summary>What happened.</summary>
    public ElementStatus Status { get; init; }

    /// <summary>The log sequence that holds it.</summary>
    public long? Sequence { get; init; }

    /// <summary>Why it was refused.</summary>
    public IReadOnlyList<FieldError>? Errors { get; init; }
}

/// <summary>One invalid field.</summary>
/// <param name="Field">The field's JSON path (e.g. <c>type</c>, <c>[3].value</c>) or parameter name.</param>
/// <param name="Reason">What is wrong and what is accepted.</param>
public sealed record FieldError(string Field, string Reason);
