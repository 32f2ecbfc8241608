using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cascade.Serving.Ingestion;
using Microsoft.AspNetCore.Http;

namespace Cascade.Server.Infrastructure;

/// <summary>What a JSON body may hold, checked while it streams in (before anything is deserialized).</summary>
/// <param name="MaxBatch">Most elements of a top-level array (a batch); more is 413.</param>
/// <param name="MaxElements">Most elements of any other array or members of any object; more is 413 naming it.</param>
/// <param name="MaxValues">Most JSON values (scalars, arrays, objects) in one body; more is 413.</param>
/// <param name="MaxTokenBytes">Longest single token (a string or a number), in bytes; longer is 413 naming it.</param>
internal sealed record JsonLimits(int MaxBatch, int MaxElements, int MaxValues, int MaxTokenBytes)
{
    /// <summary>The limits the server's options describe.</summary>
    public static JsonLimits Of(ServerOptions options) =>
        new(options.MaxBatchSize, options.MaxJsonElements, options.MaxJsonValues, options.MaxJsonTokenBytes);
}

/// <summary>
/// Reads request bodies with the strict Cascade JSON contract and turns every parse failure into a 400 problem
/// that names the JSON path and the reason, instead of the framework's empty 400. The body is read in chunks
/// through a <see cref="Utf8JsonReader"/> that counts elements and values as they arrive, so a hostile body (millions
/// of tiny elements, a huge string) is refused at the limit it crosses without being parsed into objects; only a body
/// within every limit is deserialized.
/// </summary>
internal static partial class JsonBody
{
    /// <summary>A parsed body: one element, or a batch.</summary>
    public sealed record Parsed<T>(IReadOnlyList<T?> Elements, bool IsBatch, IResult? Error);

    private const int ChunkBytes = 64 * 1024;

