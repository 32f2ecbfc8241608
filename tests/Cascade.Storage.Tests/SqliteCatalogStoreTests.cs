using Cascade.Storage.Catalog;
using Microsoft.Data.Sqlite;

namespace Cascade.Storage.Tests;

/// <summary>The catalog contract run against the embedded SQLite store, plus what is particular to SQLite.</summary>
public sealed class SqliteCatalogStoreTests : CatalogStoreContract
{
    private readonly TempDirectory _dir = new();

    private string DatabasePath => _dir.Combine("catalog.db");

    protected override ICatalogStore OpenStore() => new SqliteCatalogStore(DatabasePath);

    protected override void DisposeResources() => _dir.Dispose();

    [Fact]
    public void The_database_runs_in_WAL_mode()
    {
        using (var store = OpenStore())
        {
            Assert.Equal(0, store.AppliedSequence);
        }

        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar() as string);
    }

    [Fact]
    public void The_folder_of_the_database_is_created_when_missing()
    {
        string nested = _dir.Combine(Path.Combine("a", "b", "catalog.db"));

        using var store = new SqliteCatalogStore(nested);

        Assert.True(File.Exists(nested));
    }
}
