using System.Net;
using BenchmarkDotNet.Attributes;

namespace Cascade.Client.Bench;

/// <summary>
/// The three calls, each answered with the real server's recommend page (captured once from the server
/// <see cref="ClientOverheadBench"/> measures) by an in-memory handler: without the network and the pipeline's own
/// milliseconds and their noise, what is left is the client side of a call.
/// </summary>
// About 20 µs a call: 16,384 calls make an iteration of about a third of a second.
[InvocationCount(16_384)]
public class CannedResponseBench : RecommendCallBench
{
    [GlobalSetup]
    public async Task SetupAsync()
    {
        var server = await ClientOverheadBench.SeededServer;
        using var http = new HttpClient { BaseAddress = server.Address };
        byte[] page = await http.GetByteArrayAsync(new Uri($"v1/recommend/{User}?n=10", UriKind.Relative));
        Connect(server.Address, () => new CannedHandler(page));
    }

    /// <summary>Answers every request 200 with the same JSON body, as the server sent it.</summary>
    private sealed class CannedHandler(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }
}
