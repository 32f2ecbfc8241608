using System.Globalization;

namespace Cascade.Storage.Log;

/// <summary>
/// A position in one particular event log: what a derived store (the catalog, a projection's checkpoint) records
/// about the last record it applied, so that opening the data folder can tell whether the log still holds that
/// record — the same record — or was cut shorter, emptied or replaced since. Layout and rules in
/// docs/formats/log-identity.md.
/// </summary>
/// <param name="Sequence">The sequence of the last record applied (0: nothing applied; any log is then acceptable).</param>
/// <param name="LogId">The id of the log (<see cref="EventLog.Id"/>) the record was read from.</param>
/// <param name="Checksum">The CRC-32C stored with that record (<see cref="LogRecord.Checksum"/>).</param>
public readonly record struct LogMark(long Sequence, uint LogId, uint Checksum)
{
    /// <summary>The mark of a store that applied nothing.</summary>
    public static LogMark None => default;

    /// <summary>"sequence S of log L (record CRC C)", for messages.</summary>
    public override string ToString() => Sequence == 0
        ? "nothing applied"
        : string.Create(CultureInfo.InvariantCulture, $"sequence {Sequence} of log {LogId:x8} (record CRC-32C {Checksum:x8})");
}
