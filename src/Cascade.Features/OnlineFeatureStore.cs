using System.Collections.Concurrent;
using Cascade.Core.Domain;
using Cascade.Features.State;
using Cascade.Ranking;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;
using Cascade.Storage.Records;

namespace Cascade.Features;

/// <summary>
/// In-memory feature state per app, updated per event and read per request. Feed it either from the event log —
/// attached to the engine as a projection (<see cref="CascadeEngine.Attach"/>), or <see cref="CatchUp"/> offline — or
/// by calling <c>Observe</c> yourself, not both, or events count twice. <see cref="Hydrate"/> writes rows with the same schema and the same code as the training rows of
/// <see cref="TrainingSetBuilder"/>. Thread-safe: many requests hydrate at once while one writer observes; each app
/// has a reader–writer lock, so a row never mixes half of an update.
/// </summary>
public sealed class OnlineFeatureStore : ICheckpointedProjection, IDisposable
{
    private readonly ConcurrentDictionary<string, AppSlot> _apps = new(StringComparer.Ordinal);
    private readonly EventTypeRegistry _types;
    private readonly FeatureState _empty;
    private readonly object _catchUpGate = new();
    private long _appliedSequence;
    private LogMark _mark;

    /// <summary>Creates an empty store.</summary>
    /// <param name="features">The feature definitions (the same as training's).</param>
    /// <param name="eventTypes">Maps an event's type to its role; events of unknown types are ignored.</param>
    public OnlineFeatureStore(FeatureSet features, EventTypeRegistry eventTypes)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(eventTypes);
        Features = features;
        _types = eventTypes;
        _empty = new FeatureState(features);
    }

    private const uint Magic = 0x53464343; // "CCFS" little-endian: Cascade feature store
    private const ushort FormatVersion = 2;

    /// <summary>Where <see cref="Checkpoint()"/> writes, or null (it does not).</summary>
    public string? CheckpointPath { get; private init; }

    /// <summary>The checkpoint it was opened from (null: none was usable).</summary>
    public string? RestoredFrom { get; private set; }

    /// <summary>
    /// Opens a store that checkpoints to <paramref name="checkpointPath"/>, resuming from the checkpoint there when it
    /// is usable: intact, written for the same feature definitions and event types, and not ahead of
    /// <paramref name="logLastSequence"/>. Otherwise the store starts empty and the engine applies the whole log.
    /// </summary>
    /// <param name="checkpointPath">The checkpoint file (may be absent).</param>
    /// <param name="features">The feature definitions.</param>
    /// <param name="eventTypes">The configured event types.</param>
    /// <param name="logLastSequence">The log's last sequence.</param>
    public static OnlineFeatureStore Open(string checkpointPath, FeatureSet features, EventTypeRegistry eventTypes, long logLastSequence)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        var store = new OnlineFeatureStore(features, eventTypes) { CheckpointPath = checkpointPath };
        if (!File.Exists(checkpointPath))
        {
            return store;
        }
        try
        {
            string fingerprint = store.Fingerprint();
            var (restored, apps) = CheckpointFile.Read(checkpointPath, (r, mark) =>
            {
                if (r.ReadUInt32() != Magic || r.ReadUInt16() != FormatVersion)
                {
                    throw new InvalidDataException($"'{checkpointPath}' is not a feature-store checkpoint of version {FormatVersion}.");
                }
                if (r.ReadString() != fingerprint)
                {
                    throw new InvalidDataException($"'{checkpointPath}' was written for other feature definitions or event types.");
                }
                if (mark.Sequence > logLastSequence)
                {
                    throw new InvalidDataException($"'{checkpointPath}' was taken at sequence {mark.Sequence}, beyond the log's {logLastSequence}.");
                }
                int count = r.ReadInt32();
                var states = new List<(string, FeatureState)>();
                for (int a = 0; a < count; a++)
                {
                    states.Add((r.ReadString(), FeatureState.Read(r, features)));
                }
                return (mark, states);
            });
            foreach (var (app, state) in apps)
            {
                store._apps[app] = new AppSlot(state);
            }
            store._appliedSequence = restored.Sequence;
            store._mark = restored;
            store.RestoredFrom = checkpointPath;
            return store;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or ArgumentException or OverflowException or UnauthorizedAccessException)
        {
            return new OnlineFeatureStore(features, eventTypes) { CheckpointPath = checkpointPath }; // the log replays it
        }
    }

    /// <inheritdoc />
    public long Checkpoint()
    {
        if (CheckpointPath is null)
        {
            return AppliedSequence;
        }
        // The file holds one sequence exactly, so nothing is applied while the state is written (requests keep
        // reading). Busy tells the engine's applier to pass this store by meanwhile: the catalog, and the writes
        // waiting for it, go on; this store catches up afterwards.
        Volatile.Write(ref _checkpointing, true);
        try
        {
            lock (_catchUpGate)
            {
                return WriteCheckpoint(CheckpointPath);
            }
        }
        finally
        {
            Volatile.Write(ref _checkpointing, false);
        }
    }

    private bool _checkpointing;

    /// <inheritdoc />
    public bool Busy => Volatile.Read(ref _checkpointing);

    private long WriteCheckpoint(string path)
    {
        var mark = _mark;
        string fingerprint = Fingerprint();
        CheckpointFile.Write(path, mark, w =>
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(fingerprint);
            var apps = _apps.ToArray();
            w.Write(apps.Length);
            foreach (var (app, slot) in apps)
            {
                w.Write(app);
                slot.Lock.EnterReadLock();
                try
                {
                    slot.State.Write(w);
                }
                finally
                {
                    slot.Lock.ExitReadLock();
                }
            }
        });
        return mark.Sequence;
    }

    // What a checkpoint's state depends on besides the log: the feature definitions and the roles of event types.
    private string Fingerprint() =>
        System.Text.Json.JsonSerializer.Serialize(Features.Options) + "|" + string.Join(",", _types.All.Select(t => $"{t.Name}:{t.Role}"));

    /// <summary>Creates a store and catches it up with everything in the engine's log (offline use; a server attaches it instead).</summary>
    /// <param name="engine">The engine whose log to read.</param>
    /// <param name="features">The feature definitions.</param>
    public static OnlineFeatureStore Open(CascadeEngine engine, FeatureSet features)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var store = new OnlineFeatureStore(features, engine.EventTypes);
        store.CatchUp(engine.Log);
        return store;
    }

    /// <summary>The feature definitions.</summary>
    public FeatureSet Features { get; }

    /// <inheritdoc />
    public string Name => "features";

    /// <summary>The newest log record applied by <see cref="Apply"/> or <see cref="CatchUp"/> (0 before any).</summary>
    public long AppliedSequence => Interlocked.Read(ref _appliedSequence);

    /// <inheritdoc />
    public void Apply(LogBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!Monitor.TryEnter(_catchUpGate))
        {
            return; // a checkpoint is being written (Busy): the applier offers the records again afterwards
        }
        try
        {
            var records = batch.Records;
            for (int i = batch.StartAfter(AppliedSequence); i < records.Count; i++)
            {
                switch (records[i].Kind)
                {
                    case RecordKind.Event:
                        Observe(batch.Event(i));
                        break;
                    case RecordKind.ItemUpsert:
                        Observe(batch.Item(i));
                        break;
                    case RecordKind.UserUpsert:
                        Observe(batch.User(i));
                        break;
                    default:
                        break;
                }
                Interlocked.Exchange(ref _appliedSequence, records[i].Sequence);
            }
            if (batch.LastSequence == AppliedSequence)
            {
                _mark = batch.EndMark;
            }
        }
        finally
        {
            Monitor.Exit(_catchUpGate);
        }
    }

    /// <summary>Applies one feedback event. Returns false when its type is not configured (nothing changes).</summary>
    /// <param name="e">The event.</param>
    public bool Observe(FeedbackEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!_types.TryGet(e.Type, out var type))
        {
            return false;
        }
        var slot = Slot(e.App);
        slot.Lock.EnterWriteLock();
        try
        {
            slot.State.ApplyEvent(e.UserId, e.ItemId, type.Role, e.TimestampMs);
        }
        finally
        {
            slot.Lock.ExitWriteLock();
        }
        return true;
    }

    /// <summary>Applies an item upsert (categories, tags and creation time).</summary>
    /// <param name="item">The item.</param>
    public void Observe(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var slot = Slot(item.App);
        slot.Lock.EnterWriteLock();
        try
        {
            slot.State.ApplyItem(item);
        }
        finally
        {
            slot.Lock.ExitWriteLock();
        }
    }

    /// <summary>Applies a user upsert (the configured attributes).</summary>
    /// <param name="user">The user.</param>
    public void Observe(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var slot = Slot(user.App);
        slot.Lock.EnterWriteLock();
        try
        {
            slot.State.ApplyUser(user);
        }
        finally
        {
            slot.Lock.ExitWriteLock();
        }
    }

    /// <summary>Applies one log record (events, item and user upserts; other kinds change nothing).</summary>
    /// <param name="record">A record read from the event log.</param>
    /// <exception cref="InvalidDataException">The payload does not decode.</exception>
    public void Observe(LogRecord record)
    {
        switch (record.Kind)
        {
            case RecordKind.Event:
                Observe(RecordCodec.DecodeEvent(record.Payload.Span));
                break;
            case RecordKind.ItemUpsert:
                Observe(RecordCodec.DecodeItem(record.Payload.Span));
                break;
            case RecordKind.UserUpsert:
                Observe(RecordCodec.DecodeUser(record.Payload.Span));
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Applies the log records after <see cref="AppliedSequence"/> up to <paramref name="upToSequence"/> and returns
    /// how many were applied. Calls are serialised; requests keep hydrating meanwhile.
    /// </summary>
    /// <param name="log">The event log this store follows (always the same one).</param>
    /// <param name="upToSequence">The newest record to apply.</param>
    public long CatchUp(EventLog log, long upToSequence = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(log);
        lock (_catchUpGate)
        {
            long applied = 0;
            foreach (var record in log.ReadFrom(AppliedSequence + 1))
            {
                if (record.Sequence > upToSequence)
                {
                    break;
                }
                Observe(record);
                Interlocked.Exchange(ref _appliedSequence, record.Sequence);
                _mark = new LogMark(record.Sequence, log.Id, record.Checksum);
                applied++;
            }
            return applied;
        }
    }

    /// <summary>
    /// The feature rows of <paramref name="candidateItemIds"/> for <paramref name="userId"/> at <paramref name="nowMs"/>,
    /// in the candidates' order, with <see cref="FeatureSet.Schema"/> and no labels. Unknown users and items get
    /// their hashed ids, zero counts and missing values.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="userId">The user.</param>
    /// <param name="candidateItemIds">The candidates.</param>
    /// <param name="context">Device, platform and scoring position, or null for none.</param>
    /// <param name="nowMs">The request's time, Unix milliseconds.</param>
    public RankingDataset Hydrate(string app, string userId, IReadOnlyList<string> candidateItemIds, RequestContext? context, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(candidateItemIds);
        var schema = Features.Schema;
        var categorical = new int[candidateItemIds.Count * schema.FieldCount];
        var numeric = new float[candidateItemIds.Count * schema.NumericCount];
        HydrateInto(app, userId, candidateItemIds, context, nowMs, categorical, numeric);
        return new RankingDataset(schema, candidateItemIds.Count, categorical, numeric, validate: false);
    }

    /// <summary>As <see cref="Hydrate"/>, into caller-owned buffers (row-major, exactly rows × columns long).</summary>
    /// <param name="app">The app.</param>
    /// <param name="userId">The user.</param>
    /// <param name="candidateItemIds">The candidates.</param>
    /// <param name="context">Device, platform and scoring position, or null for none.</param>
    /// <param name="nowMs">The request's time, Unix milliseconds.</param>
    /// <param name="categorical">Candidates × Schema.FieldCount codes.</param>
    /// <param name="numeric">Candidates × Schema.NumericCount values.</param>
    /// <exception cref="ArgumentException">A buffer has the wrong length.</exception>
    public void HydrateInto(string app, string userId, IReadOnlyList<string> candidateItemIds, RequestContext? context, long nowMs, Span<int> categorical, Span<float> numeric)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(candidateItemIds);
        int fields = Features.Schema.FieldCount, numerics = Features.Schema.NumericCount, n = candidateItemIds.Count;
        if (categorical.Length != n * fields)
        {
            throw new ArgumentException($"categorical has {categorical.Length} codes; {n} candidates × {fields} fields need {n * fields}.", nameof(categorical));
        }
        if (numeric.Length != n * numerics)
        {
            throw new ArgumentException($"numeric has {numeric.Length} values; {n} candidates × {numerics} features need {n * numerics}.", nameof(numeric));
        }
        var row = new RequestRow();
        if (!_apps.TryGetValue(app, out var slot))
        {
            Write(_empty, row, userId, candidateItemIds, context ?? RequestContext.None, nowMs, categorical, numeric);
            return;
        }
        slot.Lock.EnterReadLock();
        try
        {
            Write(slot.State, row, userId, candidateItemIds, context ?? RequestContext.None, nowMs, categorical, numeric);
        }
        finally
        {
            slot.Lock.ExitReadLock();
        }
    }

    /// <summary>
    /// How many users, items and user × item pairs of <paramref name="app"/> have state (the pairs are counted over
    /// every user: a gauge for an admin endpoint, not for the request path).
    /// </summary>
    /// <param name="app">The app.</param>
    public FeatureStoreCounts Count(string app)
    {
        if (!_apps.TryGetValue(app, out var slot))
        {
            return new FeatureStoreCounts(0, 0, 0);
        }
        slot.Lock.EnterReadLock();
        try
        {
            return new FeatureStoreCounts(slot.State.UserCount, slot.State.ItemCount, slot.State.PairCount);
        }
        finally
        {
            slot.Lock.ExitReadLock();
        }
    }

    /// <summary>Releases the locks. Do not use the store afterwards.</summary>
    public void Dispose()
    {
        foreach (var slot in _apps.Values)
        {
            slot.Lock.Dispose();
        }
    }

    private void Write(FeatureState state, RequestRow row, string userId, IReadOnlyList<string> items, RequestContext context, long nowMs, Span<int> categorical, Span<float> numeric)
    {
        int fields = Features.Schema.FieldCount, numerics = Features.Schema.NumericCount;
        Features.BeginRequest(state, userId, context, nowMs, row);
        for (int i = 0; i < items.Count; i++)
        {
            Features.WriteCandidate(state, row, items[i], -1, categorical.Slice(i * fields, fields), numeric.Slice(i * numerics, numerics));
        }
    }

    private AppSlot Slot(string app) => _apps.GetOrAdd(app, static (_, features) => new AppSlot(new FeatureState(features)), Features);

    private sealed class AppSlot(FeatureState state)
    {
        public FeatureState State { get; } = state;

        public ReaderWriterLockSlim Lock { get; } = new(LockRecursionPolicy.NoRecursion);
    }
}

/// <summary>What an <see cref="OnlineFeatureStore"/> holds for one app.</summary>
/// <param name="Users">Users with state.</param>
/// <param name="Items">Items with state.</param>
/// <param name="Pairs">User × item pairs with exact history (at most <see cref="FeatureSetOptions.MaxItemsPerUser"/> per user).</param>
public readonly record struct FeatureStoreCounts(int Users, int Items, long Pairs);
