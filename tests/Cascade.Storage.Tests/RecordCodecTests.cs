using System.Text;
using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Storage.Tests;

public class RecordCodecTests
{
    public static TheoryData<FeedbackEvent> Events => new()
    {
        new FeedbackEvent("default", null, "u1", "i1", "click", null, 1_700_000_000_123, null, null),
        new FeedbackEvent("shop", "evt-42", "user 7", "item/9", "rating", 4.5, 0, "req-1", 3),
        new FeedbackEvent("", "", "", "", "", 0, -1, "", 0),
        new FeedbackEvent("ünïcödé", "ид-события", "用户", "🎬 item", "like", double.MaxValue, long.MaxValue, "r", int.MinValue),
        new FeedbackEvent("a", null, new string('u', 200), new string('i', 20_000), "purchase", -0.25, long.MinValue, null, int.MaxValue),
        new FeedbackEvent("a", "e", "u", "i", "dislike", double.NaN, 5, null, -1),
        new FeedbackEvent("default", null, "u1", "i1", "impression", null, 9, "req", 2, "arm-b:2026.11"),
        new FeedbackEvent("default", "e9", "u1", "i1", "impression", 1.5, 9, null, null, "v"),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void An_event_round_trips_through_its_payload(FeedbackEvent e)
    {
        byte[] payload = RecordCodec.EncodeEvent(e);

        Assert.Equal(e, RecordCodec.DecodeEvent(payload));
    }

    [Theory]
    [MemberData(nameof(Events))]
    public void The_event_head_agrees_with_the_full_decode(FeedbackEvent e)
    {
        byte[] payload = RecordCodec.EncodeEvent(e);

        var head = RecordCodec.DecodeEventHead(payload);

        Assert.Equal(e.App, Encoding.UTF8.GetString(head.App));
        Assert.Equal(e.UserId, Encoding.UTF8.GetString(head.User));
        Assert.Equal(e.ItemId, Encoding.UTF8.GetString(head.Item));
        Assert.Equal(e.Type, Encoding.UTF8.GetString(head.Type));
        Assert.Equal(e.TimestampMs, head.TimestampMs);
        Assert.Equal(e.Value, head.Value);
    }

    [Fact]
    public void The_version_1_event_layout_is_pinned_byte_for_byte()
    {
        // Logs written today must stay readable: this is the documented layout of docs/formats/event-log.md.
        var e = new FeedbackEvent("ab", "x", "u", "i", "click", 2.0, 0x0102030405060708, "r", 7);
        byte[] expected =
        [
            1,                                  // payload version
            2, (byte)'a', (byte)'b',            // app
            1, (byte)'u',                       // user
            1, (byte)'i',                       // item
            5, (byte)'c', (byte)'l', (byte)'i', (byte)'c', (byte)'k', // type
            0b1111,                             // flags: value, requestId, position, eventId
            8, 7, 6, 5, 4, 3, 2, 1,             // timestamp, i64 little-endian
            0, 0, 0, 0, 0, 0, 0, 0x40,          // value 2.0, f64 little-endian
            1, (byte)'r',                       // requestId
            7, 0, 0, 0,                         // position, i32 little-endian
            1, (byte)'x',                       // eventId
        ];

        Assert.Equal(expected, RecordCodec.EncodeEvent(e));
        Assert.Equal(e, RecordCodec.DecodeEvent(expected));
    }

    [Fact]
    public void A_variant_is_the_last_field_under_flag_16_and_payloads_without_it_read_as_before()
    {
        var without = new FeedbackEvent("ab", "x", "u", "i", "click", 2.0, 0x0102030405060708, "r", 7);
        var with = without with { Variant = "b" };
        byte[] old = RecordCodec.EncodeEvent(without);
        byte[] payload = RecordCodec.EncodeEvent(with);

        Assert.Equal(0b1_1111, payload[14]); // flags after version, app, user, item, type
        Assert.Equal([.. old[..14], (byte)0b1_1111, .. old[15..], (byte)1, (byte)'b'], payload);
        Assert.Equal(with, RecordCodec.DecodeEvent(payload));
        Assert.Null(RecordCodec.DecodeEvent(old).Variant);
    }

    [Fact]
    public void A_propensity_follows_the_variant_as_an_f64_under_flag_32_and_older_payloads_read_without_it()
    {
        var variantOnly = new FeedbackEvent("ab", null, "u", "i", "impression", 0.5, 1_700_000_000_000, "r", 3, "b");
        var with = variantOnly with { Propensity = 0.0375 };
        byte[] old = RecordCodec.EncodeEvent(variantOnly);
        byte[] payload = RecordCodec.EncodeEvent(with);

        const int Flags = 19; // after version, app, user, item and type
        Assert.Equal(0b01_0111, old[Flags]);
        Assert.Equal(0b11_0111, payload[Flags]);
        Assert.Equal([.. old[..Flags], (byte)0b11_0111, .. old[(Flags + 1)..], .. BitConverter.GetBytes(0.0375)], payload);
        Assert.Equal(with, RecordCodec.DecodeEvent(payload));
        Assert.Null(RecordCodec.DecodeEvent(old).Propensity);
        // Without a variant the propensity still comes last, and a deterministic list's 1 round-trips.
        var bare = new FeedbackEvent("ab", null, "u", "i", "impression", null, 5, "r", 0, Propensity: 1);
        Assert.Equal(bare, RecordCodec.DecodeEvent(RecordCodec.EncodeEvent(bare)));
    }

    [Theory]
    [InlineData("default", true)]
    [InlineData("arm-B_2.v1:x", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("has space", false)]
    [InlineData("é", false)]
    public void Variant_names_are_short_ascii_tokens(string? variant, bool valid)
    {
        Assert.Equal(valid, FeedbackEvent.IsValidVariant(variant));
        Assert.True(FeedbackEvent.IsValidVariant(new string('v', FeedbackEvent.MaxVariantLength)));
        Assert.False(FeedbackEvent.IsValidVariant(new string('v', FeedbackEvent.MaxVariantLength + 1)));
    }

    [Fact]
    public void String_lengths_use_a_7_bit_varint()
    {
        var e = new FeedbackEvent("a", null, new string('u', 300), "i", "t", null, 0, null, null);

        byte[] payload = RecordCodec.EncodeEvent(e);

        // 300 = 0b10_0101100 → 0xAC 0x02
        Assert.Equal(0xAC, payload[3]);
        Assert.Equal(0x02, payload[4]);
        Assert.Equal(e, RecordCodec.DecodeEvent(payload));
    }

    [Fact]
    public void A_payload_cut_short_at_any_byte_is_refused_as_invalid_data()
    {
        var e = new FeedbackEvent("shop", "evt-42", "user 7", "item/9", "rating", 4.5, 99, "req-1", 3);
        byte[] payload = RecordCodec.EncodeEvent(e);

        for (int length = 0; length < payload.Length; length++)
        {
            byte[] cut = payload[..length];
            Assert.Throws<InvalidDataException>(() => RecordCodec.DecodeEvent(cut));
        }
    }

    [Fact]
    public void An_unknown_payload_version_is_refused_with_the_version()
    {
        byte[] payload = RecordCodec.EncodeEvent(new FeedbackEvent("a", null, "u", "i", "click", null, 0, null, null));
        payload[0] = 9;

        var ex = Assert.Throws<InvalidDataException>(() => RecordCodec.DecodeEvent(payload));
        Assert.Contains("9", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => RecordCodec.DecodeEventHead(payload));
    }

    [Fact]
    public void A_malformed_or_huge_string_length_is_refused()
    {
        byte[] endless = [1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80];
        byte[] huge = [1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, (byte)'a'];

        Assert.Throws<InvalidDataException>(() => RecordCodec.DecodeEvent(endless));
        Assert.Throws<InvalidDataException>(() => RecordCodec.DecodeEvent(huge));
    }

    [Fact]
    public void The_idempotency_key_is_scoped_by_app_and_absent_without_an_event_id()
    {
        var e = new FeedbackEvent("a", "id-1", "u", "i", "click", null, 0, null, null);

        Assert.Null(RecordCodec.IdempotencyKey(e with { EventId = null }));
        Assert.Equal(RecordCodec.IdempotencyKey(e), RecordCodec.IdempotencyKey(e with { UserId = "other", TimestampMs = 5 }));
        Assert.NotEqual(RecordCodec.IdempotencyKey(e), RecordCodec.IdempotencyKey(e with { App = "b" }));
        Assert.NotEqual(RecordCodec.IdempotencyKey(e), RecordCodec.IdempotencyKey(e with { EventId = "id-2" }));
        Assert.NotEqual(RecordCodec.IdempotencyKey(e with { App = "ab", EventId = "c" }), RecordCodec.IdempotencyKey(e with { App = "a", EventId = "bc" }));
    }

    [Fact]
    public void Entries_carry_the_kind_and_the_key()
    {
        var e = new FeedbackEvent("a", "id-1", "u", "i", "click", null, 0, null, null);

        var entry = RecordCodec.ToEntry(e);

        Assert.Equal(RecordKind.Event, entry.Kind);
        Assert.Equal(RecordCodec.IdempotencyKey(e), entry.IdempotencyKey);
        Assert.Equal(e, RecordCodec.DecodeEvent(entry.Payload.Span));
        Assert.Null(RecordCodec.ToEntry(e with { EventId = null }).IdempotencyKey);
    }

    [Fact]
    public void An_item_upsert_round_trips_with_every_field()
    {
        var item = new Item("shop", "sku-1", "Title ✓", ["books", "sci-fi"], ["new", "signed"], """{"price":12.5,"lang":"en"}""",
            new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), Hidden: true, new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.FromHours(2)));

        var entry = RecordCodec.ToEntry(item);
        var back = RecordCodec.DecodeItem(entry.Payload.Span);

        Assert.Equal(RecordKind.ItemUpsert, entry.Kind);
        Assert.Null(entry.IdempotencyKey);
        CatalogAssert.SameItem(item, back);
        Assert.Equal(item.ExpiresAt!.Value.Offset, back.ExpiresAt!.Value.Offset);
    }

    [Fact]
    public void A_user_upsert_and_an_item_hide_round_trip()
    {
        var user = new User("shop", "u-1", """{"age":33}""");

        var userEntry = RecordCodec.ToEntry(user);
        var hideEntry = RecordCodec.HideEntry("shop", "sku-9");

        Assert.Equal(RecordKind.UserUpsert, userEntry.Kind);
        Assert.Equal(user, RecordCodec.DecodeUser(userEntry.Payload.Span));
        Assert.Equal(RecordKind.ItemHide, hideEntry.Kind);
        Assert.Equal(new HideItem("shop", "sku-9"), RecordCodec.DecodeHide(hideEntry.Payload.Span));
    }

    [Fact]
    public void A_null_json_payload_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => RecordCodec.DecodeItem("null"u8));
        Assert.Throws<InvalidDataException>(() => RecordCodec.DecodeUser("null"u8));
        Assert.Throws<InvalidDataException>(() => RecordCodec.DecodeHide("null"u8));
    }
}
