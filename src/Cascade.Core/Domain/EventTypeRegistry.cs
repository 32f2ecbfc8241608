using System.Collections.Frozen;

namespace Cascade.Core.Domain;

/// <summary>The set of event types an engine accepts, looked up by name.</summary>
public sealed class EventTypeRegistry
{
    private readonly FrozenDictionary<string, EventType> _types;

    /// <summary>Creates a registry of <paramref name="types"/>; names must be unique and non-empty.</summary>
    public EventTypeRegistry(IEnumerable<EventType> types)
    {
        ArgumentNullException.ThrowIfNull(types);
        var map = new Dictionary<string, EventType>(StringComparer.Ordinal);
        foreach (var t in types)
        {
            if (string.IsNullOrWhiteSpace(t.Name))
            {
                throw new ArgumentException("An event type has an empty name.", nameof(types));
            }
            if (!float.IsFinite(t.Weight))
            {
                throw new ArgumentException($"Event type '{t.Name}' has a non-finite weight {t.Weight}.", nameof(types));
            }
            if (!map.TryAdd(t.Name, t))
            {
                throw new ArgumentException($"Event type '{t.Name}' is configured twice.", nameof(types));
            }
        }
        _types = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The default registry: impression, click, like, purchase, rating (1–5), dislike.</summary>
    public static EventTypeRegistry Default { get; } = new(EventType.Defaults);

    /// <summary>All configured types.</summary>
    public IEnumerable<EventType> All => _types.Values;

    /// <summary>Looks up a type by name.</summary>
    public bool TryGet(string name, out EventType type) => _types.TryGetValue(name, out type!);

    /// <summary>The configured names, for error messages.</summary>
    public string Names => string.Join(", ", _types.Keys.Order(StringComparer.Ordinal));
}
