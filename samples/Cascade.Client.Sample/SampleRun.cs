namespace Cascade.Client.Sample;

/// <summary>The sample's steps: ingest a small catalog and events, train, recommend, and print one item's explanation trail.</summary>
public static class SampleRun
{
    /// <summary>Runs the sample against the server behind <paramref name="client"/>, writing what it does to <paramref name="output"/>.</summary>
    /// <returns>The process exit code: 0 when recommendations came back.</returns>
    public static async Task<int> RunAsync(CascadeClient client, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(output);

        // 1. The catalog: items with categories.
        var items = await client.UpsertItemsAsync(
        [
            new CascadeItem { Id = "sample-book", Title = "A book", Categories = ["books"] },
            new CascadeItem { Id = "sample-film", Title = "A film", Categories = ["films"] },
            new CascadeItem { Id = "sample-song", Title = "A song", Categories = ["music"] },
            new CascadeItem { Id = "sample-game", Title = "A game", Categories = ["games"] },
        ], cancellationToken);
        await output.WriteLineAsync($"items: {items.Stored} stored, {items.Invalid} invalid");

        // 2. Events, each with an event id: the client may retry them safely, and re-running the sample stores nothing twice.
        var events = await client.IngestEventsAsync(
        [
            new CascadeEvent { EventId = "sample-1", UserId = "sample-ann", ItemId = "sample-book", Type = "click" },
            new CascadeEvent { EventId = "sample-2", UserId = "sample-ann", ItemId = "sample-film", Type = "like" },
            new CascadeEvent { EventId = "sample-3", UserId = "sample-bob", ItemId = "sample-book", Type = "click" },
            new CascadeEvent { EventId = "sample-4", UserId = "sample-bob", ItemId = "sample-song", Type = "purchase" },
            new CascadeEvent { EventId = "sample-5", UserId = "sample-cat", ItemId = "sample-film", Type = "rating", Value = 5 },
            new CascadeEvent { EventId = "sample-6", UserId = "sample-cat", ItemId = "sample-game", Type = "click" },
        ], cancellationToken);
        await output.WriteLineAsync($"events: {events.Stored} stored, {events.Duplicates} duplicates, {events.Invalid} invalid");

        // 3. Train now (a server also retrains in the background) so the new events count.
        var trained = await client.TrainAsync(cancellationToken);
        await output.WriteLineAsync($"trained bundle {trained.BundleVersion}: {trained.Users} users x {trained.Items} items");

        // 4. Recommendations with their explanation trail.
        var page = await client.ExplainAsync("sample-ann", n: 3, cancellationToken);
        await output.WriteLineAsync($"recommendations for sample-ann (request {page.RequestId}):");
        foreach (var item in page.Items)
        {
            await output.WriteLineAsync($"  {item.ItemId} score {item.Score:0.###} from {string.Join(", ", item.Sources)}");
        }
        if (page.Items.Count == 0)
        {
            await output.WriteLineAsync("  (none)");
            return 2;
        }
        var first = page.Items[0];
        await output.WriteLineAsync($"trail of {first.ItemId}:");
        foreach (var step in first.Trail ?? [])
        {
            await output.WriteLineAsync($"  {step.Stage}: {step.Note} (score {step.Score:0.###})");
        }

        // 5. Report the click on the first item, joined to the page by its request id and position.
        var click = await client.IngestEventAsync(new CascadeEvent
        {
            EventId = $"sample-click-{page.RequestId}",
            UserId = "sample-ann",
            ItemId = first.ItemId,
            Type = "click",
            RequestId = page.RequestId,
            Position = 0,
        }, cancellationToken);
        await output.WriteLineAsync($"click: {click.Status} at sequence {click.Sequence}");
        return 0;
    }
}
