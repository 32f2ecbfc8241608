using System.Text.Json;
using Cascade.Core.Domain;
using Cascade.Serving.Ingestion;
using Parquet;
using Parquet.Serialization;

namespace Cascade.Tooling;

/// <summary>
/// Parquet reading and writing for `cascade import parquet` and `cascade export parquet` (layouts in
/// <see cref="ParquetEventRow"/> and its siblings). Readers yield the API's inputs one row group at a time, so imported
/// records pass the same validation as the API's and memory stays at one row group; a file that is not Parquet, or
/// whose columns do not fit, stops the import with an error naming the file.
/// </summary>
public static class ParquetFiles
{
    /// <summary>Rows per row group written (and so, at most, held in memory while reading a file this tool wrote).</summary>
    public const int RowGroupSize = 250_000;

    private static readonly ParquetOptions ReadOptions = new() { PropertyNameCaseInsensitive = true, TreatByteArrayAsString = true };

    private static readonly Layout EventLayout = new("events", ["userId", "itemId", "type"], ["eventId", "value", "timestamp", "requestId", "position"]);
    private static readonly Layout ItemLayout = new("items", ["id", "title"], ["categories", "tags", "attributes", "createdAt", "hidden", "expiresAt"]);
    private static readonly Layout UserLayout = new("users", ["id"], ["attributes"]);

    /// <summary>Rows in the file, from its footer.</summary>
    public static long CountRows(string path) => RowGroupSizes(path, null).Sum();

    /// <summary>Events of events.parquet as the API takes them (read column by column: <see cref="ParquetEventReader"/>).</summary>
    public static IEnumerable<EventInput> Events(string path, IProgress<long>? rowsRead = null) =>
        ParquetEventReader.Read(path, columns => EventLayout.Check(path, columns), rowsRead);

    /// <summary>Items of items.parquet as the API takes them.</summary>
    public static IEnumerable<ItemInput> Items(string path, IProgress<long>? rowsRead = null) =>
        Rows<ParquetItemRow>(path, ItemLayout, rowsRead).Select((r, i) => new ItemInput
        {
            Id = r.Id,
            Title = r.Title,
            Categories = r.Categories,
            Tags = r.Tags,
            Attributes = Json(r.Attributes, path, i),
            CreatedAt = r.CreatedAt is { } c ? new DateTimeOffset(DateTime.SpecifyKind(c, DateTimeKind.Utc)) : null,
            Hidden = r.Hidden,
            ExpiresAt = r.ExpiresAt is { } e ? new DateTimeOffset(DateTime.SpecifyKind(e, DateTimeKind.Utc)) : null,
        });

    /// <summary>Users of users.parquet as the API takes them.</summary>
    public static IEnumerable<UserInput> Users(string path, IProgress<long>? rowsRead = null) =>
        Rows<ParquetUserRow>(path, UserLayout, rowsRead).Select((r, i) => new UserInput { Id = r.Id, Attributes = Json(r.Attributes, path, i) });

    /// <summary>Writes events (the log's, in log order) to <paramref name="path"/>.</summary>
    /// <returns>Rows written.</returns>
    public static Task<long> WriteEventsAsync(string path, IEnumerable<FeedbackEvent> events, CancellationToken cancellationToken = default) =>
        WriteAsync(path, events.Select(e => new ParquetEventRow
        {
            EventId = e.EventId,
            UserId = e.UserId,
            ItemId = e.ItemId,
            Type = e.Type,
            Value = e.Value,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(e.TimestampMs).UtcDateTime,
            RequestId = e.RequestId,
            Position = e.Position,
        }), cancellationToken);

    /// <summary>Writes items to <paramref name="path"/>.</summary>
    /// <returns>Rows written.</returns>
    public static Task<long> WriteItemsAsync(string path, IEnumerable<Item> items, CancellationToken cancellationToken = default) =>
        WriteAsync(path, items.Select(i => new ParquetItemRow
        {
            Id = i.Id,
            Title = i.Title,
            Categories = [.. i.Categories],
            Tags = [.. i.Tags],
            Attributes = i.AttributesJson,
            CreatedAt = i.CreatedAt.UtcDateTime,
            Hidden = i.Hidden,
            ExpiresAt = i.ExpiresAt?.UtcDateTime,
        }), cancellationToken);

    /// <summary>Writes users to <paramref name="path"/>.</summary>
    /// <returns>Rows written.</returns>
    public static Task<long> WriteUsersAsync(string path, IEnumerable<User> users, CancellationToken cancellationToken = default) =>
        WriteAsync(path, users.Select(u => new ParquetUserRow { Id = u.Id, Attributes = u.AttributesJson }), cancellationToken);

