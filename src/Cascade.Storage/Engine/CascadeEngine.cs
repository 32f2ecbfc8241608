using System.Globalization;
using Cascade.Core.Domain;
using Cascade.Storage.Catalog;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;
using Cascade.Storage.Records;
using Cascade.Storage.Snapshot;

namespace Cascade.Storage.Engine;

/// <summary>
/// The write path and the derived stores of one data folder: every write goes to the event log first and is
/// acknowledged under the log's durability; one applier then feeds the log, in order, to every projection — the
/// catalog, and whatever the host attaches (<see cref="Attach"/>): recent changes, online features, training
/// interactions. Both the HTTP API and the import commands write through this class, so they share one code path.
/// Thread-safe.
/// </summary>
public sealed partial class CascadeEngine : IDisposable
{
    private readonly DataFolderLock _folderLock;

    private CascadeEngine(EngineOptions options, DataFolderLock folderLock, EventLog log, ICatalogStore catalog, InteractionProjection interactions, IReadOnlyList<EngineRepair> repairs)
    {
        Options = options;
        _folderLock = folderLock;
        Repairs = repairs;
        Log = log;
        Catalog = catalog;
        Interactions = interactions;
        // Projections catch up in the background, so opening never waits for a large backlog;
        // /health/ready reports the lag, and reads that must see every write wait for it.
        _slots = [new Slot(catalog), new Slot(interactions)];
        _applier = Task.Run(ApplyLoop);
    }

    /// <summary>The engine's options.</summary>
    public EngineOptions Options { get; }

    /// <summary>
    /// What opening the data folder repaired (a torn tail truncated, an empty segment removed, derived stores rebuilt
    /// under <see cref="EngineOptions.AcceptLogAsIs"/>), with counts; empty when nothing. Hosts log these at Warning.
    /// </summary>
    public IReadOnlyList<EngineRepair> Repairs { get; }

    /// <summary>The event log (source of truth).</summary>
    public EventLog Log { get; }

    /// <summary>The catalog derived from the log (the first projection).</summary>
    public ICatalogStore Catalog { get; }

    /// <summary>
    /// The training interactions, kept up to date from the log (so a training does not replay it) and checkpointed
    /// to <see cref="EngineOptions.InteractionsCheckpointPath"/> at <see cref="CheckpointProjections"/> and at close.
    /// </summary>
    public InteractionProjection Interactions { get; }

    /// <summary>The accepted event types.</summary>
    public EventTypeRegistry EventTypes => Options.EventTypes;

    /// <summary>
    /// Writes the checkpoint of every attached projection that keeps one (<see cref="ICheckpointedProjection"/>: the
    /// training interactions, the online feature store), so the next open applies only what comes after. Returns the
    /// oldest sequence checkpointed. Safe while the applier runs.
    /// </summary>
    public long CheckpointProjections()
    {
        long oldest = long.MaxValue;
        foreach (var slot in Volatile.Read(ref _slots))
        {
            if (slot.Projection is ICheckpointedProjection checkpointed && slot.Fault is null)
            {
                oldest = Math.Min(oldest, checkpointed.Checkpoint());
            }
        }
        return oldest == long.MaxValue ? 0 : oldest;
    }