    public static async Task<Parsed<T>> ReadAsync<T>(HttpRequest request, bool allowSingle, bool allowBatch, JsonLimits limits)
        where T : class
    {
        if (request.ContentType is not { } ct || !ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return new([], false, Problems.Invalid("Content-Type", $"must be application/json, not '{Clip(request.ContentType ?? "(none)")}'", StatusCodes.Status415UnsupportedMediaType));
        }
        var guard = new JsonGuard(limits, allowSingle, allowBatch);
        var chunks = new List<(byte[] Array, int Length)>();
        byte[] scan = ArrayPool<byte>.Shared.Rent(2 * ChunkBytes);
        try
        {
            int pending = 0; // bytes of an unfinished token carried to the next chunk
            while (true)
            {
                byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                int n = await request.Body.ReadAsync(chunk.AsMemory(0, ChunkBytes), request.HttpContext.RequestAborted).ConfigureAwait(false);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                    guard.Feed(scan.AsSpan(0, pending), final: true);
                    break;
                }
                chunks.Add((chunk, n));
                if (pending + n > scan.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(pending + n);
                    scan.AsSpan(0, pending).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(scan);
                    scan = larger;
                }
                chunk.AsSpan(0, n).CopyTo(scan.AsSpan(pending));
                int consumed = guard.Feed(scan.AsSpan(0, pending + n), final: false);
                pending = pending + n - consumed;
                scan.AsSpan(consumed, pending).CopyTo(scan);
                if (guard.Error is null && pending > limits.MaxTokenBytes)
                {
                    guard.Refuse(guard.Path(), $"a single value is longer than {limits.MaxTokenBytes} bytes", StatusCodes.Status413PayloadTooLarge);
                }
                if (guard.Error is not null || guard.SyntaxError)
                {
                    // Refused, or malformed: what was read is enough to say where. The rest of the body is not read, so
                    // the connection closes after the answer rather than carrying unread bytes into the next request.
                    request.HttpContext.Response.Headers.Connection = "close";
                    break;
                }
            }
            if (guard.Error is not null)
            {
                return new([], guard.IsBatch, guard.Error);
            }
            if (!guard.SawValue)
            {
                return new([], false, Problems.Invalid("$", "the body is empty; a JSON " + (allowBatch ? (allowSingle ? "object or array" : "array") : "object") + " is required", StatusCodes.Status400BadRequest));
            }
            return Deserialize<T>(Sequence(chunks), guard.IsBatch, limits.MaxBatch);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scan);
            foreach (var (array, _) in chunks)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }

    private static Parsed<T> Deserialize<T>(ReadOnlySequence<byte> bytes, bool isBatch, int maxBatch)
        where T : class
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = CascadeJson.Options.MaxDepth });
        try
        {
            if (isBatch)
            {
                var list = JsonSerializer.Deserialize<List<T?>>(ref reader, CascadeJson.Options);
                EnsureEnd(ref reader);
                if (list is null || list.Count == 0)
                {
                    return new([], true, Problems.Invalid("$", "the array is empty; send at least one element"));
                }
                if (list.Count > maxBatch)
                {
                    return new([], true, Problems.TooLarge($"The batch has {list.Count} elements; the limit is {maxBatch} (Cascade:MaxBatchSize)."));
                }
                return new(list, true, null);
            }
            var one = JsonSerializer.Deserialize<T>(ref reader, CascadeJson.Options);
            EnsureEnd(ref reader);
            if (one is null)
            {
                return new([], false, Problems.Invalid("$", "a JSON object is required, not null", StatusCodes.Status400BadRequest));
            }
            return new([one], false, null);
        }
        catch (JsonException ex)
        {
            string path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            return new([], isBatch, Problems.Invalid(path, Describe<T>(ex), StatusCodes.Status400BadRequest));
        }
    }

    // The serializer reads one value from a reader; anything after it is an error too.
    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("unexpected content after the JSON value");
        }
    }

    private static ReadOnlySequence<byte> Sequence(List<(byte[] Array, int Length)> chunks)
    {
        if (chunks.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = new Segment(chunks[0].Array.AsMemory(0, chunks[0].Length), 0);
        var last = first;
        for (int i = 1; i < chunks.Count; i++)
        {
            last = last.Append(chunks[i].Array.AsMemory(0, chunks[i].Length));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    // The serializer's messages name .NET types; keep the useful part and the position.
    private static string Describe<T>(JsonException ex)
    {
        string message = ex.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return $"unknown field; accepted fields are {AcceptedFields(typeof(T))}";
        }
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }
        cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }
        message = ConvertedTo().Replace(message, m => "is not " + Friendly(m.Groups[1].Value) + ".");
        message = DotNetType().Replace(message, m => Friendly(m.Value));
        return ex.LineNumber is { } line ? $"{message} (line {line + 1}, byte {ex.BytePositionInLine + 1})" : message;
    }

    /// <summary>A JSON reader's or serializer's name for a .NET type, in the words of the API.</summary>
    internal static string Friendly(string type)
    {
        string t = type.Replace("System.Nullable`1[", "", StringComparison.Ordinal).TrimEnd(']', '.');
        return t switch
        {
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Int32" or "System.Int64" or "System.Int16" => "an integer",
            "System.Boolean" => "true or false",
            "System.String" => "a string",
            "System.DateTimeOffset" or "System.DateTime" => "an ISO 8601 timestamp",
            "System.Text.Json.JsonElement" => "a JSON value",
            _ when t.Contains("List`1", StringComparison.Ordinal) || t.EndsWith("[]", StringComparison.Ordinal) => "an array",
            _ => "an object",
        };
    }

    [GeneratedRegex(@"The JSON value could not be converted to (\S+?)\.?$")]
    private static partial Regex ConvertedTo();

    [GeneratedRegex(@"(?:System|Cascade)\.[A-Za-z0-9_`.\[\],]+")]
    private static partial Regex DotNetType();

    private static string AcceptedFields(Type type) =>
        string.Join(", ", type.GetProperties().Select(p => CascadeJson.Options.PropertyNamingPolicy!.ConvertName(p.Name)));

    private static string Clip(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 77), "...");

    /// <summary>
    /// Counts what a body holds as its chunks arrive: elements of each array and members of each object (the
    /// top-level array against the batch limit), values in all, and knows the JSON path it is at. A syntax error stops
    /// it (the serializer then reports the error with its path); a limit crossed sets <see cref="Error"/>.
    /// </summary>
    private sealed class JsonGuard(JsonLimits limits, bool allowSingle, bool allowBatch)
    {
        private readonly List<Level> _levels = [];
        private JsonReaderState _state = new(new JsonReaderOptions { MaxDepth = CascadeJson.Options.MaxDepth });
        private long _values;

        public IResult? Error { get; private set; }

        public bool SyntaxError { get; private set; }

        public bool IsBatch { get; private set; }

        public bool SawValue { get; private set; }

        /// <summary>Reads as many whole tokens of <paramref name="block"/> as it can; returns the bytes consumed.</summary>
        public int Feed(ReadOnlySpan<byte> block, bool final)
        {
            if (Error is not null || SyntaxError)
            {
                return block.Length;
            }
            var reader = new Utf8JsonReader(block, final, _state);
            try
            {
                while (Error is null && reader.Read())
                {
                    Token(ref reader);
                }
            }
            catch (JsonException)
            {
                SyntaxError = true;
                return block.Length;
            }
            _state = reader.CurrentState;
            return (int)reader.BytesConsumed;
        }

        private void Token(ref Utf8JsonReader reader)
        {
            var type = reader.TokenType;
            if (type == JsonTokenType.PropertyName)
            {
                var level = _levels[^1];
                level.Count++;
                level.Property = reader.GetString();
                if (level.Count > limits.MaxElements)
                {
                    Refuse(Path(), $"the object has more than {limits.MaxElements} members (Cascade:MaxJsonElements)", StatusCodes.Status413PayloadTooLarge);
                }
                return;
            }
            if (type is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                _levels.RemoveAt(_levels.Count - 1);
                return;
            }
            if (type is JsonTokenType.Comment or JsonTokenType.None)
            {
                return;
            }
            // A value: the top-level one, an array element or an object member's value.
            if (!SawValue)
            {
                SawValue = true;
                IsBatch = type == JsonTokenType.StartArray;
                if (IsBatch && !allowBatch)
                {
                    Refuse("$", "a JSON object is required, not an array", StatusCodes.Status400BadRequest);
                    return;
                }
                if (!IsBatch && !allowSingle)
                {
                    Refuse("$", "a JSON array is required", StatusCodes.Status400BadRequest);
                    return;
                }
            }
            if (++_values > limits.MaxValues)
            {
                Refuse("$", $"the body holds more than {limits.MaxValues} JSON values (Cascade:MaxJsonValues)", StatusCodes.Status413PayloadTooLarge);
                return;
            }
            if (_levels.Count > 0 && _levels[^1] is { IsArray: true } array)
            {
                array.Count++;
                bool top = _levels.Count == 1 && IsBatch;
                int max = top ? limits.MaxBatch : limits.MaxElements;
                if (array.Count > max)
                {
                    if (top)
                    {
                        Error = Problems.TooLarge($"The batch has more than {max} elements; the limit is {max} (Cascade:MaxBatchSize).");
                    }
                    else
                    {
                        Refuse(Path(), $"the array has more than {max} elements (Cascade:MaxJsonElements)", StatusCodes.Status413PayloadTooLarge);
                    }
                    return;
                }
            }
            if (type is JsonTokenType.StartArray or JsonTokenType.StartObject)
            {
                _levels.Add(new Level { IsArray = type == JsonTokenType.StartArray });
            }
        }

        public void Refuse(string field, string reason, int status) => Error = Problems.Invalid(field, reason, status);

        /// <summary>The JSON path of the current position, e.g. <c>$.candidates</c> or <c>$[3].categories</c>.</summary>
        public string Path()
        {
            var text = new System.Text.StringBuilder("$");
            for (int i = 0; i < _levels.Count; i++)
            {
                var level = _levels[i];
                bool last = i == _levels.Count - 1;
                if (level.IsArray)
                {
                    if (!last)
                    {
                        text.Append('[').Append(level.Count - 1).Append(']');
                    }
                }
                else if (level.Property is { } name)
                {
                    text.Append('.').Append(name.Length > 64 ? name[..61] + "..." : name);
                }
            }
            return text.ToString();
        }

        private sealed class Level
        {
            public bool IsArray;
            public int Count;
            public string? Property;
        }
    }
}
