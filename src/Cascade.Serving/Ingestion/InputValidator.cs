using System.Text.Json;
using Cascade.Core.Domain;

namespace Cascade.Serving.Ingestion;

/// <summary>Turns client inputs into domain records, or says exactly which fields are wrong and why.</summary>
public static class InputValidator
{
    /// <summary>Longest accepted id (user, item, event, request), in characters.</summary>
    public const int MaxIdLength = 256;

    /// <summary>Longest accepted title.</summary>
    public const int MaxTitleLength = 1000;

    /// <summary>Most categories or tags on one item.</summary>
    public const int MaxLabels = 100;

    private static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Validates an event; returns it, or null with <paramref name="errors"/> filled.</summary>
    public static FeedbackEvent? ToEvent(EventInput? input, string app, DateTimeOffset now, EventTypeRegistry types, List<FieldError> errors, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(errors);
        int before = errors.Count;
        if (input is null)
        {
            errors.Add(new(prefix.Length == 0 ? "$" : prefix, "an event object is required"));
            return null;
        }
        CheckId(input.UserId, prefix + "userId", required: true, errors, addressable: true);
        CheckId(input.ItemId, prefix + "itemId", required: true, errors, addressable: true);
        CheckId(input.EventId, prefix + "eventId", required: false, errors);
        CheckId(input.RequestId, prefix + "requestId", required: false, errors);
        EventType? type = null;
        if (string.IsNullOrEmpty(input.Type))
        {
            errors.Add(new(prefix + "type", $"is required; one of: {types.Names}"));
        }
        else if (!types.TryGet(input.Type, out var t))
        {
            errors.Add(new(prefix + "type", $"'{Truncate(input.Type)}' is not a configured event type; one of: {types.Names}"));
        }
        else
        {
            type = t;
        }
        if (input.Value is { } v)
        {
            if (!double.IsFinite(v))
            {
                errors.Add(new(prefix + "value", "must be a finite number"));
            }
            else if (type is not null && ((type.MinValue is { } min && v < min) || (type.MaxValue is { } max && v > max)))
            {
                errors.Add(new(prefix + "value", $"{v} is outside [{type.MinValue}, {type.MaxValue}] for type '{type.Name}'"));
            }
        }
        else if (type is { ValueRequired: true })
        {
            errors.Add(new(prefix + "value", $"is required for type '{type.Name}' ({type.MinValue}–{type.MaxValue})"));
        }
        var ts = input.Timestamp ?? now;
        if (ts < Earliest || ts > now.AddDays(1))
        {
            errors.Add(new(prefix + "timestamp", $"{ts:O} is before 1970 or more than a day in the future"));
        }
        if (input.Position is < 0)
        {
            errors.Add(new(prefix + "position", $"{input.Position} is negative; positions start at 0"));
        }
        if (errors.Count > before)
        {
            return null;
        }
        return new FeedbackEvent(app, input.EventId, input.UserId!, input.ItemId!, input.Type!, input.Value, ts.ToUnixTimeMilliseconds(), input.RequestId, input.Position);
    }

    /// <summary>Validates an item; <paramref name="pathId"/> is the id from the URL, if any.</summary>
    public static Item? ToItem(ItemInput? input, string? pathId, string app, DateTimeOffset now, List<FieldError> errors, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(errors);
        int before = errors.Count;
        if (input is null)
        {
            errors.Add(new(prefix.Length == 0 ? "$" : prefix, "an item object is required"));
            return null;
        }
        string? id = ResolveId(input.Id, pathId, prefix, errors);
        if (input.Title is null)
        {
            errors.Add(new(prefix + "title", "is required"));
        }
        else if (input.Title.Length > MaxTitleLength)
        {
            errors.Add(new(prefix + "title", $"is {input.Title.Length} characters; the limit is {MaxTitleLength}"));
        }
        CheckLabels(input.Categories, prefix + "categories", errors);
        CheckLabels(input.Tags, prefix + "tags", errors);
        string attributes = CheckAttributes(input.Attributes, prefix + "attributes", errors);
        if (input.CreatedAt is { } at && (at < Earliest || at > now.AddDays(1)))
        {
            errors.Add(new(prefix + "createdAt", $"{at:O} is before 1970 or more than a day in the future"));
        }
        if (input.ExpiresAt is { } exp && input.CreatedAt is { } created && exp < created)
        {
            errors.Add(new(prefix + "expiresAt", $"{exp:O} is before createdAt {created:O}"));
        }
        if (errors.Count > before)
        {
            return null;
        }
        return new Item(app, id!, input.Title!, input.Categories ?? [], input.Tags ?? [], attributes, input.CreatedAt ?? now, input.Hidden ?? false, input.ExpiresAt);
    }

