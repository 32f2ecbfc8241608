using System.Security.Cryptography;
using System.Text;
using Cascade.Core.Domain;
using Microsoft.AspNetCore.Http;

namespace Cascade.Server.Infrastructure;

/// <summary>What a request may do.</summary>
internal enum Scope
{
    Read,
    Write,
    Admin,
}

/// <summary>
/// API-key authorisation. Keys are compared in constant time (on their SHA-256 digests, so neither content nor
/// length leaks through timing) and never logged. With no key configured the API is open on the default app,
/// which <see cref="CascadeServer"/> allows only on loopback addresses.
/// </summary>
internal sealed class ApiKeyAuth
{
    public const string Header = "X-Api-Key";
    private readonly List<(byte[] Digest, string App, HashSet<string> Scopes)> _keys;

    public ApiKeyAuth(IEnumerable<ApiKeyOptions> keys)
    {
        _keys = [.. keys.Select(k => (SHA256.HashData(Encoding.UTF8.GetBytes(k.Key)), k.App, new HashSet<string>(k.Scopes, StringComparer.Ordinal)))];
    }

    public bool Open => _keys.Count == 0;

    /// <summary>The apps requests can act on: every key's app, or the default app when the API is open.</summary>
    public IReadOnlyList<string> AppNames => Open ? [Core.Domain.Apps.Default] : [.. _keys.Select(k => k.App).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The rate-limit partition of a request: its API key when valid, else its client address.</summary>
    public string PartitionOf(HttpContext context)
    {
        if (!Open && context.Request.Headers.TryGetValue(Header, out var values) && values.Count == 1 && !string.IsNullOrEmpty(values[0])
            && Find(values[0]!) is { } match)
        {
            return "key:" + match.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    /// <summary>The app of <paramref name="key"/> when it is a configured key with the admin scope, else null (compared in constant time).</summary>
    public string? AdminApp(string key) =>
        Find(key) is { } i && _keys[i].Scopes.Contains("admin") ? _keys[i].App : null;

    // The index of the configured key equal to key, or null. Every key is compared, so the time taken does not say
    // which one matched.
    private int? Find(string key)
    {
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        int? match = null;
        for (int i = 0; i < _keys.Count; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, _keys[i].Digest))
            {
                match = i;
            }
        }
        return match;
    }

    /// <summary>Returns the app the request acts on, or a 401/403 problem.</summary>
    public (string? App, IResult? Error) Authorize(HttpContext context, Scope scope)
    {
        if (Open)
        {
            return (Apps.Default, null);
        }
        if (!context.Request.Headers.TryGetValue(Header, out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return (null, Results.Problem(title: "An API key is required.", detail: $"Send it in the {Header} header.", statusCode: StatusCodes.Status401Unauthorized,
                type: "https://cascade.dev/problems/unauthorized", extensions: Field("is required")));
        }
        if (Find(values[0]!) is not { } index)
        {
            return (null, Results.Problem(title: "The API key is not valid.", detail: $"{Header}: not a configured key.", statusCode: StatusCodes.Status401Unauthorized,
                type: "https://cascade.dev/problems/unauthorized", extensions: Field("is not a configured key")));
        }
        var m = _keys[index];
        string needed = scope switch { Scope.Read => "read", Scope.Write => "write", _ => "admin" };
        bool allowed = m.Scopes.Contains("admin") || m.Scopes.Contains(needed) || (scope == Scope.Read && m.Scopes.Contains("write"));
        return allowed
            ? (m.App, null)
            : (null, Results.Problem(title: "The API key lacks a scope.", detail: $"This operation needs the '{needed}' scope.", statusCode: StatusCodes.Status403Forbidden,
                type: "https://cascade.dev/problems/forbidden", extensions: Field($"lacks the '{needed}' scope")));
    }

    private static Dictionary<string, object?> Field(string reason) =>
        new() { ["errors"] = new[] { new Serving.Ingestion.FieldError(Header, reason) } };
}
