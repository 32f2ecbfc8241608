using System.Diagnostics;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;

namespace Cascade.Storage.Engine;

// The one way the log reaches derived stores: a single applier reads each new record once and hands it, in order, to
// every attached projection; a projection exposes how far it got and callers wait for a sequence instead of polling.
public sealed partial class CascadeEngine
{
    /// <summary>Records per batch handed to projections.</summary>
    internal const int ApplyChunk = 4096;

    /// <summary>
    /// A projection at most this many records behind the log's end shares the head read (one read and one decode per
    /// record for all of them); one further behind catches up on its own cursor, a chunk per pass, so a projection
    /// rebuilding from the start of a long log never delays the fresh ones.
    /// </summary>
    internal const long HeadWindow = 65_536;

    private readonly Lock _slotsGate = new();
    private readonly Lock _passGate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _urgent = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _applier;
    private Slot[] _slots;

    /// <summary>Every attached projection's progress: the catalog, the training interactions, then the attached ones in order.</summary>
    public IReadOnlyList<ProjectionStatus> Projections
    {
        get
        {
            long last = Log.LastSequence;
            return [.. Volatile.Read(ref _slots).Select(s => s.Status(last))];
        }
    }

    /// <summary>
    /// Attaches a projection: from now on the applier feeds it every record after its
    /// <see cref="ILogProjection.AppliedSequence"/> (0: the whole log; a later floor skips the past).
    /// </summary>
    /// <param name="projection">The projection; its name must be unique among the attached ones.</param>
    /// <exception cref="ArgumentException">A projection of that name is attached already.</exception>
    public void Attach(ILogProjection projection)
    {
        ArgumentNullException.ThrowIfNull(projection);
        lock (_slotsGate)
        {
            if (_slots.Any(s => string.Equals(s.Projection.Name, projection.Name, StringComparison.Ordinal)))
            {
                throw new ArgumentException($"A projection named '{projection.Name}' is attached already.", nameof(projection));
            }
            Volatile.Write(ref _slots, [.. _slots, new Slot(projection)]);
        }
        _wake.Release();
    }

    /// <summary>Stops feeding <paramref name="projection"/> (after the batch it may be applying); its waiters fail.</summary>
    /// <param name="projection">An attached projection other than the catalog.</param>
    public void Detach(ILogProjection projection)
    {
        ArgumentNullException.ThrowIfNull(projection);
        if (ReferenceEquals(projection, Catalog) || ReferenceEquals(projection, Interactions))
        {
            throw new ArgumentException($"The {projection.Name} projection stays attached for the engine's life.", nameof(projection));
        }
        Slot? removed;
        lock (_passGate)
        {
            lock (_slotsGate)
            {
                removed = _slots.FirstOrDefault(s => ReferenceEquals(s.Projection, projection));
                Volatile.Write(ref _slots, [.. _slots.Where(s => !ReferenceEquals(s.Projection, projection))]);
            }
        }
        if (removed is not null)
        {
            removed.CloseCursor();
            FailWaiters(removed, new InvalidOperationException($"The projection '{projection.Name}' was detached."));
        }
    }

    /// <summary>Whether <paramref name="projection"/> is attached and has not stopped on an error (cheap: for the request path).</summary>
    /// <param name="projection">A projection.</param>
    public bool IsHealthy(ILogProjection projection)
    {
        foreach (var slot in Volatile.Read(ref _slots))
        {
            if (ReferenceEquals(slot.Projection, projection))
            {
                return slot.Fault is null;
            }
        }
        return false;
    }

    /// <summary>The progress of an attached projection.</summary>
    /// <exception cref="ArgumentException">It is not attached.</exception>
    public ProjectionStatus StatusOf(ILogProjection projection) => SlotOf(projection).Status(Log.LastSequence);

