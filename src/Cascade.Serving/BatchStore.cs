using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Cascade.Serving;

/// <summary>One precomputed recommendation.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">Its score when computed.</param>
/// <param name="Sources">The sources that proposed it.</param>
public sealed record StoredItem(string ItemId, double Score, IReadOnlyList<string> Sources);

/// <summary>
/// Precomputed top-N lists per user (batch mode), in a SQLite file beside the catalog (WAL, one row per user and
/// app). A batch run is identified by the log sequence its bundle was trained up to, so a run interrupted and
/// started again on an unchanged log resumes where it stopped. Safe for concurrent readers and one writer.
/// </summary>
public sealed class BatchStore : IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _writeLock = new();

    /// <summary>Opens (creating when absent) the store at <paramref name="path"/>.</summary>
    /// <param name="path">The SQLite file.</param>
    public BatchStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        using var c = _writer.CreateCommand();
        c.CommandText = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;
            CREATE TABLE IF NOT EXISTS batch_runs (app TEXT NOT NULL, sequence INTEGER NOT NULL, started_ms INTEGER NOT NULL, finished_ms INTEGER, users INTEGER NOT NULL, PRIMARY KEY (app, sequence));
            CREATE TABLE IF NOT EXISTS batch_recs (app TEXT NOT NULL, user_id TEXT NOT NULL, sequence INTEGER NOT NULL, computed_ms INTEGER NOT NULL, items TEXT NOT NULL, PRIMARY KEY (app, user_id));
            """;
        c.ExecuteNonQuery();
    }

    /// <summary>The default file of a data directory: DATA/batch.sqlite.</summary>
    /// <param name="dataDirectory">The engine's data directory.</param>
    public static string DefaultPath(string dataDirectory) => Path.Combine(dataDirectory, "batch.sqlite");

    /// <summary>Starts or resumes the run of <paramref name="app"/> at log sequence <paramref name="sequence"/>.</summary>
    /// <returns>The users already done in this run (empty for a new run).</returns>
    public HashSet<string> BeginRun(string app, long sequence, int users, long nowMs)
    {
        lock (_writeLock)
        {
            using var insert = _writer.CreateCommand();
            insert.CommandText = "INSERT OR IGNORE INTO batch_runs (app, sequence, started_ms, users) VALUES ($a, $s, $t, $u)";
            insert.Parameters.AddWithValue("$a", app);
            insert.Parameters.AddWithValue("$s", sequence);
            insert.Parameters.AddWithValue("$t", nowMs);
            insert.Parameters.AddWithValue("$u", users);
            insert.ExecuteNonQuery();
            using var done = _writer.CreateCommand();
            done.CommandText = "SELECT user_id FROM batch_recs WHERE app = $a AND sequence = $s";
            done.Parameters.AddWithValue("$a", app);
            done.Parameters.AddWithValue("$s", sequence);
            var result = new HashSet<string>(StringComparer.Ordinal);
            using var reader = done.ExecuteReader();
            while (reader.Read())
            {
                result.Add(reader.GetString(0));
            }
            return result;
        }
    }

    /// <summary>Writes the lists of many users in one transaction (replacing their earlier lists).</summary>
    public void Write(string app, long sequence, long nowMs, IReadOnlyList<(string UserId, IReadOnlyList<StoredItem> Items)> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        lock (_writeLock)
        {
            using var tx = _writer.BeginTransaction();
            using var c = _writer.CreateCommand();
            c.Transaction = tx;
            c.CommandText = "INSERT OR REPLACE INTO batch_recs (app, user_id, sequence, computed_ms, items) VALUES ($a, $u, $s, $t, $i)";
            var pa = c.Parameters.Add("$a", SqliteType.Text);
            var pu = c.Parameters.Add("$u", SqliteType.Text);
            var ps = c.Parameters.Add("$s", SqliteType.Integer);
            var pt = c.Parameters.Add("$t", SqliteType.Integer);
            var pi = c.Parameters.Add("$i", SqliteType.Text);
            foreach (var (user, items) in lists)
            {
                pa.Value = app;
                pu.Value = user;
                ps.Value = sequence;
                pt.Value = nowMs;
                pi.Value = JsonSerializer.Serialize(items);
                c.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Marks the run finished.</summary>
    public void FinishRun(string app, long sequence, long nowMs)
    {
        lock (_writeLock)
        {
            using var c = _writer.CreateCommand();
            c.CommandText = "UPDATE batch_runs SET finished_ms = $t WHERE app = $a AND sequence = $s";
            c.Parameters.AddWithValue("$a", app);
            c.Parameters.AddWithValue("$s", sequence);
            c.Parameters.AddWithValue("$t", nowMs);
            c.ExecuteNonQuery();
        }
    }

    /// <summary>The stored list of a user, or null.</summary>
    public (IReadOnlyList<StoredItem> Items, long Sequence, long ComputedMs)? Read(string app, string userId)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var c = connection.CreateCommand();
        c.CommandText = "SELECT items, sequence, computed_ms FROM batch_recs WHERE app = $a AND user_id = $u";
        c.Parameters.AddWithValue("$a", app);
        c.Parameters.AddWithValue("$u", userId);
        using var reader = c.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var items = JsonSerializer.Deserialize<StoredItem[]>(reader.GetString(0)) ?? [];
        return (items, reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>Every stored list of <paramref name="app"/>, by user id (for export), read as it is enumerated.</summary>
    public IEnumerable<(string UserId, IReadOnlyList<StoredItem> Items, long Sequence, long ComputedMs)> ReadAll(string app)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var c = connection.CreateCommand();
        c.CommandText = "SELECT user_id, items, sequence, computed_ms FROM batch_recs WHERE app = $a ORDER BY user_id";
        c.Parameters.AddWithValue("$a", app);
        using var reader = c.ExecuteReader();
        while (reader.Read())
        {
            var items = JsonSerializer.Deserialize<StoredItem[]>(reader.GetString(1)) ?? [];
            yield return (reader.GetString(0), items, reader.GetInt64(2), reader.GetInt64(3));
        }
    }

    /// <summary>Number of stored lists of <paramref name="app"/>.</summary>
    public long Count(string app)
    {
        using var c = _writer.CreateCommand();
        c.CommandText = "SELECT COUNT(*) FROM batch_recs WHERE app = $a";
        c.Parameters.AddWithValue("$a", app);
        lock (_writeLock)
        {
            return (long)c.ExecuteScalar()!;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
