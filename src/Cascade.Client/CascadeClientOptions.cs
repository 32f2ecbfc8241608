namespace Cascade.Client;

/// <summary>Where the Cascade server is, how to authenticate, and how patiently to retry.</summary>
public sealed class CascadeClientOptions
{
    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:5080/</c> (required).</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The API key sent as <c>X-Api-Key</c>; none when null (a server without keys).</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Retries after the first attempt of a request that is safe to repeat: a GET, or an event write whose events all
    /// carry an event id (the server stores a repeated id once). Other writes are never retried. 0 turns retries off.
    /// </summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The first retry's delay; later ones grow exponentially, each with random jitter (or the server's Retry-After).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The limit of one attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The limit of a whole call, retries included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>What is wrong with the options, or null when they are usable.</summary>
    public string? Problem() => BaseAddress switch
    {
        null => "CascadeClientOptions.BaseAddress is not set; set it to the server's URL, e.g. http://127.0.0.1:5080/.",
        { IsAbsoluteUri: false } => $"CascadeClientOptions.BaseAddress '{BaseAddress}' is not an absolute URL; use e.g. http://127.0.0.1:5080/.",
        _ when MaxRetryAttempts is < 0 or > 10 => $"CascadeClientOptions.MaxRetryAttempts {MaxRetryAttempts} is outside 0–10.",
        _ when RetryDelay <= TimeSpan.Zero => $"CascadeClientOptions.RetryDelay {RetryDelay} must be positive.",
        _ when AttemptTimeout <= TimeSpan.Zero || TotalTimeout < AttemptTimeout => $"CascadeClientOptions.AttemptTimeout {AttemptTimeout} must be positive and at most TotalTimeout {TotalTimeout}.",
        _ => null,
    };
}
