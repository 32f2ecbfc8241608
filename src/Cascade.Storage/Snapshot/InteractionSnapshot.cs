using System.Text;
using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Storage.Snapshot;

/// <summary>
/// A training snapshot of one app: the user × item interaction matrix built from the event log up to a
/// sequence, with the persisted dense ids of its rows and columns. Each entry sums the weights of the user's
/// events on the item (by event type; a rating weighs its value) and keeps the latest timestamp; impressions
/// carry no weight and do not create entries.
/// </summary>
/// <param name="Matrix">Users × items.</param>
/// <param name="UserIds">External id of each row.</param>
/// <param name="ItemIds">External id of each column.</param>
/// <param name="Sequence">The newest log record included.</param>
public sealed record InteractionSnapshot(CsrMatrix Matrix, IReadOnlyList<string> UserIds, IReadOnlyList<string> ItemIds, long Sequence)
{
    /// <summary>Builds the snapshot of <paramref name="app"/> from everything in the engine's log.</summary>
    /// <param name="engine">The engine whose log to read.</param>
    /// <param name="app">The app.</param>
    /// <param name="dropNonPositive">Drop entries whose summed weight is ≤ 0.</param>
    public static InteractionSnapshot Build(CascadeEngine engine, string app = Apps.Default, bool dropNonPositive = true)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return Build(engine.Log, engine.EventTypes, app, engine.Log.LastSequence, dropNonPositive);
    }

    /// <summary>
    /// Builds the snapshot of <paramref name="app"/> from the log records up to <paramref name="upTo"/>. Dense ids
    /// follow the catalog's rule (order of first appearance in the log, events and upserts alike), so they equal
    /// the persisted ids without waiting for the catalog to catch up.
    /// </summary>
    public static InteractionSnapshot Build(EventLog log, EventTypeRegistry types, string app, long upTo, bool dropNonPositive = true)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(types);
        var users = new IdInterner();
        var items = new IdInterner();
        var typeLookup = new Dictionary<string, EventType>(StringComparer.Ordinal);
        foreach (var t in types.All)
        {
            typeLookup[t.Name] = t;
        }
        var typeAlt = typeLookup.GetAlternateLookup<ReadOnlySpan<char>>();
        byte[] appUtf8 = Encoding.UTF8.GetBytes(app);

        var builder = new CsrMatrixBuilder(1 << 16);
        Span<char> chars = stackalloc char[1024];
        foreach (var record in log.ReadFrom(1))
        {
            if (record.Sequence > upTo)
            {
                break;
            }
            switch (record.Kind)
            {
                case RecordKind.Event:
                    var head = RecordCodec.DecodeEventHead(record.Payload.Span);
                    if (!head.App.SequenceEqual(appUtf8))
                    {
                        continue;
                    }
                    int u = users.GetOrAdd(Chars(head.User, chars));
                    int i = items.GetOrAdd(Chars(head.Item, chars));
                    if (!typeAlt.TryGetValue(Chars(head.Type, chars), out var type) || type.Role == EventRole.Impression)
                    {
                        continue; // unknown types were refused at ingestion; a type removed from configuration since is skipped
                    }
                    builder.Add(u, i, type.WeightOf(head.Value), head.TimestampMs);
                    break;
                case RecordKind.ItemUpsert:
                    var item = RecordCodec.DecodeItem(record.Payload.Span);
                    if (item.App == app)
                    {
                        items.GetOrAdd(item.Id);
                    }
                    break;
                case RecordKind.UserUpsert:
                    var user = RecordCodec.DecodeUser(record.Payload.Span);
                    if (user.App == app)
                    {
                        users.GetOrAdd(user.Id);
                    }
                    break;
                default:
                    break;
            }
        }
        var matrix = builder.Build(users.Count, items.Count, dropNonPositive);
        return new InteractionSnapshot(matrix, users.ToArray(), items.ToArray(), upTo);
    }

    private static ReadOnlySpan<char> Chars(ReadOnlySpan<byte> utf8, Span<char> buffer)
    {
        if (utf8.Length > buffer.Length)
        {
            return Encoding.UTF8.GetString(utf8);
        }
        int n = Encoding.UTF8.GetChars(utf8, buffer);
        return buffer[..n];
    }
}
