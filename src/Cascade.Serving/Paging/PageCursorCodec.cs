using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Cascade.Serving.Paging;

/// <summary>
/// Turns a <see cref="PageState"/> into an opaque, URL-safe, signed, expiring cursor string and back. Stateless: the
/// cursor carries everything, so any serving node that holds the key can continue any feed.
/// </summary>
/// <remarks>
/// Cursor layout, version 1 (base64url without padding of these bytes):
/// <code>
/// offset  size  field
/// 0       1     format version = 1
/// 1       1     hash bits B (16..32)
/// 2       8     session seed, little-endian
/// 10      var   expiry, Unix seconds (LEB128)
/// ..      var   pages served (LEB128)
/// ..      var   n = served item hashes (LEB128)
/// ..      1     Rice parameter k (present when n > 0)
/// ..      var   the n sorted B-bit hashes as gaps (first hash, then hash[i] − hash[i−1] − 1), each Rice-coded:
///               quotient in unary (1s ended by a 0), then k low bits, most significant bit first, 0-padded to a byte
/// end−16  16    HMAC-SHA256(key, "cascade-cursor/1" 0x00 UTF-8(scope) 0x00 bytes[0 .. end−16]), first 16 bytes
/// </code>
/// The scope (the API passes app, user and query) is signed but not stored, so a cursor only works for the request
/// it continues. The signature is checked before the body is parsed.
/// </remarks>
public sealed class PageCursorCodec
{
    /// <summary>The cursor format version this build writes.</summary>
    public const byte Version = 1;

    /// <summary>Fewest hash bits.</summary>
    public const int MinHashBits = 16;

    /// <summary>Most hash bits.</summary>
    public const int MaxHashBits = 32;

    /// <summary>Longest cursor string accepted, in characters.</summary>
    public const int MaxCursorLength = 16 * 1024;

    private const int TagBytes = 16;
    private const int MinBytes = 2 + 8 + 3 + TagBytes;
    private static readonly byte[] Domain = Encoding.UTF8.GetBytes("cascade-cursor/1");
    private readonly PageCursorOptions _options;

