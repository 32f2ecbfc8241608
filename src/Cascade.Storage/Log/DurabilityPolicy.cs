using Cascade.Core;

namespace Cascade.Storage.Log;

/// <summary>When the event log forces written records to stable storage (fsync).</summary>
public enum DurabilityMode
{
    /// <summary>Every group commit is fsync'd before any of its writes is acknowledged.</summary>
    EveryBatch = 0,

    /// <summary>Writes are acknowledged once handed to the operating system; an fsync runs every <see cref="EventLogOptions.FsyncIntervalMs"/>.</summary>
    Interval = 1,

    /// <summary>Writes are acknowledged once handed to the operating system; the log never calls fsync (the OS writes back on its own schedule).</summary>
    Off = 2,
}

/// <summary>Options of an <see cref="EventLog"/>. Defaults are the safe ones.</summary>
public sealed record EventLogOptions
{
    /// <summary>When records reach stable storage. Default: <see cref="DurabilityMode.EveryBatch"/>.</summary>
    public DurabilityMode Durability { get; init; } = DurabilityMode.EveryBatch;

    /// <summary>With <see cref="DurabilityMode.Interval"/>, the longest time between fsyncs. Default 50 ms.</summary>
    public int FsyncIntervalMs { get; init; } = 50;

    /// <summary>A segment is sealed and a new one started once it reaches this size. Default 64 MiB.</summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>The largest group commit, in bytes, the writer gathers before writing. Default 4 MiB.</summary>
    public int MaxBatchBytes { get; init; } = 4 << 20;

    /// <summary>Checks the options and returns them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public EventLogOptions Validate()
    {
        Guard.Defined(Durability);
        Guard.InRange(FsyncIntervalMs, 1, 60_000);
        Guard.AtLeast(SegmentBytes, 1 << 16);
        Guard.AtLeast(MaxBatchBytes, 1 << 12);
        return this;
    }
}
