using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Cascade.Client;

/// <summary>
/// Which requests may be sent again after a transient failure: GETs (they change nothing) and event writes whose
/// every event carries an event id (the server stores a repeated id once). Any other write — an item or user upsert,
/// events without ids, a training — is sent once: repeating it could store it twice or undo a later write.
/// </summary>
public static class CascadeRetryPolicy
{
    private static readonly HttpRequestOptionsKey<bool> RetryableKey = new("Cascade.Retryable");

    /// <summary>Marks <paramref name="request"/> as safe (or not) to send again.</summary>
    public static void MarkRetryable(HttpRequestMessage request, bool retryable)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Options.Set(RetryableKey, retryable);
    }

    /// <summary>Whether <paramref name="request"/> may be sent again: its mark, or, unmarked, whether it is a GET or HEAD.</summary>
    public static bool IsRetryable(HttpRequestMessage? request) =>
        request is not null && (request.Options.TryGetValue(RetryableKey, out bool marked) ? marked : request.Method == HttpMethod.Get || request.Method == HttpMethod.Head);

    /// <summary>The retry strategy: transient failures (5xx, 408, 429, connection errors, timeouts) of retryable requests, exponential delays with jitter, honouring Retry-After.</summary>
    public static HttpRetryStrategyOptions Strategy(CascadeClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = options.MaxRetryAttempts,
            Delay = options.RetryDelay,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldRetryAfterHeader = true,
            ShouldHandle = args => ValueTask.FromResult(
                IsRetryable(args.Context.GetRequestMessage()) && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
        };
    }
}
