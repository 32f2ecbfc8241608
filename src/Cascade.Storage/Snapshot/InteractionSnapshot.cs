using System.Text;
using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Storage.Catalog;
using Cascade.Storage.Engine;
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
    /// <summary>Builds the snapshot of <paramref name="app"/> from everything the engine has applied.</summary>
    /// <param name="engine">The engine whose log and ids to read.</param>
    /// <param name="app">The app.</param>
    /// <param name="dropNonPositive">Drop entries whose summed weight is ≤ 0.</param>
    public static InteractionSnapshot Build(CascadeEngine engine, string app = Apps.Default, bool dropNonPositive = true)
    {
        ArgumentNullException.ThrowIfNull(engine);
        long upTo = engine.Log.LastSequence;
        engine.WaitForCatalogAsync(upTo, TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
        var users = engine.Catalog.LoadIds(app, IdKind.User);
        var items = engine.Catalog.LoadIds(app, IdKind.Item);
        var userLookup = Index(users);
        var itemLookup = Index(items);
        var typeLookup = new Dictionary<string, EventType>(StringComparer.Ordinal);
        foreach (var t in engine.EventTypes.All)
        {
            typeLookup[t.Name] = t;
        }
        var userAlt = userLookup.GetAlternateLookup<ReadOnlySpan<char>>();
        var itemAlt = itemLookup.GetAlternateLookup<ReadOnlySpan<char>>();
        var typeAlt = typeLookup.GetAlternateLookup<ReadOnlySpan<char>>();
        byte[] appUtf8 = Encoding.UTF8.GetBytes(app);

        var builder = new CsrMatrixBuilder(1 << 16);
        Span<char> chars = stackalloc char[1024];
        foreach (var record in engine.Log.ReadFrom(1))
        {
            if (record.Sequence > upTo)
            {
                break;
            }
            if (record.Kind != Log.RecordKind.Event)
            {
                continue;
            }
            var head = RecordCodec.DecodeEventHead(record.Payload.Span);
            if (!head.App.SequenceEqual(appUtf8))
            {
                continue;
            }
            if (!typeAlt.TryGetValue(Chars(head.Type, chars), out var type) || type.Role == EventRole.Impression)
            {
                continue; // unknown types were refused at ingestion; a type removed from configuration since is skipped
            }
            float weight = type.WeightOf(head.Value);
            if (!userAlt.TryGetValue(Chars(head.User, chars), out int u) || !itemAlt.TryGetValue(Chars(head.Item, chars), out int i))
            {
                throw new InvalidDataException($"Log record {record.Sequence} names an id the catalog has not interned; run `cascade rebuild`.");
            }
            builder.Add(u, i, weight, head.TimestampMs);
        }
        var matrix = builder.Build(users.Count, items.Count, dropNonPositive);
        return new InteractionSnapshot(matrix, users, items, upTo);
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

    private static Dictionary<string, int> Index(IReadOnlyList<string> ids)
    {
        var map = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
        for (int i = 0; i < ids.Count; i++)
        {
            map[ids[i]] = i;
        }
        return map;
    }
}
