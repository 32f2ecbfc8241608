using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Tests;

/// <summary>A real Cascade server on a free loopback port over a fresh data folder.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningServer(WebApplication app, string dataDir, HttpClient client)
    {
        _app = app;
        DataDirectory = dataDir;
        Client = client;
    }

    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Waits until the impressions written so far are in the log and every projection has applied the log.</summary>
    public async Task SettledAsync()
    {
        long sequence = await Services.GetRequiredService<RecommendationService>().WaitForImpressionsAsync();
        await Services.GetRequiredService<CascadeEngine>().WaitForAllAsync(sequence).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public HttpClient Client { get; }

    public static async Task<RunningServer> StartAsync(Dictionary<string, string?>? settings = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "cascade-server-tests", Guid.NewGuid().ToString("N"));
        var overrides = new Dictionary<string, string?>
        {
            ["Cascade:DataDirectory"] = dir,
            ["Cascade:TrainingIntervalSeconds"] = "0",
            ["urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
            // Model selection (on by default) searches for up to 150 s; a test that trains on the default pipeline
            // needs a working model, not the best one, and a loaded CI machine must not push it past the client's timeout.
            ["Cascade:Pipeline:Selection:BudgetSeconds"] = "10",
        };
        foreach (var (k, v) in settings ?? [])
        {
            overrides[k] = v;
        }
        var app = CascadeServer.Build([], overrides, services: services);
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(120) };
        return new RunningServer(app, dir, client);
    }

    public Task<HttpResponseMessage> SendJson(HttpMethod method, string path, string json) =>
        Client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    public Task<HttpResponseMessage> PostJson(string path, string json) => SendJson(HttpMethod.Post, path, json);

    public Task<HttpResponseMessage> PutJson(string path, string json) => SendJson(HttpMethod.Put, path, json);

    /// <summary>Leave the data folder when disposed (a test restarts a server on it).</summary>
    public bool KeepData { get; set; }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (KeepData)
        {
            return;
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS temp cleaner gets the rest.
        }
    }
}

/// <summary>Helpers to read RFC 7807 problem bodies.</summary>
public static class Problem
{
    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)response.StatusCode, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("title").GetString()));
        return body;
    }

    public static async Task<IReadOnlyList<(string Field, string Reason)>> ErrorsAsync(HttpResponseMessage response)
    {
        var body = await ReadAsync(response);
        return [.. body.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("field").GetString()!, e.GetProperty("reason").GetString()!))];
    }
}