    /// <summary>
    /// Opens the data folder: takes its lock (one process per folder), recovers the log, checks that the log holds
    /// what the catalog and every checkpoint were built from, opens the catalog and applies what it lacks.
    /// </summary>
    /// <exception cref="DataFolderLockedException">Another process (or engine) has the folder open.</exception>
    /// <exception cref="LogCorruptException">The log is damaged other than by a torn tail.</exception>
    /// <exception cref="LogMismatchException">The log is shorter than, or another log than, what derived stores saw (unless <see cref="EngineOptions.AcceptLogAsIs"/>).</exception>
    public static CascadeEngine Open(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return OpenFolder(options, (folderLock, log, catalog, check) =>
        {
            var repairs = new List<EngineRepair>();
            if (log.Recovery.Repaired)
            {
                repairs.Add(new EngineRepair(log.Recovery.SegmentRemoved ? "log-segment-removed" : "log-torn-tail",
                    "The event log " + log.Recovery.Describe() + ".", 0, 0, log.Recovery.TruncatedBytes, DateTimeOffset.UtcNow));
            }
            if (!check.Agrees)
            {
                if (!options.AcceptLogAsIs)
                {
                    throw new LogMismatchException(check);
                }
                foreach (var mismatch in check.Mismatches)
                {
                    if (mismatch.Store == catalog.Name)
                    {
                        catalog.Reset();
                    }
                    else
                    {
                        File.Delete(mismatch.Path);
                    }
                }
                repairs.Add(new EngineRepair("derived-stores-rebuilt", string.Create(CultureInfo.InvariantCulture,
                    $"The log (ending at sequence {check.LogLastSequence}) was accepted as it is: {string.Join(", ", check.Mismatches.Select(m => m.Store))} discarded and derived again from it; {check.RecordsLost} log record(s) and {check.EventsLost} catalog event(s) they held are lost.\n{check.Describe()}").TrimEnd(),
                    check.RecordsLost, check.EventsLost, 0, DateTimeOffset.UtcNow));
            }
            var interactions = InteractionProjection.Open(options.InteractionsCheckpointPath, options.EventTypes, log.LastSequence);
            return new CascadeEngine(options, folderLock, log, catalog, interactions, repairs);
        });
    }

    /// <summary>
    /// Compares the data folder's log with its derived stores without opening an engine (what <c>cascade recover</c>
    /// shows before it changes anything). Takes the folder's lock while it reads; opening the log repairs a torn tail
    /// as every open does (<see cref="DataFolderCheck.LogRecovery"/>); nothing else is modified.
    /// </summary>
    /// <exception cref="DataFolderLockedException">Another process has the folder open.</exception>
    /// <exception cref="LogCorruptException">The log is damaged other than by a torn tail.</exception>
    public static DataFolderCheck Inspect(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return OpenFolder(options, (folderLock, log, catalog, check) =>
        {
            catalog.Dispose();
            log.Dispose();
            folderLock.Dispose();
            return check;
        });
    }

    // Takes the lock, opens the log and the catalog, compares every derived store's mark with the log and hands all
    // of it to `use`, which owns them from then on; anything thrown before (or by `use`) closes them.
    private static T OpenFolder<T>(EngineOptions options, Func<DataFolderLock, EventLog, SqliteCatalogStore, DataFolderCheck, T> use)
    {
        var folderLock = DataFolderLock.Acquire(options.DataDirectory);
        EventLog? log = null;
        SqliteCatalogStore? catalog = null;
        try
        {
            log = EventLog.Open(options.LogDirectory, options.Log);
            var types = options.EventTypes;
            catalog = new SqliteCatalogStore(options.CatalogPath, type => !types.TryGet(type, out var t) || t.Role != EventRole.Impression);
            var check = Compare(options, log, catalog);
            return use(folderLock, log, catalog, check);
        }
        catch
        {
            catalog?.Dispose();
            log?.Dispose();
            folderLock.Dispose();
            throw;
        }
    }

    private static DataFolderCheck Compare(EngineOptions options, EventLog log, SqliteCatalogStore catalog)
    {
        long last = log.LastSequence;
        var mismatches = new List<StoreMismatch>();
        long recordsLost = 0, eventsLost = 0;
        void Check(string store, string path, LogMark mark)
        {
            if (log.Disagreement(mark) is { } reason)
            {
                mismatches.Add(new StoreMismatch(store, path, mark, reason));
                // A shorter log lost what lies beyond its end; another log makes everything the store saw unmatched.
                recordsLost = Math.Max(recordsLost, mark.Sequence > last ? mark.Sequence - last : mark.Sequence);
            }
        }
        var catalogMark = catalog.Mark;
        Check(catalog.Name, Path.GetFullPath(options.CatalogPath), catalogMark);
        if (mismatches.Count > 0)
        {
            eventsLost = catalog.CountEventsAfter(catalogMark.Sequence > last ? last : 0);
        }
        foreach (string path in Directory.GetFiles(options.DataDirectory, "*" + CheckpointFile.Extension).Order(StringComparer.Ordinal))
        {
            if (CheckpointFile.ReadMark(path) is { } mark)
            {
                Check(Path.GetFileName(path), Path.GetFullPath(path), mark);
            }
        }
        return new DataFolderCheck(Path.GetFullPath(options.DataDirectory), last, log.Id, log.Recovery, mismatches, recordsLost, eventsLost);
    }

