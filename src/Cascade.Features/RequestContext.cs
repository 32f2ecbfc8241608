namespace Cascade.Features;

/// <summary>
/// What a recommendation request knows beyond the user: the device and platform it came from and, when the caller
/// scores every candidate as if shown at one position (the usual correction for position bias), that position.
/// Training rows get the same values from the impression being labelled (see <see cref="TrainingSetBuilder"/>).
/// </summary>
/// <param name="Device">Device class such as "mobile" or "tv", or null when unknown (code 0).</param>
/// <param name="Platform">Platform such as "ios" or "web", or null when unknown (code 0).</param>
/// <param name="Position">0-based position every candidate is scored at, or null when unknown (code 0).</param>
public sealed record RequestContext(string? Device = null, string? Platform = null, int? Position = null)
{
    /// <summary>A context that knows nothing: device, platform and position missing.</summary>
    public static RequestContext None { get; } = new();
}
