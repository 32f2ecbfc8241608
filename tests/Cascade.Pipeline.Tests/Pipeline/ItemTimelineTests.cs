using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Pipeline.Ranking;

namespace Cascade.Pipeline.Tests.Pipeline;

public sealed class ItemTimelineTests
{
    private const long Day = 86_400_000;

    private static (CsrMatrix Matrix, List<(int User, int Item, long Time)> Entries) Random(int seed, int users = 40, int items = 30)
    {
        var random = new Random(seed);
        var entries = new List<(int, int, long)>();
        var builder = new CsrMatrixBuilder(1000);
        for (int u = 0; u < users; u++)
        {
            foreach (int i in Enumerable.Range(0, items).Where(_ => random.NextDouble() < 0.3))
            {
                long t = random.Next(0, 100) * Day + random.Next(0, 5); // ties on purpose
                builder.Add(u, i, 1, t);
                entries.Add((u, i, t));
            }
        }
        return (builder.Build(users, items), entries);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Counts_in_a_window_equal_a_brute_force_count(int seed)
    {
        var (matrix, entries) = Random(seed);
        var timeline = ItemTimeline.From(matrix)!;
        var random = new Random(seed + 100);
        for (int trial = 0; trial < 300; trial++)
        {
            int item = random.Next(-1, matrix.Columns + 2);
            long from = random.Next(-5, 105) * Day + random.Next(0, 5);
            long to = from + random.Next(0, 40) * Day;
            int expected = entries.Count(e => e.Item == item && e.Time >= from && e.Time <= to);
            Assert.Equal(expected, timeline.CountBetween(item, from, to));
            long? first = entries.Where(e => e.Item == item && e.Time <= to).Select(e => (long?)e.Time).Min();
            Assert.Equal(first, timeline.FirstAtOrBefore(item, to));
            // The one-visit form the trend features use agrees with a brute-force count of each window.
            long[] windows = [to - from, random.Next(0, 60) * Day, 0];
            var counts = new int[windows.Length];
            int upTo = timeline.Trend(item, to, windows, counts, out long? trendFirst);
            Assert.Equal(entries.Count(e => e.Item == item && e.Time <= to), upTo);
            Assert.Equal(first, trendFirst);
            for (int w = 0; w < windows.Length; w++)
            {
                long start = to - windows[w];
                Assert.Equal(entries.Count(e => e.Item == item && e.Time >= start && e.Time <= to), counts[w]);
            }
        }
        Assert.Equal(0, timeline.CountBetween(0, 10 * Day, 5 * Day));
    }

    [Fact]
    public void No_timestamps_no_timeline()
    {
        Assert.Null(ItemTimeline.From(new CsrMatrix(1, 1, [0, 1], [0], [1f])));
    }

    [Fact]
    public void Trend_features_read_only_the_past_of_the_request()
    {
        // Two matrices that agree up to day 50 and differ after it: features at day 50 must not tell them apart.
        var (matrix, entries) = Random(7);
        var past = entries.Where(e => e.Time <= 50 * Day).ToList();
        var builder = new CsrMatrixBuilder(past.Count);
        foreach (var (u, i, t) in past)
        {
            builder.Add(u, i, 1, t);
        }
        var truncated = builder.Build(matrix.Rows, matrix.Columns);
        var items = ItemTable.Build([.. Enumerable.Range(0, matrix.Columns).Select(i =>
            new Item(Apps.Default, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "", [], [], "{}", DateTimeOffset.UnixEpoch, false, null))]);
        var popularity = new float[matrix.Columns];
        var candidates = Enumerable.Range(0, matrix.Columns).Select(i => new Candidate(i, 1, "a")).ToList();
        var full = new CandidateFeatures(["a"], items, popularity, ItemTimeline.From(matrix)).Build([], 50 * Day, candidates);
        var cut = new CandidateFeatures(["a"], items, popularity, ItemTimeline.From(truncated)).Build([], 50 * Day, candidates);
        int[] trend = [.. new[] { "trend_7d", "trend_30d", "recent_share_30d", "days_since_first" }.Select(n => full.Schema.Numeric.ToList().IndexOf(n))];
        Assert.DoesNotContain(-1, trend);
        for (int r = 0; r < candidates.Count; r++)
        {
            foreach (int f in trend)
            {
                Assert.Equal(cut.Numeric[r * full.Schema.NumericCount + f], full.Numeric[r * full.Schema.NumericCount + f]);
            }
        }
        // And they are not all missing: some items were trending in the 30 days before day 50.
        Assert.Contains(Enumerable.Range(0, candidates.Count), r => full.Numeric[r * full.Schema.NumericCount + trend[1]] > 0);
    }
}
