using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Cascade.Core.Domain;
using Cascade.Storage.Log;

namespace Cascade.Storage.Records;

/// <summary>
/// Encodes domain records as log payloads and back (layouts in docs/formats/event-log.md). Events, the bulk of
/// the log, use a compact binary layout; items and users, which change rarely, are JSON.
/// <code>
/// event payload, version 1:
///   u8 version | str app | str user | str item | str type | u8 flags | i64 timestamp ms
///   [f64 value if flags&amp;1] [str requestId if flags&amp;2] [i32 position if flags&amp;4] [str eventId if flags&amp;8]
///   [str variant if flags&amp;16]   (added within version 1: older payloads never set the flag)
///   [f64 propensity if flags&amp;32]   (added within version 1 after the variant, the same way)
///   str = 7-bit varint byte length + UTF-8
/// </code>
/// </summary>
public static class RecordCodec
{
    private const byte EventVersion = 1;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The idempotency key of an event: its app and client event id.</summary>
    public static string? IdempotencyKey(FeedbackEvent e) => e.EventId is null ? null : string.Concat("e\u0001", e.App, "\u0001", e.EventId);

    /// <summary>Wraps an event as a log entry.</summary>
    public static LogEntry ToEntry(FeedbackEvent e) => new(RecordKind.Event, EncodeEvent(e), IdempotencyKey(e));

    /// <summary>Wraps an item upsert as a log entry.</summary>
    public static LogEntry ToEntry(Item item) => new(RecordKind.ItemUpsert, JsonSerializer.SerializeToUtf8Bytes(item, Json));

    /// <summary>Wraps a user upsert as a log entry.</summary>
    public static LogEntry ToEntry(User user) => new(RecordKind.UserUpsert, JsonSerializer.SerializeToUtf8Bytes(user, Json));

    /// <summary>Wraps "hide this item" as a log entry.</summary>
    public static LogEntry HideEntry(string app, string itemId) => new(RecordKind.ItemHide, JsonSerializer.SerializeToUtf8Bytes(new HideItem(app, itemId), Json));