    /// <summary>Validates a user; <paramref name="pathId"/> is the id from the URL, if any.</summary>
    public static User? ToUser(UserInput? input, string? pathId, string app, List<FieldError> errors, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(errors);
        int before = errors.Count;
        if (input is null)
        {
            errors.Add(new(prefix.Length == 0 ? "$" : prefix, "a user object is required"));
            return null;
        }
        string? id = ResolveId(input.Id, pathId, prefix, errors);
        string attributes = CheckAttributes(input.Attributes, prefix + "attributes", errors);
        return errors.Count > before ? null : new User(app, id!, attributes);
    }

    /// <summary>Checks an id taken from a URL path (a user or an item id: the rules of ingestion).</summary>
    public static void CheckPathId(string? id, string name, List<FieldError> errors) => CheckId(id, name, required: true, errors, addressable: true);

    /// <summary>The reason <paramref name="id"/> is not a valid user or item id, or null when it is one.</summary>
    public static string? WhyNotId(string? id)
    {
        var errors = new List<FieldError>(1);
        CheckId(id, "", required: true, errors, addressable: true);
        return errors.Count == 0 ? null : errors[0].Reason;
    }

    private static string? ResolveId(string? bodyId, string? pathId, string prefix, List<FieldError> errors)
    {
        if (pathId is not null)
        {
            CheckId(pathId, "id", required: true, errors, addressable: true);
            if (bodyId is not null && bodyId != pathId)
            {
                errors.Add(new(prefix + "id", $"'{Truncate(bodyId)}' differs from the id in the path '{Truncate(pathId)}'"));
            }
            return pathId;
        }
        CheckId(bodyId, prefix + "id", required: true, errors, addressable: true);
        return bodyId;
    }

    // addressable: a user or item id, which must be reachable as one segment of a URL path, so no '/'.
    private static void CheckId(string? id, string field, bool required, List<FieldError> errors, bool addressable = false)
    {
        if (id is null)
        {
            if (required)
            {
                errors.Add(new(field, "is required"));
            }
            return;
        }
        if (id.Length == 0 || string.IsNullOrWhiteSpace(id))
        {
            errors.Add(new(field, "must not be empty or blank"));
        }
        else if (id.Length > MaxIdLength)
        {
            errors.Add(new(field, $"is {id.Length} characters; the limit is {MaxIdLength}"));
        }
        else if (id.AsSpan().IndexOfAny(Forbidden) >= 0)
        {
            errors.Add(new(field, "must not contain control, bidirectional-override or line-separator characters"));
        }
        else if (addressable && id.Contains('/', StringComparison.Ordinal))
        {
            errors.Add(new(field, "must not contain '/': ids are addressed as one segment of a URL path"));
        }
        else if (HasLoneSurrogate(id))
        {
            errors.Add(new(field, "must be valid Unicode (a lone surrogate)"));
        }
    }

    // C0 and C1 controls (with DEL and NEL), bidirectional embeddings, overrides and isolates, and the Unicode
    // line and paragraph separators: they make an id print as something it is not.
    private static readonly System.Buffers.SearchValues<char> Forbidden = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7f, 0x21)).Select(c => (char)c))
        + "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

    private static bool HasLoneSurrogate(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return true;
            }
        }
        return false;
    }

    private static void CheckLabels(IReadOnlyList<string>? labels, string field, List<FieldError> errors)
    {
        if (labels is null)
        {
            return;
        }
        if (labels.Count > MaxLabels)
        {
            errors.Add(new(field, $"has {labels.Count} entries; the limit is {MaxLabels}"));
            return;
        }
        for (int i = 0; i < labels.Count; i++)
        {
            CheckId(labels[i], $"{field}[{i}]", required: true, errors);
        }
    }

    private static string CheckAttributes(JsonElement? attributes, string field, List<FieldError> errors)
    {
        if (attributes is not { } a || a.ValueKind == JsonValueKind.Null)
        {
            return "{}";
        }
        if (a.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(field, $"must be a JSON object, not {a.ValueKind.ToString().ToLowerInvariant()}"));
            return "{}";
        }
        return a.GetRawText();
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : string.Concat(s.AsSpan(0, 61), "...");
}