    /// <summary>Creates the codec.</summary>
    /// <param name="options">Key, lifetime and limits.</param>
    /// <exception cref="ArgumentException">A key is too short, or an option is out of range.</exception>
    public PageCursorCodec(PageCursorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Key is null || options.Key.Length < 16)
        {
            throw new ArgumentException($"The cursor Key must have at least 16 bytes (32 random bytes recommended); got {options.Key?.Length ?? 0}.", nameof(options));
        }
        for (int i = 0; options.PreviousKeys is not null && i < options.PreviousKeys.Count; i++)
        {
            if (options.PreviousKeys[i] is not { Length: >= 16 })
            {
                throw new ArgumentException($"Previous cursor key {i} must have at least 16 bytes.", nameof(options));
            }
        }
        if (options.Lifetime < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"Cursor Lifetime must be at least one second; got {options.Lifetime}.", nameof(options));
        }
        if (options.HashBits is < MinHashBits or > MaxHashBits)
        {
            throw new ArgumentException($"Cursor HashBits must be {MinHashBits} to {MaxHashBits}; got {options.HashBits}.", nameof(options));
        }
        if (options.MaxServed < 1)
        {
            throw new ArgumentException($"Cursor MaxServed must be at least 1; got {options.MaxServed}.", nameof(options));
        }
        _options = options;
    }

    /// <summary>The options in force.</summary>
    public PageCursorOptions Options => _options;

    /// <summary>The state of a new feed (no cursor in the request).</summary>
    /// <param name="seed">Session seed, typically the first request's seed.</param>
    public PageState Start(ulong seed) => PageState.Start(seed, _options.HashBits);

    /// <summary>Signs <paramref name="state"/> into a cursor for the next page.</summary>
    /// <param name="state">The state after the page just served.</param>
    /// <param name="scope">What the cursor is bound to, e.g. "app/user/query"; decoding must pass the same scope.</param>
    /// <param name="nowMs">Now, Unix milliseconds; the cursor expires <see cref="PageCursorOptions.Lifetime"/> later.</param>
    /// <returns>The cursor, or null when the state has served more than <see cref="PageCursorOptions.MaxServed"/> items (the feed ends).</returns>
    public string? Encode(PageState state, string scope, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(scope);
        if (state.ServedCount > _options.MaxServed)
        {
            return null;
        }
        var served = state.Served;
        var body = new List<byte>(32 + served.Length * 3) { Version, (byte)state.HashBits };
        Span<byte> seed = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(seed, state.Seed);
        foreach (byte b in seed)
        {
            body.Add(b);
        }
        long expires = (nowMs + (long)_options.Lifetime.TotalMilliseconds) / 1000;
        WriteVarint(body, (ulong)Math.Max(0, expires));
        WriteVarint(body, (ulong)state.Page);
        WriteVarint(body, (ulong)served.Length);
        if (served.Length > 0)
        {
            double meanGap = Math.Pow(2, state.HashBits) / (served.Length + 1);
            int k = Math.Clamp((int)Math.Floor(Math.Log2(Math.Max(1, meanGap))), 0, 31);
            body.Add((byte)k);
            var bits = new BitWriter(body);
            ulong previous = 0;
            for (int i = 0; i < served.Length; i++)
            {
                ulong gap = i == 0 ? served[0] : served[i] - previous - 1;
                previous = served[i];
                bits.WriteRice(gap, k);
            }
            bits.Flush();
        }
        var bytes = new byte[body.Count + TagBytes];
        body.CopyTo(bytes);
        Sign(_options.Key, scope, bytes.AsSpan(0, body.Count), bytes.AsSpan(body.Count));
        return Base64Url(bytes);
    }

    /// <summary>Verifies and reads a cursor.</summary>
    /// <param name="cursor">The cursor from the request.</param>
    /// <param name="scope">The same scope it was encoded with.</param>
    /// <param name="nowMs">Now, Unix milliseconds.</param>
    /// <exception cref="PageCursorException">The cursor is malformed, of an unknown version, forged or altered, for another scope, or expired.</exception>
    public PageState Decode(string cursor, string scope, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (string.IsNullOrEmpty(cursor))
        {
            throw Malformed("is empty");
        }
        if (cursor.Length > MaxCursorLength)
        {
            throw Malformed($"has {cursor.Length} characters; the most is {MaxCursorLength}");
        }
        byte[] bytes = FromBase64Url(cursor) ?? throw Malformed("is not base64url text");
        if (bytes.Length < MinBytes)
        {
            throw Malformed($"has {bytes.Length} bytes; a cursor has at least {MinBytes}");
        }
        if (bytes[0] != Version)
        {
            throw new PageCursorException(PageCursorError.UnsupportedVersion,
                $"The page cursor has format version {bytes[0]}; this server reads version {Version}. Request the first page again without a cursor.");
        }
        var body = bytes.AsSpan(0, bytes.Length - TagBytes);
        var tag = bytes.AsSpan(bytes.Length - TagBytes);
        if (!Verify(scope, body, tag))
        {
            throw new PageCursorException(PageCursorError.InvalidSignature,
                "The page cursor's signature does not match: it was altered, forged, signed with a retired key, or issued for another user or query. Request the first page again without a cursor.");
        }
        return Parse(body, nowMs);
    }

    /// <summary>Like <see cref="Decode"/>, without throwing.</summary>
    /// <param name="cursor">The cursor from the request.</param>
    /// <param name="scope">The same scope it was encoded with.</param>
    /// <param name="nowMs">Now, Unix milliseconds.</param>
    /// <param name="state">The state when valid.</param>
    /// <param name="error">Why not, when invalid.</param>
    public bool TryDecode(string cursor, string scope, long nowMs, out PageState? state, out PageCursorException? error)
    {
        try
        {
            state = Decode(cursor, scope, nowMs);
            error = null;
            return true;
        }
        catch (PageCursorException e)
        {
            state = null;
            error = e;
            return false;
        }
    }

    private PageState Parse(ReadOnlySpan<byte> body, long nowMs)
    {
        int hashBits = body[1];
        if (hashBits is < MinHashBits or > MaxHashBits)
        {
            throw Malformed($"has {hashBits} hash bits");
        }
        ulong seed = BinaryPrimitives.ReadUInt64LittleEndian(body[2..]);
        int at = 10;
        ulong expires = ReadVarint(body, ref at);
        ulong page = ReadVarint(body, ref at);
        ulong n = ReadVarint(body, ref at);
        if (expires > long.MaxValue / 1000 || (long)expires * 1000 <= nowMs)
        {
            throw new PageCursorException(PageCursorError.Expired,
                $"The page cursor expired at {DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(expires, 253402300799UL)):u}. Request the first page again without a cursor.");
        }
        if (page > int.MaxValue || n > (ulong)_options.MaxServed || n > 1UL << hashBits)
        {
            throw Malformed($"claims {page} pages and {n} served items");
        }
        var served = new uint[(int)n];
        if (n > 0)
        {
            if (at >= body.Length)
            {
                throw Malformed("ends before its served items");
            }
            int k = body[at++];
            if (k > 31)
            {
                throw Malformed($"has Rice parameter {k}");
            }
            var bits = new BitReader(body[at..]);
            ulong limit = 1UL << hashBits;
            ulong value = 0;
            for (int i = 0; i < served.Length; i++)
            {
                ulong gap = bits.ReadRice(k, limit) ?? throw Malformed("has a truncated or oversized served-item set");
                value = i == 0 ? gap : value + gap + 1;
                if (value >= limit)
                {
                    throw Malformed("has a served-item hash out of range");
                }
                served[i] = (uint)value;
            }
            at += bits.BytesUsed;
        }
        if (at != body.Length)
        {
            throw Malformed($"has {body.Length - at} unread bytes");
        }
        return new PageState(seed, (int)page, hashBits, served);
    }

    private bool Verify(string scope, ReadOnlySpan<byte> body, ReadOnlySpan<byte> tag)
    {
        Span<byte> expected = stackalloc byte[TagBytes];
        Sign(_options.Key, scope, body, expected);
        bool ok = CryptographicOperations.FixedTimeEquals(expected, tag);
        for (int i = 0; !ok && _options.PreviousKeys is not null && i < _options.PreviousKeys.Count; i++)
        {
            Sign(_options.PreviousKeys[i], scope, body, expected);
            ok = CryptographicOperations.FixedTimeEquals(expected, tag);
        }
        return ok;
    }

    internal static void Sign(byte[] key, string scope, ReadOnlySpan<byte> body, Span<byte> tag)
    {
        int scopeBytes = Encoding.UTF8.GetByteCount(scope);
        var message = new byte[Domain.Length + 1 + scopeBytes + 1 + body.Length];
        Domain.CopyTo(message, 0);
        Encoding.UTF8.GetBytes(scope, message.AsSpan(Domain.Length + 1));
        body.CopyTo(message.AsSpan(Domain.Length + 2 + scopeBytes));
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, message, mac);
        mac[..TagBytes].CopyTo(tag);
    }

    private static PageCursorException Malformed(string what) =>
        new(PageCursorError.Malformed, $"The page cursor {what}; it is not a cursor this server issued. Request the first page again without a cursor.");

    private static void WriteVarint(List<byte> to, ulong value)
    {
        while (value >= 0x80)
        {
            to.Add((byte)(value | 0x80));
            value >>= 7;
        }
        to.Add((byte)value);
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> from, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= from.Length)
            {
                throw Malformed("ends inside a number");
            }
            byte b = from[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw Malformed("has an over-long number");
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string text)
    {
        foreach (char c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return null;
            }
        }
        if (text.Length % 4 == 1)
        {
            return null;
        }
        string padded = text.Replace('-', '+').Replace('_', '/') + new string('=', (4 - text.Length % 4) % 4);
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private ref struct BitWriter(List<byte> to)
    {
        private readonly List<byte> _to = to;
        private int _current;
        private int _count;

        public void WriteRice(ulong value, int k)
        {
            for (ulong q = value >> k; q > 0; q--)
            {
                Bit(1);
            }
            Bit(0);
            for (int b = k - 1; b >= 0; b--)
            {
                Bit((int)(value >> b) & 1);
            }
        }

        public void Flush()
        {
            if (_count > 0)
            {
                _to.Add((byte)(_current << (8 - _count)));
                _current = 0;
                _count = 0;
            }
        }

        private void Bit(int bit)
        {
            _current = (_current << 1) | bit;
            if (++_count == 8)
            {
                _to.Add((byte)_current);
                _current = 0;
                _count = 0;
            }
        }
    }

    private ref struct BitReader(ReadOnlySpan<byte> from)
    {
        private readonly ReadOnlySpan<byte> _from = from;
        private int _position;

        public readonly int BytesUsed => (_position + 7) / 8;

        /// <summary>One Rice-coded value, or null when the bits run out or the value would reach <paramref name="limit"/>.</summary>
        public ulong? ReadRice(int k, ulong limit)
        {
            ulong q = 0;
            while (true)
            {
                int bit = Bit();
                if (bit < 0)
                {
                    return null;
                }
                if (bit == 0)
                {
                    break;
                }
                if (++q > limit >> k)
                {
                    return null;
                }
            }
            ulong r = 0;
            for (int b = 0; b < k; b++)
            {
                int bit = Bit();
                if (bit < 0)
                {
                    return null;
                }
                r = (r << 1) | (uint)bit;
            }
            return (q << k) | r;
        }

        private int Bit()
        {
            if (_position >= _from.Length * 8)
            {
                return -1;
            }
            int bit = (_from[_position >> 3] >> (7 - (_position & 7))) & 1;
            _position++;
            return bit;
        }
    }
}