    /// <summary>Wraps a version of an experiment's definition as a log entry (idempotent on app, id and version).</summary>
    public static LogEntry ToEntry(ExperimentRecord experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return new(RecordKind.Experiment, JsonSerializer.SerializeToUtf8Bytes(experiment, Json),
            string.Concat("x\u0001", experiment.App, "\u0001", experiment.Id, "\u0001", experiment.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>Encodes an event.</summary>
    public static byte[] EncodeEvent(FeedbackEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var w = new ArrayBufferWriter<byte>(64 + 3 * (e.UserId.Length + e.ItemId.Length));
        w.Write([EventVersion]);
        WriteString(w, e.App);
        WriteString(w, e.UserId);
        WriteString(w, e.ItemId);
        WriteString(w, e.Type);
        byte flags = (byte)((e.Value.HasValue ? 1 : 0) | (e.RequestId is null ? 0 : 2) | (e.Position.HasValue ? 4 : 0) | (e.EventId is null ? 0 : 8)
            | (e.Variant is null ? 0 : 16) | (e.Propensity.HasValue ? 32 : 0));
        var head = w.GetSpan(9);
        head[0] = flags;
        BinaryPrimitives.WriteInt64LittleEndian(head[1..], e.TimestampMs);
        w.Advance(9);
        if (e.Value is { } v)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(w.GetSpan(8), v);
            w.Advance(8);
        }
        if (e.RequestId is not null)
        {
            WriteString(w, e.RequestId);
        }
        if (e.Position is { } p)
        {
            BinaryPrimitives.WriteInt32LittleEndian(w.GetSpan(4), p);
            w.Advance(4);
        }
        if (e.EventId is not null)
        {
            WriteString(w, e.EventId);
        }
        if (e.Variant is not null)
        {
            WriteString(w, e.Variant);
        }
        if (e.Propensity is { } propensity)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(w.GetSpan(8), propensity);
            w.Advance(8);
        }
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Decodes an event payload.</summary>
    /// <exception cref="InvalidDataException">The payload is not a valid event.</exception>
    public static FeedbackEvent DecodeEvent(ReadOnlySpan<byte> payload)
    {
        var r = new Reader(payload);
        byte version = r.Byte();
        if (version != EventVersion)
        {
            throw new InvalidDataException($"Event payload version {version} is not supported (this build reads {EventVersion}).");
        }
        string app = r.String(), user = r.String(), item = r.String(), type = r.String();
        byte flags = r.Byte();
        long ts = r.Int64();
        double? value = (flags & 1) != 0 ? BitConverter.Int64BitsToDouble(r.Int64()) : null;
        string? requestId = (flags & 2) != 0 ? r.String() : null;
        int? position = (flags & 4) != 0 ? r.Int32() : null;
        string? eventId = (flags & 8) != 0 ? r.String() : null;
        string? variant = (flags & 16) != 0 ? r.String() : null;
        double? propensity = (flags & 32) != 0 ? BitConverter.Int64BitsToDouble(r.Int64()) : null;
        return new FeedbackEvent(app, eventId, user, item, type, value, ts, requestId, position, variant, propensity);
    }

    /// <summary>Reads the app, user, item, type and timestamp of an event without allocating the optional fields.</summary>
    public static EventHead DecodeEventHead(ReadOnlySpan<byte> payload)
    {
        var r = new Reader(payload);
        if (r.Byte() != EventVersion)
        {
            throw new InvalidDataException("Unsupported event payload version.");
        }
        var app = r.Span();
        var user = r.Span();
        var item = r.Span();
        var type = r.Span();
        byte flags = r.Byte();
        long ts = r.Int64();
        double? value = (flags & 1) != 0 ? BitConverter.Int64BitsToDouble(r.Int64()) : null;
        return new EventHead(app, user, item, type, ts, value);
    }

    /// <summary>Decodes an item upsert.</summary>
    public static Item DecodeItem(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize<Item>(payload, Json) ?? throw new InvalidDataException("Item payload is null.");

    /// <summary>Decodes a user upsert.</summary>
    public static User DecodeUser(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize<User>(payload, Json) ?? throw new InvalidDataException("User payload is null.");

    /// <summary>Decodes an item hide.</summary>
    public static HideItem DecodeHide(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize<HideItem>(payload, Json) ?? throw new InvalidDataException("Hide payload is null.");

    /// <summary>Decodes a version of an experiment's definition.</summary>
    public static ExperimentRecord DecodeExperiment(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize<ExperimentRecord>(payload, Json) ?? throw new InvalidDataException("Experiment payload is null.");

    private static void WriteString(ArrayBufferWriter<byte> w, string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        var span = w.GetSpan(5 + n);
        int p = 0;
        uint v = (uint)n;
        while (v >= 0x80)
        {
            span[p++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[p++] = (byte)v;
        p += Encoding.UTF8.GetBytes(s, span[p..]);
        w.Advance(p);
    }

    /// <summary>The fields of an event needed to build matrices, as UTF-8 spans into the payload.</summary>
    public readonly ref struct EventHead
    {
        internal EventHead(ReadOnlySpan<byte> app, ReadOnlySpan<byte> user, ReadOnlySpan<byte> item, ReadOnlySpan<byte> type, long ts, double? value)
        {
            App = app;
            User = user;
            Item = item;
            Type = type;
            TimestampMs = ts;
            Value = value;
        }

        /// <summary>App, UTF-8.</summary>
        public ReadOnlySpan<byte> App { get; }

        /// <summary>User id, UTF-8.</summary>
        public ReadOnlySpan<byte> User { get; }

        /// <summary>Item id, UTF-8.</summary>
        public ReadOnlySpan<byte> Item { get; }

        /// <summary>Event type, UTF-8.</summary>
        public ReadOnlySpan<byte> Type { get; }

        /// <summary>Unix time in milliseconds.</summary>
        public long TimestampMs { get; }

        /// <summary>The event's value, if any.</summary>
        public double? Value { get; }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public byte Byte()
        {
            Need(1);
            return _data[_pos++];
        }

        public long Int64()
        {
            Need(8);
            long v = BinaryPrimitives.ReadInt64LittleEndian(_data[_pos..]);
            _pos += 8;
            return v;
        }

        public int Int32()
        {
            Need(4);
            int v = BinaryPrimitives.ReadInt32LittleEndian(_data[_pos..]);
            _pos += 4;
            return v;
        }

        public ReadOnlySpan<byte> Span()
        {
            uint n = 0;
            int shift = 0;
            while (true)
            {
                byte b = Byte();
                n |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
                shift += 7;
                if (shift > 28)
                {
                    throw new InvalidDataException("Event payload has a malformed string length.");
                }
            }
            Need((int)Math.Min(n, int.MaxValue));
            var s = _data.Slice(_pos, (int)n);
            _pos += (int)n;
            return s;
        }

        public string String() => Encoding.UTF8.GetString(Span());

        private readonly void Need(int n)
        {
            if (n < 0 || _pos + (long)n > _data.Length)
            {
                throw new InvalidDataException($"Event payload ends at byte {_data.Length}, {n} more needed at {_pos}.");
            }
        }
    }
}

/// <summary>The payload of an item hide.</summary>
/// <param name="App">The app.</param>
/// <param name="ItemId">The item hidden.</param>
public sealed record HideItem(string App, string ItemId);
