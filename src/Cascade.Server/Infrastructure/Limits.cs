using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cascade.Server.Infrastructure;

/// <summary>
/// Request rate limits per API key (per client IP address for requests without a valid key, as on an open loopback
/// server), one token bucket per scope, with the ASP.NET Core rate limiter: over the limit is 429 with Retry-After
/// and a problem document. And a concurrency limit on the pipeline endpoints (recommend, similar, popular, latest,
/// rank): requests beyond it wait briefly in a queue, then are shed with 503 and Retry-After.
/// </summary>
internal static class Limits
{
    public static string PolicyOf(Scope scope) => scope switch { Scope.Read => "read", Scope.Write => "write", _ => "admin" };

    public static void AddCascadeLimits(this IServiceCollection services, RateLimitOptions options)
    {
        services.AddSingleton(new PipelineGate(options));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, token) =>
            {
                var http = context.HttpContext;
                int seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var policy = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "?";
                await Results.Problem(
                    title: "Too many requests; retry later.",
                    detail: $"This API key (or, without one, this address) sent more than its {PerSecond(options, policy)} '{policy}' requests per second (Cascade:RateLimits). Retry after {seconds} s.",
                    statusCode: StatusCodes.Status429TooManyRequests,
                    type: "https://cascade.dev/problems/rate-limited",
                    extensions: new Dictionary<string, object?> { ["errors"] = new[] { new Serving.Ingestion.FieldError(ApiKeyAuth.Header, $"over {PerSecond(options, policy)} '{policy}' requests per second") } })
                    .ExecuteAsync(http);
            };
            foreach (var scope in (Scope[])[Scope.Read, Scope.Write, Scope.Admin])
            {
                string policy = PolicyOf(scope);
                int perSecond = PerSecond(options, policy);
                o.AddPolicy(policy, http => perSecond <= 0
                    ? RateLimitPartition.GetNoLimiter("unlimited")
                    : RateLimitPartition.GetTokenBucketLimiter(http.RequestServices.GetRequiredService<ApiKeyAuth>().PartitionOf(http), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = Math.Max(1, (int)Math.Min(int.MaxValue, (long)perSecond * options.BurstSeconds)),
                        TokensPerPeriod = perSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            }
        });
    }

    private static int PerSecond(RateLimitOptions options, string policy) => policy switch
    {
        "read" => options.ReadPerSecond,
        "write" => options.WritePerSecond,
        _ => options.AdminPerSecond,
    };

    /// <summary>Puts the pipeline endpoints of <paramref name="builder"/> behind the concurrency limit.</summary>
    public static TBuilder WithPipelineGate<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var gate = context.HttpContext.RequestServices.GetRequiredService<PipelineGate>();
            using var lease = await gate.AcquireAsync(context.HttpContext.RequestAborted);
            if (!lease.IsAcquired)
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return Results.Problem(title: "The server is busy; retry shortly.",
                    detail: $"More than {gate.Options.PipelineConcurrency} pipeline requests are running and the queue is full or its wait ({gate.Options.PipelineQueueMs} ms) ran out (Cascade:RateLimits).",
                    statusCode: StatusCodes.Status503ServiceUnavailable, type: "https://cascade.dev/problems/busy");
            }
            return await next(context);
        });
}

/// <summary>The concurrency limit of the pipeline endpoints (recommend, similar, popular, latest, rank).</summary>
/// <param name="options">The limits.</param>
public sealed class PipelineGate(RateLimitOptions options)
{
    private readonly ConcurrencyLimiter? _limiter = options.PipelineConcurrency <= 0 ? null : new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.PipelineConcurrency,
        QueueLimit = options.PipelineQueue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>The limits.</summary>
    public RateLimitOptions Options => options;

    /// <summary>A permit, waiting at most <see cref="RateLimitOptions.PipelineQueueMs"/> for one; not acquired when none came.</summary>
    /// <param name="aborted">The request's cancellation.</param>
    public async ValueTask<RateLimitLease> AcquireAsync(CancellationToken aborted)
    {
        if (_limiter is null)
        {
            return FixedLease.Granted;
        }
        var lease = _limiter.AttemptAcquire();
        if (lease.IsAcquired || options.PipelineQueue == 0)
        {
            return lease;
        }
        lease.Dispose();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        wait.CancelAfter(options.PipelineQueueMs);
        try
        {
            return await _limiter.AcquireAsync(1, wait.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return FixedLease.Refused;
        }
    }

    // A lease decided without the limiter: granted (no limit configured) or refused (the queue's wait ran out).
    private sealed class FixedLease(bool acquired) : RateLimitLease
    {
        public static readonly FixedLease Granted = new(true);
        public static readonly FixedLease Refused = new(false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}

/// <summary>
/// Refuses to keep running when the API is open (no API key) and the server bound an address beyond loopback — by
/// whatever configuration it came (urls, Kestrel endpoints, ports): it checks the addresses Kestrel actually bound.
/// </summary>
internal sealed class BoundAddressCheck(IServer server, ApiKeyAuth keys) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        if (!keys.Open)
        {
            return Task.CompletedTask;
        }
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (string address in addresses)
        {
            if (!CascadeServer.IsLoopback(address))
            {
                throw new InvalidOperationException(
                    $"Refusing to serve on '{address}' without an API key: with no key the API is open, so it may only listen on loopback. " +
                    "Configure Cascade:ApiKeys (for example Cascade__ApiKeys__0__Key, __App, __Scopes__0) or bind 127.0.0.1.");
            }
        }
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
