using System.Globalization;
using System.Text;
using Cascade.Storage.Log;

namespace Cascade.Storage.Engine;

/// <summary>A derived store whose recorded log position the log does not hold.</summary>
/// <param name="Store">The store: <c>catalog</c>, or the checkpoint's file name (e.g. <c>interactions.ckpt</c>).</param>
/// <param name="Path">Its file.</param>
/// <param name="Mark">What it recorded about the last record it applied.</param>
/// <param name="Reason">Why the log disagrees, in one sentence.</param>
public sealed record StoreMismatch(string Store, string Path, LogMark Mark, string Reason);

/// <summary>
/// How a data folder's log compares with its derived stores (<see cref="CascadeEngine.Inspect"/>, and what
/// <see cref="LogMismatchException"/> carries).
/// </summary>
/// <param name="DataDirectory">The data folder.</param>
/// <param name="LogLastSequence">The log's last sequence after opening it.</param>
/// <param name="LogId">The log's id.</param>
/// <param name="LogRecovery">What opening the log repaired (a torn tail).</param>
/// <param name="Mismatches">The stores the log disagrees with (empty: the folder opens).</param>
/// <param name="RecordsLost">Records the stores saw that the log no longer has (beyond its end), or, for a replaced log, the records derived from the other log.</param>
/// <param name="EventsLost">Events in the catalog that accepting the log as it is would drop.</param>
public sealed record DataFolderCheck(string DataDirectory, long LogLastSequence, uint LogId, RecoveryReport LogRecovery,
    IReadOnlyList<StoreMismatch> Mismatches, long RecordsLost, long EventsLost)
{
    /// <summary>Whether the log holds what every derived store was built from.</summary>
    public bool Agrees => Mismatches.Count == 0;

    /// <summary>The mismatches, one line each.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var m in Mismatches)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - {m.Store} ('{m.Path}'): {m.Reason}.\n");
        }
        return text.ToString();
    }
}

/// <summary>
/// The event log does not hold what the derived stores were built from (it was cut shorter, emptied, or replaced
/// while the engine was down), so the data folder is not opened and nothing is changed. The operator restores the
/// log, or accepts it as it is with <c>cascade recover</c>.
/// </summary>
public sealed class LogMismatchException : IOException
{
    /// <summary>Creates the exception for <paramref name="check"/>.</summary>
    public LogMismatchException(DataFolderCheck check) : base(Describe(check))
    {
        ArgumentNullException.ThrowIfNull(check);
        Check = check;
    }

    /// <summary>Creates the exception with a message.</summary>
    public LogMismatchException() : base("The event log does not hold what the derived stores were built from.") { }

    /// <summary>Creates the exception with a message.</summary>
    public LogMismatchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public LogMismatchException(string message, Exception inner) : base(message, inner) { }

    /// <summary>What was found.</summary>
    public DataFolderCheck? Check { get; }

    private static string Describe(DataFolderCheck check) => string.Create(CultureInfo.InvariantCulture,
        $"The event log in '{Path.Combine(check.DataDirectory, "log")}' (log {check.LogId:x8}, ending at sequence {check.LogLastSequence}) does not hold what the derived stores were built from, so the data folder is not opened and the derived stores were not changed:\n") +
        check.Describe() +
        (check.LogRecovery.Repaired ? $"Opening the log {check.LogRecovery.Describe()}.\n" : "") +
        string.Create(CultureInfo.InvariantCulture,
        $"Accepting the log as it is would lose {check.RecordsLost} log record(s) ({check.EventsLost} event(s) in the catalog). The log was probably truncated, deleted, zero-filled or replaced while Cascade was down. " +
        $"Restore the log from a backup, or run `cascade recover --data-dir {check.DataDirectory}` to review what accepting it means and, with --yes, rebuild the derived stores from it (docs/guarantees.md).");
}

/// <summary>A repair made when the data folder was opened: hosts log it at Warning level and /health/ready lists it.</summary>
/// <param name="Kind"><c>log-torn-tail</c>, <c>log-segment-removed</c> or <c>derived-stores-rebuilt</c>.</param>
/// <param name="Detail">What was done, in one sentence.</param>
/// <param name="RecordsLost">Log records known to be lost (records a derived store had applied that the log no longer has).</param>
/// <param name="EventsLost">Events known to be lost (in the catalog, not in the log).</param>
/// <param name="BytesDropped">Bytes removed from the log.</param>
/// <param name="At">When.</param>
public sealed record EngineRepair(string Kind, string Detail, long RecordsLost, long EventsLost, long BytesDropped, DateTimeOffset At);
