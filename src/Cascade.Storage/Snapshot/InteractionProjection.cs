using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;

namespace Cascade.Storage.Snapshot;

/// <summary>
/// The training interactions as a projection of the log: per app, the dense ids (order of first appearance, events
/// and upserts alike — the catalog's rule) and every weighted user × item entry, kept up to date as records are
/// applied, so a training takes its <see cref="InteractionSnapshot"/> without replaying the log. It checkpoints
/// itself to a file (<see cref="Checkpoint()"/>; layout in docs/formats/interactions.md) and resumes from it at the next
/// open, so a restart applies only the records after the checkpoint. Thread-safe: the engine's applier writes, any
/// thread takes snapshots.
/// </summary>
public sealed class InteractionProjection : ICheckpointedProjection
{
    private const uint Magic = 0x50494343; // "CCIP" little-endian: Cascade interaction projection
    private const ushort FormatVersion = 2;

    private readonly EventTypeRegistry _types;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, AppInteractions> _apps = new(StringComparer.Ordinal);
    private long _restoredAt;
    private long _applied;
    private LogMark _mark;

    /// <summary>An empty projection (it applies the log from its start).</summary>
    /// <param name="types">The configured event types (weights and roles; impressions make no entry).</param>
    /// <param name="checkpointPath">Where <see cref="Checkpoint()"/> writes (null: it does not).</param>
    public InteractionProjection(EventTypeRegistry types, string? checkpointPath = null)
    {
        ArgumentNullException.ThrowIfNull(types);
        _types = types;
        CheckpointPath = checkpointPath;
    }

    /// <summary>Where <see cref="Checkpoint()"/> writes, or null.</summary>
    public string? CheckpointPath { get; }

    /// <inheritdoc />
    public long Checkpoint() => CheckpointPath is null ? AppliedSequence : Checkpoint(CheckpointPath);

    /// <inheritdoc />
    public string Name => "interactions";

    /// <inheritdoc />
    public long AppliedSequence => Interlocked.Read(ref _applied);

    /// <summary>The checkpoint it was opened from (null: none was usable), for logs and benchmarks.</summary>
    public string? RestoredFrom { get; private set; }

    /// <summary>Entries held over all apps (a gauge).</summary>
    public long Entries
    {
        get
        {
            lock (_gate)
            {
                return _apps.Values.Sum(a => (long)a.Builder.Count);
            }
        }
    }

    /// <summary>Entries held for <paramref name="app"/> (0 for an app without interactions).</summary>
    /// <param name="app">The app.</param>
    public long EntriesOf(string app)
    {
        lock (_gate)
        {
            return _apps.TryGetValue(app, out var state) ? state.Builder.Count : 0;
        }
    }

