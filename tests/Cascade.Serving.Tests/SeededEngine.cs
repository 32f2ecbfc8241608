using Cascade.Core.Domain;
using Cascade.Serving.Ingestion;
using Cascade.Storage.Engine;
using Cascade.Tooling;

namespace Cascade.Serving.Tests;

/// <summary>An engine in a temp folder with a small catalog and clicks skewed to low item numbers.</summary>
internal static class SeededEngine
{
    public static async Task<CascadeEngine> OpenAsync(TempDir dir, int items, int users, int clicksPerUser, int seed)
    {
        var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        var ingest = new IngestService(engine);
        await BulkIngest.ItemsAsync(ingest, Apps.Default, Enumerable.Range(0, items).Select(i => new ItemInput { Id = $"i{i}", Title = $"Item {i}", Categories = [$"c{i % 5}"] }));
        var random = new Random(seed);
        var events = new List<EventInput>();
        for (int u = 0; u < users; u++)
        {
            for (int k = 0; k < clicksPerUser; k++)
            {
                events.Add(new EventInput { UserId = $"u{u}", ItemId = $"i{Math.Min(random.Next(items), random.Next(items))}", Type = "click" });
            }
        }
        await BulkIngest.EventsAsync(ingest, Apps.Default, events);
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        return engine;
    }
}
