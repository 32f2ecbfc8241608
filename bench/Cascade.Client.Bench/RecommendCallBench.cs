using System.Net.Http.Json;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Client.Bench;

/// <summary>
/// One recommend call (<c>GET /v1/recommend/{user}?n=10</c>) three ways: raw <see cref="HttpClient"/> +
/// System.Text.Json into the client's own response type (the baseline), the <see cref="CascadeClient"/> as an
/// application registers it (IHttpClientFactory, the retry pipeline), and the same with retries off. What answers
/// is the subclass's choice; the difference between the rows is what the client adds to a call.
/// </summary>
[MemoryDiagnoser]
public abstract class RecommendCallBench : IDisposable
{
    /// <summary>The user every call asks for (one with clicks in the seeded data).</summary>
    internal const string User = "u7";

    private static readonly Uri Path = new($"v1/recommend/{User}?n=10", UriKind.Relative);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly RecommendOptions Ten = new() { N = 10 };

    private HttpClient? _raw;
    private ServiceProvider? _services;
    private ServiceProvider? _servicesWithoutRetries;
    private CascadeClient _client = null!;
    private CascadeClient _clientWithoutRetries = null!;

    [GlobalCleanup]
    public void Dispose()
    {
        _services?.Dispose();
        _servicesWithoutRetries?.Dispose();
        _raw?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "HttpClient + System.Text.Json")]
    public async Task<int> RawHttpClient()
    {
        using var response = await _raw!.GetAsync(Path, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var page = await response.Content.ReadFromJsonAsync<RecommendResponse>(Json);
        return page!.Items.Count;
    }

    [Benchmark(Description = "CascadeClient (retries on)")]
    public async Task<int> Client() => (await _client.RecommendAsync(User, Ten)).Items.Count;

    [Benchmark(Description = "CascadeClient (retries off)")]
    public async Task<int> ClientWithoutRetries() => (await _clientWithoutRetries.RecommendAsync(User, Ten)).Items.Count;

    /// <summary>Makes the three callers of <paramref name="address"/>, through <paramref name="handler"/>'s handlers when given.</summary>
    protected void Connect(Uri address, Func<HttpMessageHandler>? handler = null)
    {
        _raw = handler is null ? new HttpClient() : new HttpClient(handler());
        _raw.BaseAddress = address;
        _services = Register(address, retries: 3, handler);
        _servicesWithoutRetries = Register(address, retries: 0, handler);
        _client = _services.GetRequiredService<CascadeClient>();
        _clientWithoutRetries = _servicesWithoutRetries.GetRequiredService<CascadeClient>();
    }

    /// <summary>A <see cref="CascadeClient"/> registered as an application does (<c>AddCascadeClient</c>).</summary>
    internal static ServiceProvider Register(Uri address, int retries, Func<HttpMessageHandler>? handler = null, TimeSpan? timeout = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddCascadeClient(o =>
        {
            o.BaseAddress = address;
            o.MaxRetryAttempts = retries;
            if (timeout is { } t)
            {
                o.AttemptTimeout = t;
                o.TotalTimeout = t;
            }
        });
        if (handler is not null)
        {
            builder.ConfigurePrimaryHttpMessageHandler(handler);
        }
        return services.BuildServiceProvider();
    }
}