    /// <summary>
    /// Completes when <paramref name="projection"/> has applied every record up to <paramref name="sequence"/> (and
    /// the other projections sharing the head read have applied the same batch). Wakes the applier at once, without
    /// its coalescing pause.
    /// </summary>
    /// <param name="projection">An attached projection.</param>
    /// <param name="sequence">The log sequence to wait for (e.g. the one an append acknowledged).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="InvalidOperationException">The projection stopped after an error, or was detached.</exception>
    public Task WaitForAsync(ILogProjection projection, long sequence, CancellationToken cancellationToken = default)
    {
        var slot = SlotOf(projection);
        Task wait;
        lock (slot.Gate)
        {
            if (slot.Fault is { } fault)
            {
                return Task.FromException(FaultOf(slot, fault));
            }
            if (projection.AppliedSequence >= sequence)
            {
                return Task.CompletedTask;
            }
            var waiter = new Waiter(sequence);
            slot.Waiters.Add(waiter);
            wait = waiter.Done.Task;
        }
        _wake.Release();
        _urgent.Release();
        return wait.WaitAsync(cancellationToken);
    }

    /// <summary>As <see cref="WaitForAsync(ILogProjection, long, CancellationToken)"/>, giving up after <paramref name="timeout"/>.</summary>
    /// <exception cref="TimeoutException">The projection did not get there in time (the message says how far it got).</exception>
    public async Task WaitForAsync(ILogProjection projection, long sequence, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await WaitForAsync(projection, sequence, cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The {projection.Name} projection reached sequence {projection.AppliedSequence}, not {sequence}, within {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Completes when every attached projection has applied the log up to <paramref name="sequence"/>.</summary>
    /// <param name="sequence">The log sequence.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitForAllAsync(long sequence, CancellationToken cancellationToken = default) =>
        Task.WhenAll(Volatile.Read(ref _slots).Select(s => WaitForAsync(s.Projection, sequence, cancellationToken)));

    private Slot SlotOf(ILogProjection projection)
    {
        ArgumentNullException.ThrowIfNull(projection);
        return Volatile.Read(ref _slots).FirstOrDefault(s => ReferenceEquals(s.Projection, projection))
            ?? throw new ArgumentException($"The projection '{projection.Name}' is not attached to this engine.", nameof(projection));
    }

    private static InvalidOperationException FaultOf(Slot slot, Exception fault) => new(
        $"The {slot.Projection.Name} projection stopped at sequence {slot.Projection.AppliedSequence} after an error ({fault.Message}); restart the engine or run `cascade rebuild`.", fault);

    private async Task ApplyLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            bool worked;
            lock (_passGate)
            {
                worked = ApplyPass();
            }
            if (worked)
            {
                continue;
            }
            try
            {
                // Idle: wait for an append (or a waiter), then let a few more appends gather so a busy server applies
                // them in one batch instead of one commit per request — unless someone waits for the result.
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(200), _stop.Token).ConfigureAwait(false);
                Drain(_wake);
                if (Options.ApplyInterval > TimeSpan.Zero && !HasWaiters())
                {
                    await _urgent.WaitAsync(Options.ApplyInterval, _stop.Token).ConfigureAwait(false);
                }
                Drain(_urgent);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static void Drain(SemaphoreSlim semaphore)
    {
        while (semaphore.CurrentCount > 0 && semaphore.Wait(0))
        {
        }
    }

    private bool HasWaiters()
    {
        foreach (var slot in Volatile.Read(ref _slots))
        {
            lock (slot.Gate)
            {
                if (slot.Waiters.Count > 0)
                {
                    return true;
                }
            }
        }
        return false;
    }

    // One pass: the projections near the log's end share one read of what is new; each one further behind advances
    // one chunk on its own cursor. Returns whether anything was applied (the loop then passes again at once).
    private bool ApplyPass()
    {
        long target = Log.LastSequence;
        var slots = Volatile.Read(ref _slots);
        var head = new List<Slot>(slots.Length);
        long headFrom = long.MaxValue;
        bool worked = false;
        foreach (var slot in slots)
        {
            if (slot.Fault is not null || _stop.IsCancellationRequested || slot.Projection.Busy)
            {
                continue; // a busy one rejoins at a later pass (the idle wait wakes at least every 200 ms)
            }
            long applied = slot.Projection.AppliedSequence;
            if (applied >= target)
            {
                slot.CloseCursor();
                continue;
            }
            if (target - applied <= HeadWindow && slot.Cursor is null)
            {
                head.Add(slot);
                headFrom = Math.Min(headFrom, applied + 1);
            }
            else
            {
                worked |= CatchUpOneChunk(slot);
            }
        }
        if (head.Count > 0)
        {
            foreach (var chunk in Chunks(Log.ReadFrom(headFrom), target))
            {
                var batch = new LogBatch(chunk, Log.Id);
                // Newest-attached first, the catalog last: a request that sees a write in the catalog finds it in the
                // request path's projections too.
                for (int k = head.Count - 1; k >= 0; k--)
                {
                    ApplyTo(head[k], batch);
                }
                // Waiters complete once every head projection has the batch: a write acknowledged after its catalog
                // wait is visible to the request path's projections too (a Busy one, passed by, catches up later).
                foreach (var slot in head)
                {
                    Complete(slot);
                }
                worked = true;
                if (_stop.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        return worked;
    }

    private bool CatchUpOneChunk(Slot slot)
    {
        slot.Cursor ??= Log.ReadFrom(slot.Projection.AppliedSequence + 1).GetEnumerator();
        var chunk = new List<LogRecord>();
        while (chunk.Count < ApplyChunk && slot.Cursor.MoveNext())
        {
            chunk.Add(slot.Cursor.Current);
        }
        if (chunk.Count < ApplyChunk)
        {
            slot.CloseCursor(); // what the cursor's snapshot of the log held is read; the next pass starts afresh
        }
        if (chunk.Count == 0)
        {
            return false;
        }
        ApplyTo(slot, new LogBatch(chunk, Log.Id));
        Complete(slot);
        return true;
    }

    private static void ApplyTo(Slot slot, LogBatch batch)
    {
        if (slot.Fault is not null || slot.Projection.AppliedSequence >= batch.LastSequence)
        {
            return;
        }
        long before = slot.Projection.AppliedSequence;
        long started = Stopwatch.GetTimestamp();
        try
        {
            slot.Projection.Apply(batch);
        }
        catch (Exception e)
        {
            slot.CloseCursor();
            lock (slot.Gate)
            {
                slot.Fault = e;
            }
            FailWaiters(slot, FaultOf(slot, e));
            return;
        }
        slot.RecordsApplied += Math.Max(0, slot.Projection.AppliedSequence - before);
        slot.ApplyTicks += Stopwatch.GetTimestamp() - started;
    }

    private static void Complete(Slot slot)
    {
        lock (slot.Gate)
        {
            long applied = slot.Projection.AppliedSequence;
            slot.Waiters.RemoveAll(w =>
            {
                if (w.Sequence > applied)
                {
                    return false;
                }
                w.Done.TrySetResult();
                return true;
            });
        }
    }

    private static void FailWaiters(Slot slot, Exception error)
    {
        lock (slot.Gate)
        {
            foreach (var w in slot.Waiters)
            {
                w.Done.TrySetException(error);
            }
            slot.Waiters.Clear();
        }
    }

    private static IEnumerable<List<LogRecord>> Chunks(IEnumerable<LogRecord> records, long upTo)
    {
        // Starts small and grows: a pass that tails the log applies a few dozen records, and a full chunk's array
        // (4,096 × 32 bytes) would land on the large-object heap at every pass.
        var chunk = new List<LogRecord>();
        foreach (var record in records)
        {
            if (record.Sequence > upTo)
            {
                break;
            }
            chunk.Add(record);
            if (chunk.Count == ApplyChunk)
            {
                yield return chunk;
                chunk = new List<LogRecord>(ApplyChunk);
            }
        }
        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    private sealed record Waiter(long Sequence)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Slot(ILogProjection projection)
    {
        public ILogProjection Projection { get; } = projection;

        public Lock Gate { get; } = new();

        public List<Waiter> Waiters { get; } = [];

        public Exception? Fault { get; set; }

        /// <summary>The applier's own read position while this projection is far behind (null when it shares the head read).</summary>
        public IEnumerator<LogRecord>? Cursor { get; set; }

        public long RecordsApplied { get; set; }

        public long ApplyTicks { get; set; }

        public void CloseCursor()
        {
            Cursor?.Dispose();
            Cursor = null;
        }

        public ProjectionStatus Status(long last)
        {
            long applied = Projection.AppliedSequence;
            return new ProjectionStatus(Projection.Name, applied, Math.Max(0, last - applied), RecordsApplied,
                Stopwatch.GetElapsedTime(0, ApplyTicks).TotalMilliseconds, Fault?.Message);
        }
    }
}
