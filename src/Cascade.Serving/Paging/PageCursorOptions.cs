namespace Cascade.Serving.Paging;

/// <summary>Options of <see cref="PageCursorCodec"/>.</summary>
/// <param name="Key">HMAC-SHA256 key that signs cursors (at least 16 bytes; 32 random bytes recommended). Every serving node needs the same key.</param>
/// <param name="Lifetime">How long a cursor stays valid after it is issued.</param>
/// <param name="PreviousKeys">Keys still accepted for verification (never used to sign), for key rotation.</param>
/// <param name="HashBits">Bits kept of each served item's hash (16 to 32): more bits, fewer items wrongly treated as served, bigger cursors.</param>
/// <param name="MaxServed">Most items one cursor chain may serve; past it the feed ends (no next cursor), bounding the cursor's size.</param>
public sealed record PageCursorOptions(
    byte[] Key,
    TimeSpan Lifetime,
    IReadOnlyList<byte[]>? PreviousKeys = null,
    int HashBits = PageCursorOptions.DefaultHashBits,
    int MaxServed = PageCursorOptions.DefaultMaxServed)
{
    /// <summary>Default <see cref="HashBits"/>: with 200 items served, about 1 in 84,000 unserved items is skipped as if served.</summary>
    public const int DefaultHashBits = 24;

    /// <summary>Default <see cref="MaxServed"/>.</summary>
    public const int DefaultMaxServed = 1000;

    /// <summary>Default <see cref="Lifetime"/> suggested for configuration: 30 minutes.</summary>
    public static TimeSpan DefaultLifetime { get; } = TimeSpan.FromMinutes(30);
}
