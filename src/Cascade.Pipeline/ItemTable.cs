using System.Text.Json;
using Cascade.Core.Domain;

namespace Cascade.Pipeline;

/// <summary>
/// The pipeline's read-only view of the catalog, by dense item index: ids, categories and tags (as codes into
/// shared vocabularies), string attributes (for de-duplication by series or author), creation time, servability,
/// and optionally one embedding per item (for MMR similarity and ANN retrieval). Built once per model bundle and
/// shared by every request; safe for concurrent reads.
/// </summary>
public sealed class ItemTable
{
    private readonly Dictionary<string, int> _index;
    private readonly Dictionary<string, string?[]> _attributes;

    private ItemTable(string[] ids, int[][] categories, string[] categoryNames, int[][] tags, string[] tagNames,
        Dictionary<string, string?[]> attributes, long[] createdAtMs, bool[] hidden, long[] expiresAtMs)
    {
        Ids = ids;
        Categories = categories;
        CategoryNames = categoryNames;
        Tags = tags;
        TagNames = tagNames;
        _attributes = attributes;
        CreatedAtMs = createdAtMs;
        Hidden = hidden;
        ExpiresAtMs = expiresAtMs;
        _index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (int i = 0; i < ids.Length; i++)
        {
            _index[ids[i]] = i;
        }
    }

    /// <summary>Number of items.</summary>
    public int Count => Ids.Count;

    /// <summary>External id of each item.</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>Category codes of each item (into <see cref="CategoryNames"/>), most specific last.</summary>
    public IReadOnlyList<int[]> Categories { get; }

    /// <summary>Category names by code.</summary>
    public IReadOnlyList<string> CategoryNames { get; }

    /// <summary>Tag codes of each item (into <see cref="TagNames"/>).</summary>
    public IReadOnlyList<int[]> Tags { get; }

    /// <summary>Tag names by code.</summary>
    public IReadOnlyList<string> TagNames { get; }

    /// <summary>Creation time of each item, Unix milliseconds.</summary>
    public IReadOnlyList<long> CreatedAtMs { get; }

    /// <summary>Whether each item is hidden.</summary>
    public IReadOnlyList<bool> Hidden { get; }

    /// <summary>Expiry of each item, Unix milliseconds; long.MaxValue when none.</summary>
    public IReadOnlyList<long> ExpiresAtMs { get; }

    /// <summary>Item embeddings, item-major (Count × <see cref="EmbeddingDimension"/>), or null.</summary>
    public float[]? Embeddings { get; private set; }

    /// <summary>Dimension of <see cref="Embeddings"/> (0 without).</summary>
    public int EmbeddingDimension { get; private set; }

    /// <summary>The dense index of <paramref name="id"/>, or -1 when the item is unknown.</summary>
    /// <param name="id">External item id.</param>
    public int IndexOf(string id) => _index.GetValueOrDefault(id, -1);

    /// <summary>The first (most general) category code of <paramref name="item"/>, or -1 without categories.</summary>
    /// <param name="item">Dense index.</param>
    public int PrimaryCategory(int item) => Categories[item] is { Length: > 0 } c ? c[0] : -1;

    /// <summary>The value of string attribute <paramref name="name"/> of <paramref name="item"/>, or null (attribute not indexed, or absent).</summary>
    /// <param name="name">Attribute name as in the item's attributes JSON (only attributes listed at build time are indexed).</param>
    /// <param name="item">Dense index.</param>
    public string? Attribute(string name, int item) => _attributes.TryGetValue(name, out var values) ? values[item] : null;

    /// <summary>Whether <paramref name="item"/> may be shown at <paramref name="nowMs"/> (not hidden, not expired).</summary>
    /// <param name="item">Dense index.</param>
    /// <param name="nowMs">Now, Unix milliseconds.</param>
    public bool IsServable(int item, long nowMs) => !Hidden[item] && ExpiresAtMs[item] > nowMs;

    /// <summary>The embedding of <paramref name="item"/> (empty without embeddings).</summary>
    /// <param name="item">Dense index.</param>
    public ReadOnlySpan<float> Embedding(int item) =>
        Embeddings is null ? [] : Embeddings.AsSpan(item * EmbeddingDimension, EmbeddingDimension);

    /// <summary>Attaches item embeddings (item-major, one row per item in this table's order).</summary>
    /// <param name="embeddings">Count × dimension values.</param>
    /// <param name="dimension">Embedding dimension.</param>
    public void SetEmbeddings(float[] embeddings, int dimension)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (embeddings.Length != (long)Count * dimension)
        {
            throw new ArgumentException($"{embeddings.Length} values are not {Count} items × {dimension}.", nameof(embeddings));
        }
        Embeddings = embeddings;
        EmbeddingDimension = dimension;
    }

    /// <summary>Builds a table of <paramref name="items"/> in the given order (the order defines dense indices).</summary>
    /// <param name="items">Catalog items; ids must be unique.</param>
    /// <param name="attributeNames">String attributes to index from each item's attributes JSON (e.g. "series", "author").</param>
    public static ItemTable Build(IReadOnlyList<Item> items, IEnumerable<string>? attributeNames = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        var attributeList = (attributeNames ?? []).Distinct(StringComparer.Ordinal).ToArray();
        var categoryCodes = new Dictionary<string, int>(StringComparer.Ordinal);
        var tagCodes = new Dictionary<string, int>(StringComparer.Ordinal);
        int n = items.Count;
        var ids = new string[n];
        var categories = new int[n][];
        var tags = new int[n][];
        var created = new long[n];
        var hidden = new bool[n];
        var expires = new long[n];
        var attributes = attributeList.ToDictionary(a => a, _ => new string?[n], StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            var item = items[i];
            ids[i] = item.Id;
            categories[i] = [.. item.Categories.Select(c => Code(categoryCodes, c))];
            tags[i] = [.. item.Tags.Select(t => Code(tagCodes, t))];
            created[i] = item.CreatedAt.ToUnixTimeMilliseconds();
            hidden[i] = item.Hidden;
            expires[i] = item.ExpiresAt?.ToUnixTimeMilliseconds() ?? long.MaxValue;
            if (attributeList.Length > 0 && item.AttributesJson.Length > 2)
            {
                ReadAttributes(item.AttributesJson, i, attributes);
            }
        }
        if (new HashSet<string>(ids, StringComparer.Ordinal).Count != n)
        {
            throw new ArgumentException("Item ids repeat.", nameof(items));
        }
        return new ItemTable(ids, categories, Names(categoryCodes), tags, Names(tagCodes), attributes, created, hidden, expires);
    }

    private static void ReadAttributes(string json, int item, Dictionary<string, string?[]> attributes)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (attributes.TryGetValue(property.Name, out var values))
                {
                    values[item] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                        _ => null,
                    };
                }
            }
        }
        catch (JsonException)
        {
            // Attributes were validated at ingestion; a malformed document here means no indexed attributes.
        }
    }

    private static int Code(Dictionary<string, int> codes, string name)
    {
        if (!codes.TryGetValue(name, out int code))
        {
            code = codes.Count;
            codes[name] = code;
        }
        return code;
    }

    private static string[] Names(Dictionary<string, int> codes)
    {
        var names = new string[codes.Count];
        foreach (var (name, code) in codes)
        {
            names[code] = name;
        }
        return names;
    }
}
