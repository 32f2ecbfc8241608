namespace Cascade.Storage.Log;

/// <summary>The kind of a log record; the payload's encoding depends on it.</summary>
public enum RecordKind : byte
{
    /// <summary>A feedback event.</summary>
    Event = 1,

    /// <summary>An item created or replaced.</summary>
    ItemUpsert = 2,

    /// <summary>A user created or replaced.</summary>
    UserUpsert = 3,

    /// <summary>An item hidden.</summary>
    ItemHide = 4,

    /// <summary>A version of an online experiment's definition (JSON).</summary>
    Experiment = 5,
}

/// <summary>A record to append: its kind, payload and optional idempotency key.</summary>
/// <param name="Kind">The record kind.</param>
/// <param name="Payload">The encoded payload.</param>
/// <param name="IdempotencyKey">When set (non-empty), a second record with the same key is acknowledged but not stored.</param>
public readonly record struct LogEntry(RecordKind Kind, ReadOnlyMemory<byte> Payload, string? IdempotencyKey = null);

/// <summary>A record read back from the log.</summary>
/// <param name="Sequence">Its position in the log: 1, 2, 3, … without gaps.</param>
/// <param name="Kind">The record kind.</param>
/// <param name="Payload">The payload (valid until the reader moves on unless copied).</param>
/// <param name="Checksum">The CRC-32C stored with the record (of its body: sequence, kind, key and payload); 0 for a record not read from a log.</param>
public readonly record struct LogRecord(long Sequence, RecordKind Kind, ReadOnlyMemory<byte> Payload, uint Checksum = 0);

/// <summary>The outcome of one appended entry.</summary>
/// <param name="Sequence">The record's sequence, or that of the earlier record with the same idempotency key.</param>
/// <param name="Duplicate">True when the key was seen before and nothing new was stored.</param>
public readonly record struct AppendResult(long Sequence, bool Duplicate);