    /// <summary>Writes precomputed recommendations to <paramref name="path"/>.</summary>
    /// <returns>Rows written.</returns>
    public static Task<long> WriteRecommendationsAsync(string path, IEnumerable<ParquetRecommendationRow> rows, CancellationToken cancellationToken = default) =>
        WriteAsync(path, rows, cancellationToken);

    /// <summary>Writes rows in row groups of <see cref="RowGroupSize"/>, never holding more than one group.</summary>
    private static async Task<long> WriteAsync<T>(string path, IEnumerable<T> rows, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        long written = 0;
        var group = new List<T>(RowGroupSize);
        foreach (var row in rows)
        {
            group.Add(row);
            if (group.Count == RowGroupSize)
            {
                await WriteGroupAsync(stream, group, append: written > 0, cancellationToken).ConfigureAwait(false);
                written += group.Count;
                group.Clear();
            }
        }
        if (group.Count > 0 || written == 0)
        {
            // An empty table is still a file with the schema, so an export always has its four files.
            await WriteGroupAsync(stream, group, append: written > 0, cancellationToken).ConfigureAwait(false);
            written += group.Count;
        }
        return written;
    }

    private static async Task WriteGroupAsync<T>(FileStream stream, List<T> group, bool append, CancellationToken cancellationToken)
    {
        stream.Position = append ? stream.Position : 0;
        await ParquetSerializer.SerializeAsync(group, stream, new ParquetOptions { Append = append, RowGroupSize = RowGroupSize }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The rows of a file, one row group at a time.</summary>
    private static IEnumerable<T> Rows<T>(string path, Layout layout, IProgress<long>? rowsRead)
        where T : class, new()
    {
        int groups = RowGroupSizes(path, layout).Length;
        long read = 0;
        for (int g = 0; g < groups; g++)
        {
            IList<T> rows;
            try
            {
                // Blocking here keeps the readers synchronous like the other formats'; a command has no synchronization context.
                rows = ParquetSerializer.DeserializeAsync<T>(path, ReadOptions, g).GetAwaiter().GetResult().Data;
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                throw new InvalidDataException($"{path}: row group {g + 1} of {groups} does not fit the {layout.Name} layout (docs/cli.md): {e.Message}", e);
            }
            foreach (var row in rows)
            {
                yield return row;
            }
            read += rows.Count;
            rowsRead?.Report(read);
        }
    }

    /// <summary>The row count of each row group, from the file's footer.</summary>
    /// <remarks>With a <paramref name="layout"/>, the file's columns are checked first: the required ones present, no unknown one.</remarks>
    private static long[] RowGroupSizes(string path, Layout? layout) => RowGroupSizesAsync(path, layout).GetAwaiter().GetResult();

    private static async Task<long[]> RowGroupSizesAsync(string path, Layout? layout)
    {
        await using var reader = OpenReader(path);
        layout?.Check(path, [.. reader.Schema.Fields.Select(f => f.Name)]);
        return [.. reader.RowGroups.Select(g => g.RowCount)];
    }

    /// <summary>Opens a Parquet file, or throws <see cref="InvalidDataException"/> naming it when it is none.</summary>
    internal static ParquetReader OpenReader(string path)
    {
        try
        {
            return ParquetReader.CreateAsync(path, ReadOptions).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new InvalidDataException($"{path} is not a readable Parquet file: {e.Message}", e);
        }
    }

    /// <summary>The columns of one kind of file: those it must have and those it may have.</summary>
    private sealed record Layout(string Name, string[] Required, string[] Optional)
    {
        public void Check(string path, string[] columns)
        {
            var present = new HashSet<string>(columns, StringComparer.OrdinalIgnoreCase);
            if (Required.FirstOrDefault(c => !present.Contains(c)) is { } missing)
            {
                throw new InvalidDataException($"{path}: no '{missing}' column, which {Name} need (found: {string.Join(", ", columns)}); is --kind right?");
            }
            var known = new HashSet<string>(Required.Concat(Optional), StringComparer.OrdinalIgnoreCase);
            if (columns.FirstOrDefault(c => !known.Contains(c)) is { } unknown)
            {
                throw new InvalidDataException($"{path}: unknown column '{unknown}'; {Name} have {string.Join(", ", Required.Concat(Optional))}.");
            }
        }
    }

    private static JsonElement? Json(string? text, string path, int row)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: row {row + 1}: attributes is not JSON ({e.Message}).", e);
        }
    }
}
