namespace Cascade.Features.State;

/// <summary>
/// Exponentially decayed event counts, one per half-life, sharing one reference time. The count at time t is
/// Σ 2^(−(t − tᵢ)/h) over the events tᵢ ≤ t, kept as values at the reference time (the newest event seen) and
/// decayed on read. Adding is exact whatever the order events arrive in: an event older than the reference adds
/// its weight already decayed to the reference, so a store fed in log order equals one fed in time order.
/// </summary>
/// <remarks>
/// Decay rather than exact sliding windows: a counter is a few doubles and O(1) to update and read, with no
/// per-event buffer to keep or expire, it moves smoothly (no cliff when an event leaves a window) and it is
/// reproducible point-in-time from the same events in any order.
/// </remarks>
internal static class DecayedCounters
{
    /// <summary>The reference time of counters that have seen no event.</summary>
    public const long Empty = long.MinValue;

    /// <summary>Adds one event at <paramref name="timeMs"/> to slot <paramref name="slot"/> of <paramref name="values"/>.</summary>
    /// <param name="values">Slots × windows values, slot-major.</param>
    /// <param name="referenceMs">The shared reference time; moved forward to <paramref name="timeMs"/> when newer.</param>
    /// <param name="slot">Which counter of the group (e.g. 0 impressions, 1 positives).</param>
    /// <param name="timeMs">The event's time.</param>
    /// <param name="rates">Decay rate per window and millisecond, ln 2 / half-life.</param>
    public static void Add(Span<double> values, ref long referenceMs, int slot, long timeMs, double[] rates)
    {
        int windows = rates.Length;
        if (referenceMs == Empty)
        {
            referenceMs = timeMs;
        }
        else if (timeMs > referenceMs)
        {
            double dt = timeMs - referenceMs;
            for (int w = 0; w < windows; w++)
            {
                double f = Math.Exp(-dt * rates[w]);
                for (int i = w; i < values.Length; i += windows)
                {
                    values[i] *= f;
                }
            }
            referenceMs = timeMs;
        }
        int at = slot * windows;
        if (timeMs == referenceMs)
        {
            for (int w = 0; w < windows; w++)
            {
                values[at + w] += 1;
            }
        }
        else
        {
            double dt = referenceMs - timeMs;
            for (int w = 0; w < windows; w++)
            {
                values[at + w] += Math.Exp(-dt * rates[w]);
            }
        }
    }

    /// <summary>The factor that decays values at <paramref name="referenceMs"/> to <paramref name="nowMs"/> in one window (1 when now is not later).</summary>
    /// <param name="referenceMs">The shared reference time.</param>
    /// <param name="nowMs">When to read.</param>
    /// <param name="rate">The window's decay rate per millisecond.</param>
    public static double Factor(long referenceMs, long nowMs, double rate) =>
        nowMs > referenceMs && referenceMs != Empty ? Math.Exp(-(nowMs - referenceMs) * rate) : 1;

    /// <summary>The value of slot <paramref name="slot"/>, window <paramref name="window"/> at <paramref name="nowMs"/> (no decay before the reference).</summary>
    /// <param name="values">Slots × windows values.</param>
    /// <param name="referenceMs">The shared reference time.</param>
    /// <param name="slot">The counter.</param>
    /// <param name="window">The window.</param>
    /// <param name="nowMs">When to read.</param>
    /// <param name="rates">Decay rate per window and millisecond.</param>
    public static double Read(ReadOnlySpan<double> values, long referenceMs, int slot, int window, long nowMs, double[] rates)
    {
        if (referenceMs == Empty)
        {
            return 0;
        }
        double v = values[slot * rates.Length + window];
        return nowMs > referenceMs ? v * Math.Exp(-(nowMs - referenceMs) * rates[window]) : v;
    }
}
