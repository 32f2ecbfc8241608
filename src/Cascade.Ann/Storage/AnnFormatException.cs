namespace Cascade.Ann;

/// <summary>
/// Builds the <see cref="InvalidDataException"/> thrown for a corrupt, truncated, unknown-version or inconsistent
/// index file; the message names the file, the field, its byte offset and the value found.
/// </summary>
internal static class AnnFormatException
{
    public static InvalidDataException Create(string path, long offset, string field, string problem) =>
        new($"HNSW index file '{path}' is invalid: {field} at offset {offset}: {problem}.");
}
