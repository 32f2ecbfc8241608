using System.Net;

namespace Cascade.Client;

/// <summary>
/// The server refused a request: its RFC 7807 problem document (<c>application/problem+json</c>) as a typed exception,
/// with the HTTP status and every field the server named (<c>errors[].field</c>: a JSON path, a parameter,
/// <c>X-Api-Key</c>, …).
/// </summary>
public sealed class CascadeApiException : Exception
{
    /// <summary>Creates the exception for a refused request.</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="problemType">The problem's <c>type</c> URI, if any.</param>
    /// <param name="title">The problem's <c>title</c>, if any.</param>
    /// <param name="detail">The problem's <c>detail</c>, or the start of a body that is no problem document.</param>
    /// <param name="errors">The named fields and why each is wrong.</param>
    /// <param name="retryAfter">The server's <c>Retry-After</c>, if it sent one.</param>
    public CascadeApiException(HttpStatusCode statusCode, string? problemType, string? title, string? detail, IReadOnlyList<FieldError> errors, TimeSpan? retryAfter = null)
        : base(Describe(statusCode, title, detail, errors))
    {
        ArgumentNullException.ThrowIfNull(errors);
        StatusCode = statusCode;
        ProblemType = problemType;
        Title = title;
        Detail = detail;
        Errors = errors;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates an exception with a message only (prefer the full constructor).</summary>
    public CascadeApiException()
        : this(HttpStatusCode.InternalServerError, null, null, null, [])
    {
    }

    /// <summary>Creates an exception with a message only (prefer the full constructor).</summary>
    public CascadeApiException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates an exception with a message and a cause (prefer the full constructor).</summary>
    public CascadeApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The HTTP status as a number (422, 404, …).</summary>
    public int Status => (int)StatusCode;

    /// <summary>The problem's <c>type</c>, e.g. <c>https://cascade.dev/problems/invalid-input</c>.</summary>
    public string? ProblemType { get; }

    /// <summary>The problem's <c>title</c>.</summary>
    public string? Title { get; }

    /// <summary>The problem's <c>detail</c>.</summary>
    public string? Detail { get; }

    /// <summary>Each invalid field and why.</summary>
    public IReadOnlyList<FieldError> Errors { get; }

    /// <summary>The names of the invalid fields, in the server's order.</summary>
    public IReadOnlyList<string> Fields => [.. Errors.Select(e => e.Field)];

    /// <summary>How long the server asked the client to wait (503, 429), if it said.</summary>
    public TimeSpan? RetryAfter { get; }

    private static string Describe(HttpStatusCode status, string? title, string? detail, IReadOnlyList<FieldError> errors)
    {
        string text = $"Cascade answered {(int)status} ({status})";
        if (!string.IsNullOrEmpty(title))
        {
            text += ": " + title;
        }
        if (errors is { Count: > 0 })
        {
            text += " " + string.Join("; ", errors.Select(e => $"{e.Field}: {e.Reason}"));
        }
        else if (!string.IsNullOrEmpty(detail))
        {
            text += " " + detail;
        }
        return text;
    }
}
