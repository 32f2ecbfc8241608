using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Microsoft.Data.Sqlite;

namespace Cascade.Storage.Tests;

public class CatalogSchemaVersionTests
{
    [Fact]
    public async Task A_catalog_of_another_schema_version_is_derived_again_from_the_log()
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        using (var engine = CascadeEngine.Open(options))
        {
            await engine.AppendEventsAsync([.. Enumerable.Range(0, 20).Select(i => new FeedbackEvent(Apps.Default, null, $"u{i % 3}", $"i{i}", "click", null, 1000 + i, null, null))]);
            await engine.WaitForCatalogAsync(20, TimeSpan.FromSeconds(30));
        }
        using (var c = new SqliteConnection($"Data Source={options.CatalogPath};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 1; DROP TABLE events; CREATE TABLE events(old_layout TEXT);";
            cmd.ExecuteNonQuery();
        }

        using var reopened = CascadeEngine.Open(options);
        await reopened.WaitForCatalogAsync(20, TimeSpan.FromSeconds(30));

        Assert.Equal(20, reopened.Catalog.Count(Apps.Default).Events);
        Assert.Equal(["u0", "u1", "u2"], reopened.Catalog.LoadIds(Apps.Default, Catalog.IdKind.User));
        Assert.Equal(7, reopened.Catalog.GetUserEvents(Apps.Default, "u0", 100).Count);
    }
}
