using System.Collections.Concurrent;
using System.Text.Json;
using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Cascade.Storage.Catalog;

/// <summary>
/// The embedded catalog on SQLite in WAL mode. It is a derived store: synchronous=NORMAL is enough because the
/// applied sequence commits in the same transaction as the rows, and anything lost in a crash is re-applied from
/// the log at start-up. Dense ids are assigned in the order ids first appear in the log, so a rebuild gives the
/// same ids.
/// </summary>
public sealed class SqliteCatalogStore : ICatalogStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS ids(app TEXT NOT NULL, kind INTEGER NOT NULL, id TEXT NOT NULL, dense INTEGER NOT NULL, PRIMARY KEY(app, kind, id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS items(app TEXT NOT NULL, id TEXT NOT NULL, title TEXT NOT NULL, categories TEXT NOT NULL, tags TEXT NOT NULL,
            attributes TEXT NOT NULL, created_at INTEGER NOT NULL, hidden INTEGER NOT NULL, expires_at INTEGER, PRIMARY KEY(app, id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS users(app TEXT NOT NULL, id TEXT NOT NULL, attributes TEXT NOT NULL, PRIMARY KEY(app, id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS events(app TEXT NOT NULL, user_dense INTEGER NOT NULL, seq INTEGER NOT NULL, item_dense INTEGER NOT NULL, type TEXT NOT NULL,
            value REAL, ts INTEGER NOT NULL, event_id TEXT, request_id TEXT, position INTEGER, PRIMARY KEY(app, user_dense, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS experiments(app TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL, ts INTEGER NOT NULL,
            seq INTEGER NOT NULL, PRIMARY KEY(app, id, version)) WITHOUT ROWID;
        """;

    // Bumped whenever the schema changes. The catalog is derived from the log, so a file of another version is
    // not migrated: its tables are dropped and the engine applies the whole log again.
    private const int SchemaVersion = 4; // 3: the log mark (log_id, applied_crc) in meta; 4: experiments

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _writeGate = new();
    private readonly ConcurrentDictionary<(string App, IdKind Kind), IdInterner> _interners = new();
    private long _applied;
    private LogMark _mark;

    private readonly Func<string, bool> _storesEventType;

    /// <summary>Opens (creating if needed) the catalog database at <paramref name="path"/>.</summary>
    /// <param name="path">The database file.</param>
    /// <param name="storesEventType">
    /// Which event types become per-user rows (null: all). The engine leaves out impressions: they outnumber every
    /// other event, nothing reads them from the catalog, and the log keeps them for the projections that need them.
    /// </param>
    public SqliteCatalogStore(string path, Func<string, bool>? storesEventType = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _storesEventType = storesEventType ?? (static _ => true);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        // A large page cache keeps the per-user event index hot: inserts land on pages spread over all users.
        Execute(_writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY;");
        EnsureSchema();
        _applied = Meta("applied_seq");
        _mark = new LogMark(_applied, (uint)Meta("log_id"), (uint)Meta("applied_crc"));
        LoadInterners();
    }

    /// <inheritdoc />
    public LogMark Mark
    {
        get
        {
            lock (_writeGate)
            {
                return _mark;
            }
        }
    }

    /// <inheritdoc />
    public long CountEventsAfter(long sequence)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM events WHERE seq > $s";
        cmd.Parameters.AddWithValue("$s", sequence);
        return (long)cmd.ExecuteScalar()!;
    }

    private long Meta(string key)
    {
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() is long v ? v : 0;
    }

    /// <inheritdoc />
    public long AppliedSequence => Interlocked.Read(ref _applied);

    /// <inheritdoc />
    public string Name => "catalog";

    /// <inheritdoc />
    public void Apply(IReadOnlyList<LogRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        Apply(new LogBatch(records));
    }

    private bool Writes(LogBatch batch, int first)
    {
        var records = batch.Records;
        for (int index = first; index < records.Count; index++)
        {
            if (records[index].Kind != RecordKind.Event)
            {
                return true;
            }
            var e = batch.Event(index);
            if (_storesEventType(e.Type) || IsNew(e.App, IdKind.User, e.UserId) || IsNew(e.App, IdKind.Item, e.ItemId))
            {
                return true;
            }
        }
        return false;
    }

    /// <inheritdoc />
    public void Apply(LogBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var records = batch.Records;
        lock (_writeGate)
        {
            int first = batch.StartAfter(_applied);
            if (first < records.Count && !Writes(batch, first))
            {
                // Nothing to store (a batch of impressions): no transaction. The persisted position catches up with
                // the next batch that writes; after a restart the records in between are read again and skipped.
                Interlocked.Exchange(ref _applied, records[^1].Sequence);
                return;
            }
            using var tx = _writer.BeginTransaction();
            using var insEvent = new EventRows(this, tx);
            using var insId = Command(tx, "INSERT OR IGNORE INTO ids(app, kind, id, dense) VALUES ($a,$k,$id,$d)");
            using var upItem = Command(tx, """
                INSERT INTO items(app, id, title, categories, tags, attributes, created_at, hidden, expires_at) VALUES ($a,$id,$t,$c,$g,$at,$cr,$h,$x)
                ON CONFLICT(app, id) DO UPDATE SET title=excluded.title, categories=excluded.categories, tags=excluded.tags,
                attributes=excluded.attributes, created_at=excluded.created_at, hidden=excluded.hidden, expires_at=excluded.expires_at
                """);
            using var upUser = Command(tx, "INSERT INTO users(app, id, attributes) VALUES ($a,$id,$at) ON CONFLICT(app, id) DO UPDATE SET attributes=excluded.attributes");
            using var hide = Command(tx, "UPDATE items SET hidden = 1 WHERE app = $a AND id = $id");
            using var putExperiment = Command(tx, "INSERT OR REPLACE INTO experiments(app, id, version, definition, ts, seq) VALUES ($a,$id,$v,$d,$t,$s)");
            long applied = _applied;
            var added = new List<(string App, IdKind Kind, string Id)>();
            try
            {
                for (int index = batch.StartAfter(applied); index < records.Count; index++)
                {
                    var r = records[index];
                    switch (r.Kind)
                    {
                        case RecordKind.Event:
                            var e = batch.Event(index);
                            // Every event's ids are numbered, stored or not: dense ids follow the log's order, as the
                            // interaction snapshot numbers them.
                            int u = Intern(insId, e.App, IdKind.User, e.UserId, added);
                            int i = Intern(insId, e.App, IdKind.Item, e.ItemId, added);
                            if (!_storesEventType(e.Type))
                            {
                                break;
                            }
                            insEvent.Add(r.Sequence, e.App, u, i, e.Type, e.Value, e.TimestampMs, e.EventId, e.RequestId, e.Position);
                            break;
                        case RecordKind.ItemUpsert:
                            var item = batch.Item(index);
                            Intern(insId, item.App, IdKind.Item, item.Id, added);
                            Run(upItem, item.App, item.Id, item.Title, JsonSerializer.Serialize(item.Categories), JsonSerializer.Serialize(item.Tags),
                                item.AttributesJson, item.CreatedAt.ToUnixTimeMilliseconds(), item.Hidden ? 1 : 0, item.ExpiresAt?.ToUnixTimeMilliseconds());
                            break;
                        case RecordKind.UserUpsert:
                            var user = batch.User(index);
                            Intern(insId, user.App, IdKind.User, user.Id, added);
                            Run(upUser, user.App, user.Id, user.AttributesJson);
                            break;
                        case RecordKind.ItemHide:
                            var h = batch.Hide(index);
                            Run(hide, h.App, h.ItemId);
                            break;
                        case RecordKind.Experiment:
                            var x = batch.Experiment(index);
                            Run(putExperiment, x.App, x.Id, x.Version, x.DefinitionJson, x.TimestampMs, r.Sequence);
                            break;
                        default:
                            throw new InvalidDataException($"Log record {r.Sequence} has unknown kind {(byte)r.Kind}.");
                    }
                    applied = r.Sequence;
                }
                var mark = applied == batch.LastSequence && applied > _applied ? batch.EndMark : _mark;
                using var meta = Command(tx, "INSERT INTO meta(key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
                foreach (var (key, value) in new[] { ("applied_seq", applied), ("log_id", (long)mark.LogId), ("applied_crc", (long)mark.Checksum) })
                {
                    meta.Parameters.Clear();
                    meta.Parameters.AddWithValue("$k", key);
                    meta.Parameters.AddWithValue("$v", value);
                    meta.ExecuteNonQuery();
                }
                tx.Commit();
                _mark = mark;
                Interlocked.Exchange(ref _applied, applied);
            }
            catch
            {
                // The in-memory interners must not keep ids whose rows rolled back.
                tx.Rollback();
                LoadInterners();
                throw;
            }
        }
    }

    /// <inheritdoc />
    public void Reset()
    {
        lock (_writeGate)
        {
            Execute(_writer, "DELETE FROM experiments; DELETE FROM events; DELETE FROM items; DELETE FROM users; DELETE FROM ids; DELETE FROM meta;");
            Interlocked.Exchange(ref _applied, 0);
            _mark = LogMark.None;
            _interners.Clear();
        }
    }

    /// <inheritdoc />
    public Item? GetItem(string app, string id)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, title, categories, tags, attributes, created_at, hidden, expires_at FROM items WHERE app = $a AND id = $id";
        cmd.Parameters.AddWithValue("$a", app);
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadItem(app, r) : null;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, Item> GetItems(string app, IReadOnlyCollection<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new Dictionary<string, Item>(ids.Count, StringComparer.Ordinal);
        if (ids.Count == 0)
        {
            return found;
        }
        using var c = OpenReader();
        // Chunks keep the statement under SQLite's host-parameter limit; a page of recommendations is one chunk.
        foreach (var chunk in ids.Distinct(StringComparer.Ordinal).Chunk(MaxParametersPerQuery))
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT id, title, categories, tags, attributes, created_at, hidden, expires_at FROM items WHERE app = $a AND id IN ("
                + string.Join(", ", Enumerable.Range(0, chunk.Length).Select(i => "$i" + i)) + ")";
            cmd.Parameters.AddWithValue("$a", app);
            for (int i = 0; i < chunk.Length; i++)
            {
                cmd.Parameters.AddWithValue("$i" + i, chunk[i]);
            }
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var item = ReadItem(app, r);
                found[item.Id] = item;
            }
        }
        return found;
    }

    private const int MaxParametersPerQuery = 500;

    /// <inheritdoc />
    public IReadOnlyList<Item> ListItems(string app)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, title, categories, tags, attributes, created_at, hidden, expires_at FROM items WHERE app = $a ORDER BY id";
        cmd.Parameters.AddWithValue("$a", app);
        using var r = cmd.ExecuteReader();
        var list = new List<Item>();
        while (r.Read())
        {
            list.Add(ReadItem(app, r));
        }
        return list;
    }

    /// <inheritdoc />
    public User? GetUser(string app, string id)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT attributes FROM users WHERE app = $a AND id = $id";
        cmd.Parameters.AddWithValue("$a", app);
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar() is string attrs ? new User(app, id, attrs) : null;
    }

    /// <inheritdoc />
    public IReadOnlyList<FeedbackEvent> GetUserEvents(string app, string userId, int limit) => GetUserEvents(app, userId, limit, null);

    /// <inheritdoc />
    public IReadOnlyList<FeedbackEvent> GetUserEvents(string app, string userId, int limit, IReadOnlyCollection<string>? types)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        if (!TryDense(app, IdKind.User, userId, out int user, out var items) || types is { Count: 0 })
        {
            return [];
        }
        string[] typeList = types is null ? [] : [.. types.Distinct(StringComparer.Ordinal).Take(MaxParametersPerQuery)];
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        string typeFilter = types is null ? "" : " AND type IN (" + string.Join(", ", Enumerable.Range(0, typeList.Length).Select(i => "$t" + i)) + ")";
        cmd.CommandText = "SELECT item_dense, type, value, ts, event_id, request_id, position FROM events WHERE app = $a AND user_dense = $u"
            + typeFilter + " ORDER BY ts DESC, seq DESC LIMIT $n";
        cmd.Parameters.AddWithValue("$a", app);
        cmd.Parameters.AddWithValue("$u", user);
        cmd.Parameters.AddWithValue("$n", limit);
        for (int i = 0; i < typeList.Length; i++)
        {
            cmd.Parameters.AddWithValue("$t" + i, typeList[i]);
        }
        using var r = cmd.ExecuteReader();
        var list = new List<FeedbackEvent>();
        while (r.Read())
        {
            list.Add(new FeedbackEvent(app, r.IsDBNull(4) ? null : r.GetString(4), userId, items!.GetName(r.GetInt32(0)), r.GetString(1),
                r.IsDBNull(2) ? null : r.GetDouble(2), r.GetInt64(3), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetInt32(6)));
        }
        return list;
    }

    /// <inheritdoc />
    public IReadOnlySet<string> GetUserItemIds(string app, string userId)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (!TryDense(app, IdKind.User, userId, out int user, out var items))
        {
            return set;
        }
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT DISTINCT item_dense FROM events WHERE app = $a AND user_dense = $u";
        cmd.Parameters.AddWithValue("$a", app);
        cmd.Parameters.AddWithValue("$u", user);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            set.Add(items!.GetName(r.GetInt32(0)));
        }
        return set;
    }

    // Maps a user id to its dense id, and returns the app's item interner to map item ids back.
    private bool TryDense(string app, IdKind kind, string id, out int dense, out IdInterner? items)
    {
        items = _interners.GetValueOrDefault((app, IdKind.Item));
        dense = -1;
        return items is not null && _interners.TryGetValue((app, kind), out var interner) && interner.TryGet(id, out dense);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> LoadIds(string app, IdKind kind)
    {
        return _interners.TryGetValue((app, kind), out var interner) ? interner.ToArray() : [];
    }

    /// <inheritdoc />
    public CatalogCounts Count(string app)
    {
        var counts = Counts(app, "SELECT (SELECT count(*) FROM items WHERE app = $a), (SELECT count(*) FROM users WHERE app = $a), (SELECT count(*) FROM events WHERE app = $a)", 3);
        return new CatalogCounts(counts[0], counts[1], counts[2]);
    }

    /// <inheritdoc />
    public (long Items, long Users) CountEntities(string app)
    {
        var counts = Counts(app, "SELECT (SELECT count(*) FROM items WHERE app = $a), (SELECT count(*) FROM users WHERE app = $a)", 2);
        return (counts[0], counts[1]);
    }

    // Runs one row of count(*) sub-selects over the app ($a).
    private long[] Counts(string app, string sql, int columns)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$a", app);
        using var r = cmd.ExecuteReader();
        r.Read();
        var counts = new long[columns];
        for (int i = 0; i < columns; i++)
        {
            counts[i] = r.GetInt64(i);
        }
        return counts;
    }

    /// <inheritdoc />
    public IReadOnlyList<ExperimentRecord> ListExperiments(string app)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT e.id, e.version, e.definition, e.ts FROM experiments e
            WHERE e.app = $a AND e.version = (SELECT max(version) FROM experiments WHERE app = e.app AND id = e.id) ORDER BY e.id
            """;
        cmd.Parameters.AddWithValue("$a", app);
        using var r = cmd.ExecuteReader();
        var found = new List<ExperimentRecord>();
        while (r.Read())
        {
            found.Add(new ExperimentRecord(app, r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetInt64(3)));
        }
        return found;
    }

    /// <inheritdoc />
    public IReadOnlyList<ExperimentRecord> ExperimentVersions(string app, string id)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT version, definition, ts FROM experiments WHERE app = $a AND id = $id ORDER BY version";
        cmd.Parameters.AddWithValue("$a", app);
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        var found = new List<ExperimentRecord>();
        while (r.Read())
        {
            found.Add(new ExperimentRecord(app, id, r.GetInt32(0), r.GetString(1), r.GetInt64(2)));
        }
        return found;
    }

    /// <summary>Closes the database.</summary>
    public void Dispose()
    {
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
    }

    private void EnsureSchema()
    {
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        long version = (long)cmd.ExecuteScalar()!;
        if (version != SchemaVersion)
        {
            Execute(_writer, "DROP TABLE IF EXISTS experiments; DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS items; DROP TABLE IF EXISTS users; DROP TABLE IF EXISTS ids; DROP TABLE IF EXISTS meta;");
        }
        Execute(_writer, Schema);
        Execute(_writer, $"PRAGMA user_version = {SchemaVersion}");
    }

    private void LoadInterners()
    {
        _interners.Clear();
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "SELECT app, kind, id, dense FROM ids ORDER BY app, kind, dense";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var key = (r.GetString(0), (IdKind)r.GetInt32(1));
            _interners.GetOrAdd(key, _ => new IdInterner()).Restore(r.GetString(2), r.GetInt32(3));
        }
    }

    private bool IsNew(string app, IdKind kind, string id) => !_interners.TryGetValue((app, kind), out var interner) || !interner.TryGet(id, out _);

    private int Intern(SqliteCommand insId, string app, IdKind kind, string id, List<(string, IdKind, string)> added)
    {
        var interner = _interners.GetOrAdd((app, kind), _ => new IdInterner());
        int dense = interner.GetOrAdd(id, out bool isNew);
        if (isNew)
        {
            added.Add((app, kind, id));
            Run(insId, app, (int)kind, id, dense);
        }
        return dense;
    }

    private static Item ReadItem(string app, SqliteDataReader r) => new(
        app,
        r.GetString(0),
        r.GetString(1),
        JsonSerializer.Deserialize<string[]>(r.GetString(2)) ?? [],
        JsonSerializer.Deserialize<string[]>(r.GetString(3)) ?? [],
        r.GetString(4),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        r.GetInt64(6) != 0,
        r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)));

    private SqliteConnection OpenReader()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    private SqliteCommand Command(SqliteTransaction tx, string sql)
    {
        var cmd = _writer.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        int i = 0;
        foreach (var name in ParameterNames(sql))
        {
            cmd.Parameters.Add(new SqliteParameter(name, null));
            i++;
        }
        cmd.Prepare();
        return cmd;
    }

    private static IEnumerable<string> ParameterNames(string sql)
    {
        var seen = new HashSet<string>();
        for (int i = 0; i < sql.Length; i++)
        {
            if (sql[i] != '$')
            {
                continue;
            }
            int j = i + 1;
            while (j < sql.Length && (char.IsLetterOrDigit(sql[j]) || sql[j] == '_'))
            {
                j++;
            }
            string name = sql[i..j];
            if (seen.Add(name))
            {
                yield return name;
            }
            i = j;
        }
    }

    private static void Run(SqliteCommand cmd, params object?[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
        cmd.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // Events arrive at ingestion rate, so their insert skips ADO.NET's per-call parameter binding by name and
    // binds by position on a raw prepared statement (several times cheaper per row). It runs on the writer
    // connection, inside the transaction of the batch.
    private sealed class EventRows : IDisposable
    {
        private readonly sqlite3_stmt _stmt;
        private readonly sqlite3 _db;

        public EventRows(SqliteCatalogStore store, SqliteTransaction tx)
        {
            _ = tx; // the statement joins the connection's open transaction
            _db = store._writer.Handle!;
            Check(raw.sqlite3_prepare_v2(_db,
                "INSERT INTO events(seq, app, user_dense, item_dense, type, value, ts, event_id, request_id, position) VALUES (?,?,?,?,?,?,?,?,?,?)", out _stmt));
        }

        public void Add(long seq, string app, int user, int item, string type, double? value, long ts, string? eventId, string? requestId, int? position)
        {
            Check(raw.sqlite3_bind_int64(_stmt, 1, seq));
            Check(raw.sqlite3_bind_text(_stmt, 2, app));
            Check(raw.sqlite3_bind_int64(_stmt, 3, user));
            Check(raw.sqlite3_bind_int64(_stmt, 4, item));
            Check(raw.sqlite3_bind_text(_stmt, 5, type));
            Check(value is { } v ? raw.sqlite3_bind_double(_stmt, 6, v) : raw.sqlite3_bind_null(_stmt, 6));
            Check(raw.sqlite3_bind_int64(_stmt, 7, ts));
            Check(eventId is null ? raw.sqlite3_bind_null(_stmt, 8) : raw.sqlite3_bind_text(_stmt, 8, eventId));
            Check(requestId is null ? raw.sqlite3_bind_null(_stmt, 9) : raw.sqlite3_bind_text(_stmt, 9, requestId));
            Check(position is { } p ? raw.sqlite3_bind_int64(_stmt, 10, p) : raw.sqlite3_bind_null(_stmt, 10));
            int rc = raw.sqlite3_step(_stmt);
            raw.sqlite3_reset(_stmt);
            if (rc != raw.SQLITE_DONE)
            {
                throw new SqliteException($"Inserting event {seq} into the catalog failed: {raw.sqlite3_errmsg(_db).utf8_to_string()}", rc);
            }
        }

        public void Dispose() => _stmt.Dispose();

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                throw new SqliteException($"SQLite error {rc}: {raw.sqlite3_errmsg(_db).utf8_to_string()}", rc);
            }
        }
    }
}
