using System.Globalization;
using System.Text.Json;
using Cascade.Core.Domain;

namespace Cascade.Pipeline;

/// <summary>
/// Reads a catalog from JSON Lines in the API's item shape (<c>{"id", "title", "categories", "tags", "attributes",
/// "createdAt", "hidden", "expiresAt"}</c>, as <c>cascade generate</c> writes and <c>cascade import jsonl --kind items</c>
/// reads), so offline evaluation of a pipeline sees the same item attributes as the served one.
/// </summary>
public static class ItemFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads every item of <paramref name="path"/> by id (a repeated id: the last line wins).</summary>
    /// <param name="path">The JSON Lines file; blank lines are skipped.</param>
    /// <exception cref="ArgumentException">The file is missing, or a line is not an item object with an id; the message names the line.</exception>
    public static Dictionary<string, Item> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"Item file '{path}' does not exist.", nameof(path));
        }
        var items = new Dictionary<string, Item>(StringComparer.Ordinal);
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            Line? parsed;
            try
            {
                parsed = JsonSerializer.Deserialize<Line>(line, Json);
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"Item file '{path}', line {number.ToString(CultureInfo.InvariantCulture)}: not a JSON item object ({e.Message}).", nameof(path), e);
            }
            if (parsed is not { Id: { Length: > 0 } id })
            {
                throw new ArgumentException($"Item file '{path}', line {number.ToString(CultureInfo.InvariantCulture)}: the item has no \"id\".", nameof(path));
            }
            items[id] = new Item(Apps.Default, id, parsed.Title ?? "", parsed.Categories ?? [], parsed.Tags ?? [],
                parsed.Attributes is { ValueKind: JsonValueKind.Object } attributes ? attributes.GetRawText() : "{}",
                parsed.CreatedAt ?? DateTimeOffset.UnixEpoch, parsed.Hidden ?? false, parsed.ExpiresAt);
        }
        return items;
    }

    /// <summary>
    /// The item table of a matrix's columns: column i is the item with external id <paramref name="ids"/>[i], with its
    /// attributes from <paramref name="catalog"/> when it is there and none otherwise (an item seen only in interactions).
    /// </summary>
    /// <param name="columns">Number of columns.</param>
    /// <param name="ids">External id of each column, or null (the column number is the id).</param>
    /// <param name="catalog">Items by id, or null (no attributes).</param>
    /// <param name="attributeNames">String attributes to index (de-duplication and boosts), as in <see cref="ItemTable.Build"/>.</param>
    public static ItemTable Table(int columns, IReadOnlyList<string>? ids, IReadOnlyDictionary<string, Item>? catalog, IEnumerable<string>? attributeNames = null)
    {
        if (ids is not null && ids.Count < columns)
        {
            throw new ArgumentException($"{ids.Count} item ids for {columns} columns.", nameof(ids));
        }
        var items = new Item[columns];
        for (int i = 0; i < columns; i++)
        {
            string id = ids?[i] ?? i.ToString(CultureInfo.InvariantCulture);
            items[i] = catalog is not null && catalog.TryGetValue(id, out var known) ? known
                : new Item(Apps.Default, id, "", [], [], "{}", DateTimeOffset.UnixEpoch, false, null);
        }
        return ItemTable.Build(items, attributeNames);
    }

    private sealed record Line(string? Id, string? Title, string[]? Categories, string[]? Tags, JsonElement? Attributes,
        DateTimeOffset? CreatedAt, bool? Hidden, DateTimeOffset? ExpiresAt);
}
