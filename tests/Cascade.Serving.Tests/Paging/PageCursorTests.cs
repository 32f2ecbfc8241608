using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Serving.Paging;
using Xunit.Abstractions;

namespace Cascade.Serving.Tests.Paging;

public class PageCursorTests(ITestOutputHelper output)
{
    private const long Now = 1_700_000_000_000;
    private const string Scope = "app/user-1/home";
    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private static PageCursorCodec Codec(byte[]? key = null, IReadOnlyList<byte[]>? previous = null, int maxServed = 1000) =>
        new(new PageCursorOptions(key ?? Key, TimeSpan.FromMinutes(30), previous, MaxServed: maxServed));

    /// <summary>Items i0..i(n-1).</summary>
    private static ItemTable Table(int n) =>
        ItemTable.Build([.. Enumerable.Range(0, n).Select(i => new Item("app", $"i{i}", $"i{i}", [], [], "{}", DateTimeOffset.UnixEpoch, false, null))]);

    private static string Issue(PageCursorCodec codec, int items = 20) =>
        codec.Encode(codec.Start(5).Next(Enumerable.Range(0, items).Select(i => $"item-{i}")), Scope, Now)!;

    [Fact]
    public void A_cursor_round_trips_seed_page_and_served_items()
    {
        var codec = Codec();
        var state = codec.Start(0xDEADBEEFCAFEUL).Next(["a", "b", "c"]).Next(["d", "b"]);
        var back = codec.Decode(codec.Encode(state, Scope, Now)!, Scope, Now + 1000);
        Assert.Equal(0xDEADBEEFCAFEUL, back.Seed);
        Assert.Equal(2, back.Page);
        Assert.Equal(4, back.ServedCount);
        Assert.All(new[] { "a", "b", "c", "d" }, id => Assert.True(back.WasServed(id)));
        Assert.False(back.WasServed("e"));
    }

    [Fact]
    public void A_first_page_cursor_with_nothing_served_round_trips()
    {
        var codec = Codec();
        var back = codec.Decode(codec.Encode(codec.Start(9), Scope, Now)!, Scope, Now);
        Assert.Equal(0, back.ServedCount);
        Assert.Equal(9UL, back.Seed);
    }

