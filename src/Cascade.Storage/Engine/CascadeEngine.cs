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
    private CascadeEngine(EngineOptions options, EventLog log, ICatalogStore catalog, InteractionProjection interactions)
    {
        Options = options;
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

    /// <summary>Opens the data folder: recovers the log, opens the catalog and applies what it lacks.</summary>
    public static CascadeEngine Open(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(options.DataDirectory);
        var log = EventLog.Open(options.LogDirectory, options.Log);
        SqliteCatalogStore? catalog = null;
        try
        {
            var types = options.EventTypes;
            catalog = new SqliteCatalogStore(options.CatalogPath, type => !types.TryGet(type, out var t) || t.Role != EventRole.Impression);
            if (catalog.AppliedSequence > log.LastSequence)
            {
                // The catalog saw records the log no longer has (a torn tail was truncated): derive it again.
                catalog.Reset();
            }
            var interactions = InteractionProjection.Open(options.InteractionsCheckpointPath, options.EventTypes, log.LastSequence);
            return new CascadeEngine(options, log, catalog, interactions);
        }
        catch
        {
            catalog?.Dispose();
            log.Dispose();
            throw;
        }
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
                Catalog.Apply(new LogBatch(chunk));
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
