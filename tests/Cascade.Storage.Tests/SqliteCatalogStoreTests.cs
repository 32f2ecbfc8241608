using Cascade.Core.Domain;
using Cascade.Storage.Catalog;
using Cascade.Storage.Log;
using Cascade.Storage.Records;
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

    [Fact]
    public void The_page_cache_is_large_while_catching_up_and_small_while_following()
    {
        using var store = new SqliteCatalogStore(DatabasePath);
        long sequence = 0;
        LogRecord[] Batch(int n) => [.. Enumerable.Range(0, n).Select(i =>
        {
            var entry = RecordCodec.ToEntry(new FeedbackEvent(Apps.Default, null, "u" + (i % 7), "i" + i, "impression", null, i, "r", i));
            return new LogRecord(++sequence, entry.Kind, entry.Payload);
        })];
        Assert.Equal(131_072, store.WriterCacheKiB);
        for (int k = 0; k < 7; k++)
        {
            store.Apply(Batch(20));
        }
        Assert.Equal(131_072, store.WriterCacheKiB); // a few small commits are not yet following
        store.Apply(Batch(20));
        Assert.Equal(2_000, store.WriterCacheKiB);
        store.Apply(Batch(4096)); // a backlog: catching up again
        Assert.Equal(131_072, store.WriterCacheKiB);
        Assert.Equal(sequence, store.AppliedSequence);
        Assert.Equal(8 * 20 + 4096, store.Count(Apps.Default).Events);
    }
}