    [Fact]
    public void The_cursor_is_url_safe()
    {
        string cursor = Issue(Codec(), 200);
        Assert.All(cursor, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }

    [Fact]
    public void Pages_over_a_changing_ranking_never_repeat_an_item()
    {
        var codec = Codec();
        var table = Table(1000);
        var random = new Random(3);
        string? cursor = null;
        var shown = new List<string>();
        int[] sizes = new int[10];
        for (int page = 0; page < 10; page++)
        {
            var state = cursor is null ? codec.Start(77) : codec.Decode(cursor, Scope, Now + page * 60_000);
            // Every request ranks afresh: scores drift, so earlier pages' items come back near the top.
            var candidates = Enumerable.Range(0, 300).Select(i => new Candidate(i, (float)(1000 - i + random.Next(200)), "t"))
                .OrderByDescending(c => c.Score).ToList();
            state.RemoveServed(candidates, table);
            var served = candidates.Take(20).ToList();
            Assert.Equal(20, served.Count);
            shown.AddRange(served.Select(c => table.Ids[c.Item]));
            cursor = codec.Encode(state.Next(served, table), Scope, Now + page * 60_000);
            Assert.NotNull(cursor);
            sizes[page] = cursor!.Length;
        }
        Assert.Equal(200, shown.Count);
        Assert.Equal(200, shown.Distinct().Count());
        output.WriteLine($"cursor characters after each page of 20: {string.Join(", ", sizes)}");
        // 200 served items at 24 hash bits: ~18.5 bits each, plus 45 bytes of header and signature, in base64.
        Assert.InRange(sizes[9], 400, 700);
    }

    [Fact]
    public void Few_unserved_items_look_served()
    {
        var state = PageState.Start(1).Next(Enumerable.Range(0, 200).Select(i => $"served-{i}"));
        int falsePositives = Enumerable.Range(0, 20_000).Count(i => state.WasServed($"other-{i}"));
        // Expected 20,000 × 200 / 2^24 ≈ 0.24.
        Assert.InRange(falsePositives, 0, 4);
    }

    [Fact]
    public void An_altered_cursor_is_refused_as_a_bad_signature()
    {
        string cursor = Issue(Codec());
        int middle = cursor.Length / 2;
        string altered = cursor[..middle] + (cursor[middle] == 'A' ? 'B' : 'A') + cursor[(middle + 1)..];
        var e = Assert.Throws<PageCursorException>(() => Codec().Decode(altered, Scope, Now));
        Assert.Equal(PageCursorError.InvalidSignature, e.Error);
        Assert.Contains("first page again", e.Message);
    }

    [Fact]
    public void A_cursor_signed_with_another_key_is_refused()
    {
        string cursor = Issue(Codec([.. Enumerable.Repeat((byte)9, 32)]));
        Assert.Equal(PageCursorError.InvalidSignature, Assert.Throws<PageCursorException>(() => Codec().Decode(cursor, Scope, Now)).Error);
    }

    [Fact]
    public void A_cursor_for_another_scope_is_refused()
    {
        string cursor = Issue(Codec());
        Assert.Equal(PageCursorError.InvalidSignature, Assert.Throws<PageCursorException>(() => Codec().Decode(cursor, "app/user-2/home", Now)).Error);
    }

    [Fact]
    public void A_previous_key_still_verifies_during_rotation()
    {
        byte[] old = [.. Enumerable.Repeat((byte)7, 32)];
        string cursor = Issue(Codec(old));
        var rotated = Codec(previous: [old]);
        Assert.Equal(20, rotated.Decode(cursor, Scope, Now).ServedCount);
    }

    [Fact]
    public void An_expired_cursor_is_refused()
    {
        var codec = Codec();
        string cursor = Issue(codec);
        Assert.Equal(20, codec.Decode(cursor, Scope, Now + 29 * 60_000).ServedCount);
        var e = Assert.Throws<PageCursorException>(() => codec.Decode(cursor, Scope, Now + 31 * 60_000));
        Assert.Equal(PageCursorError.Expired, e.Error);
        Assert.Contains("expired", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor!")]
    [InlineData("abc")]
    [InlineData("A")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("cursor=123&page=2")]
    public void Garbage_is_refused_as_malformed_or_unknown_version(string garbage)
    {
        var e = Assert.Throws<PageCursorException>(() => Codec().Decode(garbage, Scope, Now));
        Assert.True(e.Error is PageCursorError.Malformed or PageCursorError.UnsupportedVersion, e.Error.ToString());
    }

    [Fact]
    public void A_future_version_is_refused_by_name()
    {
        var bytes = new byte[60];
        bytes[0] = 9;
        string cursor = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var e = Assert.Throws<PageCursorException>(() => Codec().Decode(cursor, Scope, Now));
        Assert.Equal(PageCursorError.UnsupportedVersion, e.Error);
        Assert.Contains("version 9", e.Message);
    }

    [Fact]
    public void An_overlong_cursor_is_refused_before_decoding()
    {
        var e = Assert.Throws<PageCursorException>(() => Codec().Decode(new string('A', PageCursorCodec.MaxCursorLength + 1), Scope, Now));
        Assert.Equal(PageCursorError.Malformed, e.Error);
    }

    [Fact]
    public void Every_truncation_and_random_mutation_is_refused_with_a_cursor_error()
    {
        var codec = Codec();
        string cursor = Issue(codec, 60);
        for (int length = 0; length < cursor.Length; length++)
        {
            Assert.Throws<PageCursorException>(() => codec.Decode(cursor[..length], Scope, Now));
        }
        var random = new Random(5);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (int round = 0; round < 300; round++)
        {
            var chars = cursor.ToCharArray();
            int position = random.Next(chars.Length);
            char replacement = alphabet[random.Next(alphabet.Length)];
            if (replacement == chars[position] || position == chars.Length - 1)
            {
                continue; // the last character carries padding bits that may not change the bytes
            }
            chars[position] = replacement;
            Assert.Throws<PageCursorException>(() => codec.Decode(new string(chars), Scope, Now));
        }
    }

    [Fact]
    public void A_validly_signed_but_inconsistent_body_is_refused_as_malformed()
    {
        // Bodies a server never writes, signed with the right key: the parser must still refuse them cleanly.
        byte[] Header(params byte[] tail) => [PageCursorCodec.Version, 24, 1, 2, 3, 4, 5, 6, 7, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, .. tail];
        byte[][] bodies =
        [
            Header(0, 5),                 // five served items and no bits
            Header(0, 2, 10, 0xFF),       // unary run past the end
            Header(0, 0, 1, 2),           // trailing bytes
            Header(0, 1, 40, 0),          // Rice parameter 40
            Header(0, 0xE9, 0x07, 4, 0),  // 1001 served items, above MaxServed
            [PageCursorCodec.Version, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xFF, 0x0F, 0, 0], // 8 hash bits
        ];
        var codec = Codec();
        foreach (var body in bodies)
        {
            var bytes = new byte[body.Length + 16];
            body.CopyTo(bytes, 0);
            PageCursorCodec.Sign(Key, Scope, body, bytes.AsSpan(body.Length));
            string cursor = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var e = Assert.Throws<PageCursorException>(() => codec.Decode(cursor, Scope, Now));
            Assert.Equal(PageCursorError.Malformed, e.Error);
        }
    }

    [Fact]
    public void Past_max_served_the_feed_ends_without_a_cursor()
    {
        var codec = Codec(maxServed: 30);
        var state = codec.Start(1).Next(Enumerable.Range(0, 30).Select(i => $"x{i}"));
        Assert.NotNull(codec.Encode(state, Scope, Now));
        Assert.Null(codec.Encode(state.Next(["y"]), Scope, Now));
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        Assert.Contains("at least 16 bytes", Assert.Throws<ArgumentException>(() => new PageCursorCodec(new PageCursorOptions(new byte[8], TimeSpan.FromMinutes(1)))).Message);
        Assert.Contains("Lifetime", Assert.Throws<ArgumentException>(() => new PageCursorCodec(new PageCursorOptions(Key, TimeSpan.Zero))).Message);
        Assert.Contains("HashBits", Assert.Throws<ArgumentException>(() => new PageCursorCodec(new PageCursorOptions(Key, TimeSpan.FromMinutes(1), HashBits: 40))).Message);
        Assert.Contains("MaxServed", Assert.Throws<ArgumentException>(() => new PageCursorCodec(new PageCursorOptions(Key, TimeSpan.FromMinutes(1), MaxServed: 0))).Message);
    }
}