    /// <summary>Appends events (already validated) and completes when they are durable per the log's policy.</summary>
    public Task<AppendResult[]> AppendEventsAsync(IReadOnlyList<FeedbackEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var entries = new LogEntry[events.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = RecordCodec.ToEntry(events[i]);
        }
        return AppendAsync(entries);
    }

    /// <summary>Creates or replaces items; completes when durable and visible in the catalog.</summary>
    public async Task<AppendResult[]> UpsertItemsAsync(IReadOnlyList<Item> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var entries = new LogEntry[items.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = RecordCodec.ToEntry(items[i]);
        }
        var results = await AppendAsync(entries).ConfigureAwait(false);
        await WaitForCatalogAsync(Log.LastSequence, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>Creates or replaces users; completes when durable and visible in the catalog.</summary>
    public async Task<AppendResult[]> UpsertUsersAsync(IReadOnlyList<User> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var entries = new LogEntry[users.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = RecordCodec.ToEntry(users[i]);
        }
        var results = await AppendAsync(entries).ConfigureAwait(false);
        await WaitForCatalogAsync(Log.LastSequence, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>Hides an item; completes when durable and visible in the catalog.</summary>
    public async Task HideItemAsync(string app, string itemId, CancellationToken cancellationToken = default)
    {
        await AppendAsync([RecordCodec.HideEntry(app, itemId)]).ConfigureAwait(false);
        await WaitForCatalogAsync(Log.LastSequence, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a version of an experiment's definition; completes when durable and visible in the catalog. A second
    /// write of the same app, id and version is acknowledged as a duplicate and not stored.
    /// </summary>
    public async Task<AppendResult> PutExperimentAsync(ExperimentRecord experiment, CancellationToken cancellationToken = default)
    {
        var results = await AppendAsync([RecordCodec.ToEntry(experiment)]).ConfigureAwait(false);
        await WaitForCatalogAsync(Log.LastSequence, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Waits until the catalog has applied every record up to <paramref name="sequence"/>.</summary>
    /// <exception cref="TimeoutException">The catalog did not catch up in time.</exception>
    /// <exception cref="InvalidOperationException">The catalog stopped after an error.</exception>
    public Task WaitForCatalogAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitForAsync(Catalog, sequence, timeout, cancellationToken);

    /// <summary>Derives the catalog again from the whole log; returns the number of records applied.</summary>
    public long RebuildCatalog(IProgress<long>? progress = null)
    {
        lock (_passGate)
        {
            Catalog.Reset();
            long total = 0;
            foreach (var chunk in Chunks(Log.ReadFrom(1), long.MaxValue))
            {
                Catalog.Apply(new LogBatch(chunk, Log.Id));
                total += chunk.Count;
                progress?.Report(total);
            }
            Complete(_slots[0]);
            return total;
        }
    }

    /// <summary>
    /// Stops the applier after the chunk it is applying (what it has not applied stays in the log and is applied
    /// at the next open), fails the waiters that are left, then closes the catalog and the log. Attached projections
    /// are the caller's to dispose.
    /// </summary>
    public void Dispose()
    {
        _stop.Cancel();
        _wake.Release();
        _urgent.Release();
        try
        {
            _applier.Wait();
        }
        catch (AggregateException)
        {
            // A fault is reported per projection; the log holds every record, so nothing is lost.
        }
        try
        {
            CheckpointProjections();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // A derived store: without a checkpoint the next open applies the log from the start.
        }
        foreach (var slot in _slots)
        {
            slot.CloseCursor();
            FailWaiters(slot, new ObjectDisposedException(nameof(CascadeEngine), "The engine was closed before the projection reached the sequence waited for."));
        }
        Catalog.Dispose();
        Log.Dispose();
        _folderLock.Dispose();
        _stop.Dispose();
        _wake.Dispose();
        _urgent.Dispose();
    }

    private async Task<AppendResult[]> AppendAsync(LogEntry[] entries)
    {
        var results = await Log.AppendAsync(entries).ConfigureAwait(false);
        _wake.Release();
        return results;
    }
}
