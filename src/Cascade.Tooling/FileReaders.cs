using System.Globalization;
using System.Text;
using System.Text.Json;
using Cascade.Serving.Ingestion;

namespace Cascade.Tooling;

/// <summary>
/// Readers for the import formats. Each yields the same inputs the API takes, so imported records pass the same
/// validation. A malformed line stops the import with an error naming the file and line.
/// </summary>
public static class FileReaders
{
    /// <summary>JSON Lines: one JSON object per line in the API's shape; blank lines are skipped.</summary>
    public static IEnumerable<T> JsonLines<T>(string path, IProgress<long>? bytesRead = null)
        where T : class
    {
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        int line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }
            T? value;
            try
            {
                value = JsonSerializer.Deserialize<T>(text, CascadeJson.Options);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}:{line}: {ex.Message}", ex);
            }
            if (value is null)
            {
                throw new InvalidDataException($"{path}:{line}: expected a JSON object, found null.");
            }
            if ((line & 1023) == 0)
            {
                bytesRead?.Report(stream.Position);
            }
            yield return value;
        }
        bytesRead?.Report(stream.Length);
    }

    /// <summary>
    /// Events from CSV (RFC 4180 quoting) with a header naming the columns: userId, itemId, type (required),
    /// timestamp (ISO 8601 or Unix seconds), value, eventId, requestId, position (optional).
    /// </summary>
    public static IEnumerable<EventInput> CsvEvents(string path, IProgress<long>? bytesRead = null)
    {
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var header = ReadCsvRecord(reader) ?? throw new InvalidDataException($"{path}: the file is empty; a header row is required.");
        var col = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < header.Count; i++)
        {
            col[header[i].Trim()] = i;
        }
        foreach (var required in (string[])["userId", "itemId", "type"])
        {
            if (!col.ContainsKey(required))
            {
                throw new InvalidDataException($"{path}: the header has no '{required}' column (found: {string.Join(", ", header)}).");
            }
        }
        var known = new HashSet<string>(["userId", "itemId", "type", "timestamp", "value", "eventId", "requestId", "position"], StringComparer.OrdinalIgnoreCase);
        foreach (var name in col.Keys)
        {
            if (!known.Contains(name))
            {
                throw new InvalidDataException($"{path}: unknown column '{name}'; columns are {string.Join(", ", known)}.");
            }
        }
        int line = 1;
        while (ReadCsvRecord(reader) is { } row)
        {
            line++;
            if (row.Count == 1 && row[0].Length == 0)
            {
                continue;
            }
            if (row.Count != header.Count)
            {
                throw new InvalidDataException($"{path}:{line}: {row.Count} fields where the header has {header.Count}.");
            }
            string? Get(string name) => col.TryGetValue(name, out int i) && row[i].Length > 0 ? row[i] : null;
            yield return new EventInput
            {
                UserId = Get("userId"),
                ItemId = Get("itemId"),
                Type = Get("type"),
                Timestamp = Get("timestamp") is { } ts ? ParseTime(ts, path, line) : null,
                Value = Get("value") is { } v ? ParseDouble(v, "value", path, line) : null,
                EventId = Get("eventId"),
                RequestId = Get("requestId"),
                Position = Get("position") is { } p ? (int)ParseDouble(p, "position", path, line) : null,
            };
            if ((line & 1023) == 0)
            {
                bytesRead?.Report(stream.Position);
            }
        }
        bytesRead?.Report(stream.Length);
    }

    internal static DateTimeOffset ParseTime(string s, string path, int line)
    {
        if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts))
        {
            return ts;
        }
        throw new InvalidDataException($"{path}:{line}: timestamp '{s}' is neither ISO 8601 nor Unix seconds.");
    }

    private static double ParseDouble(string s, string field, string path, int line) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw new InvalidDataException($"{path}:{line}: {field} '{s}' is not a number.");

    /// <summary>Reads one CSV record, handling quoted fields with embedded commas, quotes and newlines.</summary>
    internal static List<string>? ReadCsvRecord(TextReader reader)
    {
        int c = reader.Read();
        if (c < 0)
        {
            return null;
        }
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        while (true)
        {
            if (quoted)
            {
                if (c < 0)
                {
                    throw new InvalidDataException("A quoted CSV field is not closed before the end of the file.");
                }
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        sb.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    sb.Append((char)c);
                }
            }
            else if (c == '"' && sb.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(sb.ToString());
                sb.Clear();
            }
            else if (c is '\n' or -1)
            {
                fields.Add(sb.ToString());
                return fields;
            }
            else if (c == '\r')
            {
                if (reader.Peek() == '\n')
                {
                    reader.Read();
                }
                fields.Add(sb.ToString());
                return fields;
            }
            else
            {
                sb.Append((char)c);
            }
            c = reader.Read();
        }
    }
}
