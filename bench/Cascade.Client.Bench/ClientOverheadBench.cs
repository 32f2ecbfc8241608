using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Client.Bench;

/// <summary>The three calls against the real server, <c>cascade serve</c> on loopback, seeded and trained.</summary>
// About half a millisecond a call: 512 calls make an iteration of about a quarter of a second.
[InvocationCount(512)]
public class ClientOverheadBench : RecommendCallBench
{
    // One server for every row (and for CannedResponseBench's captured page): the rows then differ only in the client.
    // It stops when the process ends (LoopbackServer).
    private static readonly Lazy<Task<LoopbackServer>> Server = new(StartSeededAsync);

    /// <summary>The seeded, trained server all the benchmarks of this process share.</summary>
    internal static Task<LoopbackServer> SeededServer => Server.Value;

    [GlobalSetup]
    public async Task SetupAsync() => Connect((await SeededServer).Address);

    private static async Task<LoopbackServer> StartSeededAsync()
    {
        var server = await LoopbackServer.StartAsync();
        try
        {
            // The training on a shared 2-core machine can outlast the client's default 30 s attempt: seed with a patient client.
            using var seeding = Register(server.Address, retries: 0, timeout: TimeSpan.FromMinutes(10));
            await SeedAsync(seeding.GetRequiredService<CascadeClient>());
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>200 items, 300 users with 12 clicks each (fixed seed), one training: the pipeline then serves real pages.</summary>
    private static async Task SeedAsync(CascadeClient client)
    {
        var random = new Random(20);
        var items = Enumerable.Range(0, 200).Select(i => new CascadeItem { Id = $"i{i}", Title = $"Item {i}", Categories = [$"c{i % 8}"] }).ToList();
        await client.UpsertItemsAsync(items);
        var events = new List<CascadeEvent>();
        for (int u = 0; u < 300; u++)
        {
            for (int k = 0; k < 12; k++)
            {
                // Skewed popularity: low ids are clicked more often.
                int item = (int)(200 * Math.Pow(random.NextDouble(), 2));
                events.Add(new CascadeEvent { EventId = $"e{u}-{k}", UserId = $"u{u}", ItemId = $"i{item}", Type = "click" });
            }
        }
        await client.IngestEventsAsync(events);
        await client.TrainAsync();
        var page = await client.RecommendAsync(User, new RecommendOptions { N = 10 });
        if (page.Items.Count == 0)
        {
            throw new InvalidOperationException($"the seeded server recommends nothing to {User}");
        }
    }
}
