using Cascade.Features.State;

namespace Cascade.Features.Tests;

public class DecayedCountersTests
{
    [Fact]
    public void One_event_halves_after_one_half_life()
    {
        double[] rates = [Math.Log(2) / 3_600_000, Math.Log(2) / 86_400_000];
        var values = new double[2];
        long reference = DecayedCounters.Empty;
        DecayedCounters.Add(values, ref reference, 0, 1_000, rates);
        Assert.Equal(1.0, DecayedCounters.Read(values, reference, 0, 0, 1_000, rates), 12);
        Assert.Equal(0.5, DecayedCounters.Read(values, reference, 0, 0, 1_000 + 3_600_000, rates), 12);
        Assert.Equal(0.25, DecayedCounters.Read(values, reference, 0, 1, 1_000 + 2 * 86_400_000L, rates), 12);
        Assert.Equal(0.0, DecayedCounters.Read(new double[2], DecayedCounters.Empty, 0, 0, 5, rates));
    }

    [Fact]
    public void Counts_equal_the_closed_form_sum_whatever_order_events_arrive_in()
    {
        var rng = new Random(1);
        double[] halfLives = [60_000, 3_600_000, 7 * 86_400_000.0];
        double[] rates = [.. halfLives.Select(h => Math.Log(2) / h)];
        var times = Enumerable.Range(0, 500).Select(_ => 1_700_000_000_000L + rng.NextInt64(0, 10 * 86_400_000L)).ToArray();
        var slots = times.Select(_ => rng.Next(2)).ToArray();
        var values = new double[2 * rates.Length];
        long reference = DecayedCounters.Empty;
        for (int i = 0; i < times.Length; i++)
        {
            DecayedCounters.Add(values, ref reference, slots[i], times[i], rates);
        }
        long now = times.Max() + 12_345;
        for (int slot = 0; slot < 2; slot++)
        {
            for (int w = 0; w < rates.Length; w++)
            {
                double expected = 0;
                for (int i = 0; i < times.Length; i++)
                {
                    if (slots[i] == slot)
                    {
                        expected += Math.Pow(2, -(now - times[i]) / halfLives[w]);
                    }
                }
                double actual = DecayedCounters.Read(values, reference, slot, w, now, rates);
                Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, expected), $"slot {slot} window {w}: {actual} vs {expected}");
            }
        }
    }
}
