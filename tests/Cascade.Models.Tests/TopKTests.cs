namespace Cascade.Models.Tests;

public sealed class TopKTests
{
    [Fact]
    public void Top_k_is_ordered_by_score_with_ties_to_the_lower_item_and_skips_excluded_items()
    {
        float[] scores = [1, 3, 3, 2, float.NaN, float.NegativeInfinity, 3];
        var top = TopK.Select(scores, 3);
        Assert.Equal([1, 2, 6], top.Select(r => r.Item));
        var all = TopK.Select(scores, 10);
        Assert.Equal([1, 2, 6, 3, 0], all.Select(r => r.Item));
    }

    [Fact]
    public void Top_k_agrees_with_a_full_sort_on_random_scores()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 50; trial++)
        {
            var scores = new float[200];
            for (int i = 0; i < scores.Length; i++)
            {
                scores[i] = random.Next(40); // many ties
            }
            int k = 1 + random.Next(30);
            var expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k);
            Assert.Equal(expected, TopK.Select(scores, k).Select(r => r.Item));
        }
    }

    [Fact]
    public void Zero_k_returns_nothing_and_negative_k_is_rejected()
    {
        Assert.Empty(TopK.Select([1f, 2f], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TopK.Select([1f], -1));
    }
}