    /// <summary>The apps with at least one entry, in ordinal order.</summary>
    public IReadOnlyList<string> AppsWithEntries
    {
        get
        {
            lock (_gate)
            {
                return [.. _apps.Where(a => a.Value.Builder.Count > 0).Select(a => a.Key).Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// The sequence of the last record that changed what a training of <paramref name="app"/> reads — an interaction
    /// (not an impression), an item or user upsert, a hide — or the checkpoint's sequence when nothing changed since it
    /// was restored (0 for an app never seen). A bundle whose snapshot is at or after it would be trained again on
    /// the same inputs.
    /// </summary>
    /// <param name="app">The app.</param>
    public long ChangedAt(string app)
    {
        lock (_gate)
        {
            long changed = _apps.TryGetValue(app, out var state) ? state.ChangedAt : 0;
            return changed == 0 && state is not null ? _restoredAt : changed;
        }
    }

    /// <inheritdoc />
    public void Apply(LogBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_gate)
        {
            var records = batch.Records;
            for (int i = batch.StartAfter(_applied); i < records.Count; i++)
            {
                switch (records[i].Kind)
                {
                    case RecordKind.Event:
                        var e = batch.Event(i);
                        var app = App(e.App);
                        int u = app.Users.GetOrAdd(e.UserId);
                        int item = app.Items.GetOrAdd(e.ItemId);
                        // Unknown types were refused at ingestion; a type removed from configuration since is skipped.
                        if (_types.TryGet(e.Type, out var type) && type.Role != EventRole.Impression)
                        {
                            app.Builder.Add(u, item, type.WeightOf(e.Value), e.TimestampMs);
                            app.ChangedAt = records[i].Sequence;
                        }
                        break;
                    case RecordKind.ItemUpsert:
                        var upserted = batch.Item(i);
                        var itemApp = App(upserted.App);
                        itemApp.Items.GetOrAdd(upserted.Id);
                        itemApp.ChangedAt = records[i].Sequence;
                        break;
                    case RecordKind.UserUpsert:
                        var user = batch.User(i);
                        var userApp = App(user.App);
                        userApp.Users.GetOrAdd(user.Id);
                        userApp.ChangedAt = records[i].Sequence;
                        break;
                    case RecordKind.ItemHide:
                        App(batch.Hide(i).App).ChangedAt = records[i].Sequence;
                        break;
                    default:
                        break;
                }
                Interlocked.Exchange(ref _applied, records[i].Sequence);
            }
            if (batch.LastSequence == _applied)
            {
                _mark = batch.EndMark;
            }
        }
    }

    /// <summary>The log position of the state (the last record applied, or the checkpoint's), as a checkpoint records it.</summary>
    public LogMark Mark
    {
        get
        {
            lock (_gate)
            {
                return _mark;
            }
        }
    }

    /// <summary>
    /// The interaction matrix of <paramref name="app"/> as of <see cref="AppliedSequence"/> (the same as
    /// <see cref="InteractionSnapshot.Build(EventLog, EventTypeRegistry, string, long, bool)"/> up to that sequence).
    /// Built outside the lock: the applier keeps going meanwhile.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="dropNonPositive">Drop entries whose summed weight is ≤ 0.</param>
    public InteractionSnapshot Snapshot(string app, bool dropNonPositive = true)
    {
        ArgumentNullException.ThrowIfNull(app);
        string[] users, items;
        CsrMatrixBuilder entries;
        long sequence;
        lock (_gate)
        {
            sequence = _applied;
            if (!_apps.TryGetValue(app, out var state))
            {
                return new InteractionSnapshot(new CsrMatrixBuilder(0).Build(0, 0), [], [], sequence);
            }
            users = state.Users.ToArray();
            items = state.Items.ToArray();
            entries = state.Builder.Freeze();
        }
        return new InteractionSnapshot(entries.Build(users.Length, items.Length, dropNonPositive), users, items, sequence);
    }

    /// <summary>
    /// Writes the state to <paramref name="path"/> atomically (a temporary file, fsync'd, renamed over the old one).
    /// Returns the sequence checkpointed.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    public long Checkpoint(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        (string App, string[] Users, string[] Items, CsrMatrixBuilder Entries)[] apps;
        LogMark mark;
        lock (_gate)
        {
            mark = _mark;
            apps = [.. _apps.Select(a => (a.Key, a.Value.Users.ToArray(), a.Value.Items.ToArray(), a.Value.Builder.Freeze()))];
        }
        CheckpointFile.Write(path, mark, writer =>
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(apps.Length);
            foreach (var (app, users, items, entries) in apps)
            {
                writer.Write(app);
                WriteIds(writer, users);
                WriteIds(writer, items);
                entries.WriteEntries(writer);
            }
        });
        return mark.Sequence;
    }

    /// <summary>
    /// Opens the projection from the checkpoint at <paramref name="path"/> when it is usable — readable, intact and not
    /// ahead of <paramref name="logLastSequence"/> (a log cut shorter than what the checkpoint saw makes it stale) —
    /// else empty, to apply the whole log. A damaged or stale checkpoint is never fatal: the log is the source of truth.
    /// </summary>
    /// <param name="path">The checkpoint file (may be absent).</param>
    /// <param name="types">The configured event types.</param>
    /// <param name="logLastSequence">The log's last sequence.</param>
    public static InteractionProjection Open(string path, EventTypeRegistry types, long logLastSequence)
    {
        var projection = new InteractionProjection(types, path);
        if (!File.Exists(path))
        {
            return projection;
        }
        try
        {
            projection.Restore(path, logLastSequence);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or ArgumentException or OverflowException or UnauthorizedAccessException)
        {
            return new InteractionProjection(types, path); // the log replays what the checkpoint would have held
        }
        return projection;
    }

    private void Restore(string path, long logLastSequence)
    {
        CheckpointFile.Read(path, (reader, mark) =>
        {
            if (reader.ReadUInt32() != Magic || reader.ReadUInt16() != FormatVersion)
            {
                throw new InvalidDataException($"'{path}' is not an interaction checkpoint of version {FormatVersion}.");
            }
            long sequence = mark.Sequence;
            if (sequence > logLastSequence)
            {
                throw new InvalidDataException($"'{path}' was taken at sequence {sequence}, beyond the log's {logLastSequence}.");
            }
            int count = reader.ReadInt32();
            for (int a = 0; a < count; a++)
            {
                string app = reader.ReadString();
                var state = App(app);
                ReadIds(reader, state.Users);
                ReadIds(reader, state.Items);
                state.Builder.ReadEntries(reader, state.Users.Count, state.Items.Count);
            }
            _applied = sequence;
            _restoredAt = sequence;
            _mark = mark;
            return sequence;
        });
        RestoredFrom = path;
    }

    private static void WriteIds(BinaryWriter writer, string[] ids)
    {
        writer.Write(ids.Length);
        foreach (string id in ids)
        {
            writer.Write(id);
        }
    }

    private static void ReadIds(BinaryReader reader, IdInterner interner)
    {
        int n = reader.ReadInt32();
        if (n < 0)
        {
            throw new InvalidDataException($"Negative id count {n}.");
        }
        for (int i = 0; i < n; i++)
        {
            if (interner.GetOrAdd(reader.ReadString(), out bool added) != i || !added)
            {
                throw new InvalidDataException("Repeated id in a checkpoint.");
            }
        }
    }

    private AppInteractions App(string app)
    {
        if (!_apps.TryGetValue(app, out var state))
        {
            state = new AppInteractions();
            _apps[app] = state;
        }
        return state;
    }

    private sealed class AppInteractions
    {
        public IdInterner Users { get; } = new();

        public IdInterner Items { get; } = new();

        public CsrMatrixBuilder Builder { get; } = new(1 << 12);

        public long ChangedAt { get; set; }
    }
}
