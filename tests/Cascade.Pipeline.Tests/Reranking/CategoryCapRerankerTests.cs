using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

public class CategoryCapRerankerTests
{
    private static ItemTable Table(params (string Id, string? Category)[] items) =>
        ItemTable.Build([.. items.Select(x => Item(x.Id, x.Category is null ? [] : [x.Category]))]);

    [Fact]
    public void Each_capped_item_moves_to_the_first_position_where_it_fits()
    {
        var table = Table(("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("b2", "b"), ("c1", "c"));
        var list = Candidates(table, "a1", "a2", "a3", "b1", "b2", "c1");
        new CategoryCapReranker(new CategoryCapOptions(MaxPerCategory: 1, Window: 2)).Rerank(Context(table), list);
        Assert.Equal(["a1", "b1", "a2", "b2", "a3", "c1"], Ids(table, list));
    }

    [Fact]
    public void Two_per_five_pushes_the_third_of_a_category_past_the_window()
    {
        var table = Table(("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c"), ("d1", "d"), ("e1", "e"));
        var list = Candidates(table, "a1", "a2", "a3", "b1", "c1", "d1", "e1");
        new CategoryCapReranker(new CategoryCapOptions(MaxPerCategory: 2, Window: 5)).Rerank(Context(table), list);
        // a3 fits at position 5: the window 1..5 then holds a2 and a3.
        Assert.Equal(["a1", "a2", "b1", "c1", "d1", "a3", "e1"], Ids(table, list));
    }

    [Fact]
    public void Items_that_fit_nowhere_are_kept_at_the_end_in_order()
    {
        var table = Table(("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"));
        var list = Candidates(table, "a1", "a2", "a3", "b1");
        list.ForEach(c => c.StartTrail());
        new CategoryCapReranker(new CategoryCapOptions(MaxPerCategory: 1, Window: 3)).Rerank(Context(table, explain: true), list);
        Assert.Equal(["a1", "b1", "a2", "a3"], Ids(table, list));
        Assert.Contains(list[2].Trail!, t => t.Note.Contains("no position fits"));
    }

    [Fact]
    public void Items_without_a_category_are_never_capped()
    {
        var table = Table(("x1", null), ("x2", null), ("x3", null), ("a1", "a"));
        var list = Candidates(table, "x1", "x2", "x3", "a1");
        new CategoryCapReranker(new CategoryCapOptions(MaxPerCategory: 1, Window: 4)).Rerank(Context(table), list);
        Assert.Equal(["x1", "x2", "x3", "a1"], Ids(table, list));
    }

    [Fact]
    public void The_cap_counts_only_the_primary_category()
    {
        var table = ItemTable.Build([Item("a", ["books", "crime"]), Item("b", ["films", "crime"]), Item("c", ["books"])]);
        var list = Candidates(table, "a", "b", "c");
        new CategoryCapReranker(new CategoryCapOptions(MaxPerCategory: 1, Window: 2)).Rerank(Context(table), list);
        Assert.Equal(["a", "b", "c"], Ids(table, list));
    }

    [Theory]
    [InlineData(1, 2, 0)]
    [InlineData(1, 3, 1)]
    [InlineData(2, 5, 2)]
    [InlineData(3, 4, 3)]
    [InlineData(2, 7, 4)]
    [InlineData(1, 6, 5)]
    public void Random_lists_hold_the_cap_in_every_window_until_nothing_fits(int max, int window, int seed)
    {
        for (int round = 0; round < 20; round++)
        {
            var table = RandomTable(60, seed * 100 + round, categories: 2 + round % 6);
            var list = RandomCandidates(table, 40 + round, seed * 100 + round);
            var input = list.ToList();
            new CategoryCapReranker(new CategoryCapOptions(max, window)).Rerank(Context(table), list);

            Assert.Equal(input.OrderBy(c => c.Item), list.OrderBy(c => c.Item));
            int firstViolation = -1;
            for (int p = 0; p < list.Count && firstViolation < 0; p++)
            {
                int category = table.PrimaryCategory(list[p].Item);
                int count = Enumerable.Range(Math.Max(0, p - window + 1), p - Math.Max(0, p - window + 1) + 1)
                    .Count(q => table.PrimaryCategory(list[q].Item) == category);
                if (count > max)
                {
                    firstViolation = p;
                }
            }
            if (firstViolation >= 0)
            {
                // Past the first violation nothing could fit: every remaining category is saturated there, and the rest keep their order.
                int p = firstViolation;
                var windowBefore = list.Skip(Math.Max(0, p - window + 1)).Take(p - Math.Max(0, p - window + 1)).Select(c => table.PrimaryCategory(c.Item)).ToList();
                foreach (var c in list.Skip(p))
                {
                    Assert.True(windowBefore.Count(x => x == table.PrimaryCategory(c.Item)) >= max);
                }
                var rest = list.Skip(p).ToList();
                Assert.Equal(input.Where(rest.Contains), rest);
            }
            foreach (var group in input.GroupBy(c => table.PrimaryCategory(c.Item)))
            {
                Assert.Equal(group.ToList(), list.Where(group.Contains).ToList());
            }
        }
    }

    [Theory]
    [InlineData(0, 5, "MaxPerCategory")]
    [InlineData(2, 2, "Window")]
    [InlineData(3, 1, "Window")]
    public void Bad_options_are_refused_with_the_option_name(int max, int window, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => new CategoryCapReranker(new CategoryCapOptions(max, window)));
        Assert.Contains(name, e.Message);
    }
}
