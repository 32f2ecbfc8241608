namespace Cascade.Storage.Projections;

/// <summary>
/// A store derived from the event log (the catalog, the request path's recent changes, the online feature store,
/// the training interactions, …). The engine feeds every attached projection the log's records in order, from one
/// reader, each record decoded at most once (<see cref="LogBatch"/>); a projection only says how far it got.
/// </summary>
/// <remarks>
/// <see cref="Apply"/> is called by the engine's single applier thread, never concurrently with itself. A batch may
/// start at or below <see cref="AppliedSequence"/> (several projections share one read): skip those records. An
/// exception stops this projection only (the engine reports it in <see cref="ProjectionStatus.Fault"/> and fails its
/// waiters); the log still holds every record, so a restart or a rebuild applies them again.
/// </remarks>
public interface ILogProjection
{
    /// <summary>A short stable name for status, logs and metrics (e.g. <c>catalog</c>).</summary>
    string Name { get; }

    /// <summary>The sequence of the newest log record applied (0 before any; the start floor for a projection that skips the past).</summary>
    long AppliedSequence { get; }

    /// <summary>
    /// True while the projection cannot take a batch without making the applier wait — e.g. while it writes its
    /// checkpoint. The applier then passes it by (its waiters keep waiting) and serves the others, so a slow
    /// checkpoint of one projection never holds up the catalog and the writes that wait for it. It rejoins when it
    /// is free, from where it stopped. Default: never busy.
    /// </summary>
    bool Busy => false;

    /// <summary>
    /// Applies the batch's records after <see cref="AppliedSequence"/>, in order, and advances it to the batch's last.
    /// A projection that turned <see cref="Busy"/> may return having applied nothing; the applier offers the records again.
    /// </summary>
    /// <param name="batch">Consecutive log records.</param>
    void Apply(LogBatch batch);
}
