using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Storage.Projections;

/// <summary>
/// Consecutive log records handed to every projection that needs them, with each payload decoded at most once
/// (on first use) however many projections read it. Not thread-safe: the engine's applier thread owns it.
/// </summary>
public sealed class LogBatch
{
    private readonly IReadOnlyList<LogRecord> _records;
    private readonly object?[] _decoded;

    /// <summary>Wraps records read from the log (consecutive, ascending sequences).</summary>
    /// <param name="records">The records.</param>
    /// <param name="logId">The id of the log they were read from (<see cref="EventLog.Id"/>), for <see cref="EndMark"/>.</param>
    public LogBatch(IReadOnlyList<LogRecord> records, uint logId = 0)
    {
        ArgumentNullException.ThrowIfNull(records);
        _records = records;
        _decoded = new object?[records.Count];
        LogId = logId;
    }

    /// <summary>The id of the log the records were read from.</summary>
    public uint LogId { get; }

    /// <summary>
    /// The mark of the batch's last record: what a derived store that applied the batch records about its position,
    /// so a later open can check the log still holds it (<see cref="EventLog.Disagreement"/>). None when empty.
    /// </summary>
    public LogMark EndMark => _records.Count == 0 ? LogMark.None : new LogMark(_records[^1].Sequence, LogId, _records[^1].Checksum);

    /// <summary>How many records.</summary>
    public int Count => _records.Count;

    /// <summary>The sequence of the first record (0 when empty).</summary>
    public long FirstSequence => _records.Count == 0 ? 0 : _records[0].Sequence;

    /// <summary>The sequence of the last record (0 when empty).</summary>
    public long LastSequence => _records.Count == 0 ? 0 : _records[^1].Sequence;

    /// <summary>The raw records (for projections that read event heads without allocating).</summary>
    public IReadOnlyList<LogRecord> Records => _records;

    /// <summary>The index of the first record after <paramref name="sequence"/> (Count when none).</summary>
    /// <param name="sequence">A projection's applied sequence.</param>
    public int StartAfter(long sequence)
    {
        if (_records.Count == 0 || sequence < FirstSequence)
        {
            return 0;
        }
        long offset = sequence - FirstSequence + 1;
        return offset >= _records.Count ? _records.Count : (int)offset;
    }

    /// <summary>Record <paramref name="index"/> decoded as an event.</summary>
    /// <exception cref="InvalidOperationException">The record is not an event.</exception>
    /// <exception cref="InvalidDataException">The payload does not decode.</exception>
    public FeedbackEvent Event(int index) => Decoded(index, RecordKind.Event, static p => RecordCodec.DecodeEvent(p.Span));

    /// <summary>Record <paramref name="index"/> decoded as an item upsert.</summary>
    public Item Item(int index) => Decoded(index, RecordKind.ItemUpsert, static p => RecordCodec.DecodeItem(p.Span));

    /// <summary>Record <paramref name="index"/> decoded as a user upsert.</summary>
    public User User(int index) => Decoded(index, RecordKind.UserUpsert, static p => RecordCodec.DecodeUser(p.Span));

    /// <summary>Record <paramref name="index"/> decoded as an item hide.</summary>
    public HideItem Hide(int index) => Decoded(index, RecordKind.ItemHide, static p => RecordCodec.DecodeHide(p.Span));

    /// <summary>Record <paramref name="index"/> decoded as a version of an experiment's definition.</summary>
    public ExperimentRecord Experiment(int index) => Decoded(index, RecordKind.Experiment, static p => RecordCodec.DecodeExperiment(p.Span));

    private T Decoded<T>(int index, RecordKind kind, Func<ReadOnlyMemory<byte>, T> decode) where T : class
    {
        var record = _records[index];
        if (record.Kind != kind)
        {
            throw new InvalidOperationException($"Log record {record.Sequence} is a {record.Kind}, not a {kind}.");
        }
        if (_decoded[index] is T done)
        {
            return done;
        }
        var value = decode(record.Payload);
        _decoded[index] = value;
        return value;
    }
}
