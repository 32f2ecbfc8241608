using Cascade.Server.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Client.Tests;

/// <summary>The real server (the server tests' <see cref="RunningServer"/>) and a CascadeClient registered against it with AddCascadeClient.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly RunningServer _server;
    private readonly ServiceProvider _services;

    private TestServer(RunningServer server, ServiceProvider services)
    {
        _server = server;
        _services = services;
    }

    /// <summary>The client, with the API key given to <see cref="StartAsync"/>, if any.</summary>
    public CascadeClient Client => _services.GetRequiredService<CascadeClient>();

    public static async Task<TestServer> StartAsync(Dictionary<string, string?>? settings = null, string? apiKey = null)
    {
        var server = await RunningServer.StartAsync(settings);
        var services = new ServiceCollection();
        services.AddCascadeClient(o =>
        {
            o.BaseAddress = server.Client.BaseAddress;
            o.ApiKey = apiKey;
            o.RetryDelay = TimeSpan.FromMilliseconds(50);
        });
        return new TestServer(server, services.BuildServiceProvider());
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }
}
