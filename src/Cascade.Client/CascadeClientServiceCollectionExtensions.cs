using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;

namespace Cascade.Client;

/// <summary>Registers <see cref="CascadeClient"/> with IHttpClientFactory.</summary>
public static class CascadeClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="CascadeClient"/> as a typed HTTP client: the base address and <c>X-Api-Key</c> from
    /// <paramref name="configure"/>, a total timeout, retries with exponential backoff and jitter for GETs and event
    /// writes that carry event ids (<see cref="CascadeRetryPolicy"/>), and a per-attempt timeout.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets <see cref="CascadeClientOptions.BaseAddress"/> (required), the API key and the retry limits.</param>
    /// <returns>The HTTP client builder, to add handlers.</returns>
    public static IHttpClientBuilder AddCascadeClient(this IServiceCollection services, Action<CascadeClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<CascadeClientOptions>().Configure(configure);
        services.AddSingleton<IValidateOptions<CascadeClientOptions>, OptionsValidator>();
        var builder = services.AddHttpClient<CascadeClient>((provider, http) =>
        {
            var options = provider.GetRequiredService<IOptions<CascadeClientOptions>>().Value;
            string address = options.BaseAddress!.AbsoluteUri;
            // Relative paths resolve under the base address only when it ends with a slash.
            http.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
            // The resilience pipeline's total timeout governs; HttpClient's own would cut retries short.
            http.Timeout = Timeout.InfiniteTimeSpan;
            if (!string.IsNullOrEmpty(options.ApiKey))
            {
                http.DefaultRequestHeaders.Add("X-Api-Key", options.ApiKey);
            }
        });
        builder.AddResilienceHandler("cascade", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<CascadeClientOptions>>().Value;
            pipeline.AddTimeout(options.TotalTimeout);
            if (options.MaxRetryAttempts > 0)
            {
                pipeline.AddRetry(CascadeRetryPolicy.Strategy(options));
            }
            pipeline.AddTimeout(options.AttemptTimeout);
        });
        return builder;
    }

    private sealed class OptionsValidator : IValidateOptions<CascadeClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, CascadeClientOptions options) =>
            options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
