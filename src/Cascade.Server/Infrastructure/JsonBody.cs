using System.Text.Json;
using Cascade.Serving.Ingestion;
using Microsoft.AspNetCore.Http;

namespace Cascade.Server.Infrastructure;

/// <summary>
/// Reads request bodies with the strict Cascade JSON contract and turns every parse failure into a 400 problem
/// that names the JSON path and the reason, instead of the framework's empty 400.
/// </summary>
internal static class JsonBody
{
    /// <summary>A parsed body: one element, or a batch.</summary>
    public sealed record Parsed<T>(IReadOnlyList<T?> Elements, bool IsBatch, IResult? Error);

    public static async Task<Parsed<T>> ReadAsync<T>(HttpRequest request, bool allowSingle, bool allowBatch, int maxBatch)
        where T : class
    {
        if (request.ContentType is not { } ct || !ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return new([], false, Problems.Invalid("Content-Type", $"must be application/json, not '{request.ContentType ?? "(none)"}'", StatusCodes.Status415UnsupportedMediaType));
        }
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        int first = 0;
        var span = bytes.Span;
        while (first < span.Length && span[first] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            first++;
        }
        if (first == span.Length)
        {
            return new([], false, Problems.Invalid("$", "the body is empty; a JSON " + (allowBatch ? (allowSingle ? "object or array" : "array") : "object") + " is required", StatusCodes.Status400BadRequest));
        }
        bool isBatch = span[first] == (byte)'[';
        if (isBatch && !allowBatch)
        {
            return new([], true, Problems.Invalid("$", "a JSON object is required, not an array", StatusCodes.Status400BadRequest));
        }
        if (!isBatch && !allowSingle)
        {
            return new([], false, Problems.Invalid("$", "a JSON array is required", StatusCodes.Status400BadRequest));
        }
        try
        {
            if (isBatch)
            {
                var list = JsonSerializer.Deserialize<List<T?>>(bytes.Span, CascadeJson.Options);
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
            var one = JsonSerializer.Deserialize<T>(bytes.Span, CascadeJson.Options);
            return new([one], false, null);
        }
        catch (JsonException ex)
        {
            string path = string.IsNullOrEmpty(ex.Path) ? "$" : ex.Path;
            return new([], isBatch, Problems.Invalid(path, Describe<T>(ex), StatusCodes.Status400BadRequest));
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
        message = message.Replace("Cascade.Serving.Ingestion.", "", StringComparison.Ordinal);
        return ex.LineNumber is { } line ? $"{message} (line {line + 1}, byte {ex.BytePositionInLine + 1})" : message;
    }

    private static string AcceptedFields(Type type) =>
        string.Join(", ", type.GetProperties().Select(p => CascadeJson.Options.PropertyNamingPolicy!.ConvertName(p.Name)));
}
