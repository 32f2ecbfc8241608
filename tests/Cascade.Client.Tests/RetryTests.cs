using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Client.Tests;

/// <summary>
/// The retry policy, against a stub server that always answers 503: a call is retried only when sending it again is
/// safe (a GET, events that all carry an event id).
/// </summary>
public sealed class RetryTests
{
    private const int Retries = 2;

    [Fact]
    public async Task A_get_is_retried_on_a_transient_failure()
    {
        var (client, server) = Stub();
        await Assert.ThrowsAsync<CascadeApiException>(() => client.RecommendAsync("u1"));
        Assert.Equal(1 + Retries, server.Requests);
    }

    [Fact]
    public async Task An_event_with_an_event_id_is_retried()
    {
        var (client, server) = Stub();
        await Assert.ThrowsAsync<CascadeApiException>(() => client.IngestEventAsync(new CascadeEvent { EventId = "e1", UserId = "u", ItemId = "i", Type = "click" }));
        Assert.Equal(1 + Retries, server.Requests);
        Assert.All(server.Bodies, b => Assert.Contains("\"eventId\":\"e1\"", b, StringComparison.Ordinal)); // the same body each time
    }

    [Fact]
    public async Task An_event_without_an_event_id_is_sent_once()
    {
        var (client, server) = Stub();
        var e = await Assert.ThrowsAsync<CascadeApiException>(() => client.IngestEventAsync(new CascadeEvent { UserId = "u", ItemId = "i", Type = "click" }));
        Assert.Equal(1, server.Requests);
        Assert.Equal(503, e.Status);
    }

    [Fact]
    public async Task A_batch_with_one_event_without_an_id_is_sent_once()
    {
        var (client, server) = Stub();
        await Assert.ThrowsAsync<CascadeApiException>(() => client.IngestEventsAsync(
        [
            new() { EventId = "e1", UserId = "u", ItemId = "i", Type = "click" },
            new() { UserId = "u", ItemId = "j", Type = "click" },
        ]));
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task Item_and_user_writes_session_requests_and_trainings_are_sent_once()
    {
        var (client, server) = Stub();
        await Assert.ThrowsAsync<CascadeApiException>(() => client.UpsertItemAsync("i", new CascadeItem { Title = "I" }));
        await Assert.ThrowsAsync<CascadeApiException>(() => client.UpsertUsersAsync([new CascadeUser { Id = "u" }]));
        await Assert.ThrowsAsync<CascadeApiException>(() => client.RecommendSessionAsync(new SessionRequest { Items = ["i"] }));
        await Assert.ThrowsAsync<CascadeApiException>(() => client.TrainAsync());
        Assert.Equal(4, server.Requests);
    }

    private static (CascadeClient Client, AlwaysUnavailable Server) Stub()
    {
        var stub = new AlwaysUnavailable();
        var services = new ServiceCollection();
        services.AddCascadeClient(o =>
        {
            o.BaseAddress = new Uri("http://127.0.0.1:9/");
            o.MaxRetryAttempts = Retries;
            o.RetryDelay = TimeSpan.FromMilliseconds(1);
        }).ConfigurePrimaryHttpMessageHandler(() => stub);
        return (services.BuildServiceProvider().GetRequiredService<CascadeClient>(), stub);
    }

    /// <summary>Answers every request with a 503 problem, counting them.</summary>
    private sealed class AlwaysUnavailable : HttpMessageHandler
    {
        private int _requests;

        public int Requests => _requests;

        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            if (request.Content is not null)
            {
                Bodies.Add(await request.Content.ReadAsStringAsync(cancellationToken));
            }
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            {
                RequestMessage = request,
                Content = new StringContent("""{"type":"https://cascade.dev/problems/busy","title":"Busy.","status":503,"detail":"try later"}""", System.Text.Encoding.UTF8, "application/problem+json"),
            };
        }
    }
}
