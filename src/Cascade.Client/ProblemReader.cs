using System.Text.Json;

namespace Cascade.Client;

/// <summary>Turns a refused response into a <see cref="CascadeApiException"/>, reading its RFC 7807 problem body when it has one.</summary>
internal static class ProblemReader
{
    private const int MaxBodyInMessage = 500;

    public static async Task<CascadeApiException> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        TimeSpan? retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };
        string request = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}";
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("status", out _))
            {
                var errors = new List<FieldError>();
                if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var e in list.EnumerateArray())
                    {
                        errors.Add(new FieldError(Text(e, "field") ?? "", Text(e, "reason") ?? ""));
                    }
                }
                return new CascadeApiException(response.StatusCode, Text(root, "type"), Text(root, "title"), Text(root, "detail") ?? request, errors, retryAfter);
            }
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's page, Kestrel's empty 400): reported with the start of the body below.
        }
        string shown = body.Length > MaxBodyInMessage ? body[..MaxBodyInMessage] + "…" : body;
        return new CascadeApiException(response.StatusCode, null, response.ReasonPhrase, $"{request}: {shown}".TrimEnd(' ', ':'), [], retryAfter);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
