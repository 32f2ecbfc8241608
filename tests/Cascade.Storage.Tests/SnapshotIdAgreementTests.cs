using Cascade.Core.Domain;
using Cascade.Storage.Catalog;
using Cascade.Storage.Engine;
using Cascade.Storage.Snapshot;

namespace Cascade.Storage.Tests;

public class SnapshotIdAgreementTests
{
    [Fact]
    public async Task The_snapshot_numbers_ids_exactly_as_the_catalog_does_without_waiting_for_it()
    {
        using var dir = new TempDirectory();
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dir.Path });
        var rng = new Random(11);
        for (int round = 0; round < 30; round++)
        {
            switch (rng.Next(3))
            {
                case 0:
                    await engine.UpsertUsersAsync([new User(rng.Next(2) == 0 ? Apps.Default : "other", $"u{rng.Next(40)}", "{}")]);
                    break;
                case 1:
                    await engine.UpsertItemsAsync([new Item(Apps.Default, $"i{rng.Next(60)}", "t", [], [], "{}", DateTimeOffset.UnixEpoch, false, null)]);
                    break;
                default:
                    await engine.AppendEventsAsync([.. Enumerable.Range(0, 20).Select(_ => new FeedbackEvent(rng.Next(5) == 0 ? "other" : Apps.Default, null,
                        $"u{rng.Next(40)}", $"i{rng.Next(60)}", rng.Next(4) == 0 ? "impression" : "click", null, rng.Next(1_000_000), null, null))]);
                    break;
            }
        }
        var snapshot = InteractionSnapshot.Build(engine);
        await engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromSeconds(30));
        Assert.Equal(engine.Catalog.LoadIds(Apps.Default, IdKind.User), snapshot.UserIds);
        Assert.Equal(engine.Catalog.LoadIds(Apps.Default, IdKind.Item), snapshot.ItemIds);
    }
}
