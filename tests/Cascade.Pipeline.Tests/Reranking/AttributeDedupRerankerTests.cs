using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

public class AttributeDedupRerankerTests
{
    private static ItemTable Table() => ItemTable.Build([
        Item("p1", attributes: """{"series": "s1"}"""),
        Item("p2", attributes: """{"series": "s1"}"""),
        Item("p3", attributes: "{}"),
        Item("p4", attributes: """{"series": "s2"}"""),
        Item("p5", attributes: """{"series": "s1"}"""),
        Item("p6", attributes: """{"series": "s2"}"""),
        Item("p7", attributes: "{}"),
    ], ["series"]);

    [Fact]
    public void Drop_keeps_the_best_item_per_value_and_every_item_without_one()
    {
        var table = Table();
        var list = Candidates(table, "p1", "p2", "p3", "p4", "p5", "p6", "p7");
        new AttributeDedupReranker(new AttributeDedupOptions("series")).Rerank(Context(table), list);
        Assert.Equal(["p1", "p3", "p4", "p7"], Ids(table, list));
    }

    [Fact]
    public void Demote_moves_duplicates_to_the_end_in_their_order()
    {
        var table = Table();
        var list = Candidates(table, "p1", "p2", "p3", "p4", "p5", "p6", "p7");
        list.ForEach(c => c.StartTrail());
        new AttributeDedupReranker(new AttributeDedupOptions("series", DuplicateHandling.Demote)).Rerank(Context(table, explain: true), list);
        Assert.Equal(["p1", "p3", "p4", "p7", "p2", "p5", "p6"], Ids(table, list));
        Assert.Contains(list[4].Trail!, t => t.Stage == "rerank:dedup:series" && t.Note.Contains("'s1'"));
    }

    [Fact]
    public void Max_per_value_two_keeps_the_two_best()
    {
        var table = Table();
        var list = Candidates(table, "p1", "p2", "p3", "p4", "p5", "p6", "p7");
        new AttributeDedupReranker(new AttributeDedupOptions("series", MaxPerValue: 2)).Rerank(Context(table), list);
        Assert.Equal(["p1", "p2", "p3", "p4", "p6", "p7"], Ids(table, list));
    }

    [Fact]
    public void A_pinned_item_claims_its_value_and_stays()
    {
        var table = Table();
        var list = Candidates(table, "p1", "p2", "p3", "p4", "p5");
        list[3].Pinned = true; // p4, series s2, at position 3
        list[4].Pinned = true; // p5, series s1, at position 4
        new AttributeDedupReranker(new AttributeDedupOptions("series")).Rerank(Context(table), list);
        // p1 and p2 are s1 duplicates of pinned p5; p3 has no series. Pinned items fall back to the end of a shorter list.
        Assert.Equal(["p3", "p4", "p5"], Ids(table, list));
        Assert.All(list.Skip(1), c => Assert.True(c.Pinned));
    }

    [Fact]
    public void An_attribute_the_table_does_not_index_changes_nothing()
    {
        var table = Table();
        var list = Candidates(table, "p1", "p2", "p5");
        new AttributeDedupReranker(new AttributeDedupOptions("author")).Rerank(Context(table), list);
        Assert.Equal(["p1", "p2", "p5"], Ids(table, list));
    }

    [Fact]
    public void Random_lists_keep_an_ordered_subset_with_at_most_one_item_per_value()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var table = RandomTable(50, seed);
            var list = RandomCandidates(table, 50, seed);
            var input = list.ToList();
            new AttributeDedupReranker(new AttributeDedupOptions("series")).Rerank(Context(table), list);
            Assert.Equal(input.Where(list.Contains), list);
            var values = list.Select(c => table.Attribute("series", c.Item)).Where(v => v is not null).ToList();
            Assert.Equal(values.Count, values.Distinct().Count());
            Assert.Equal(input.Select(c => table.Attribute("series", c.Item)).Where(v => v is not null).Distinct().Count(), values.Count);
        }
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        Assert.Contains("Attribute", Assert.Throws<ArgumentException>(() => new AttributeDedupReranker(new AttributeDedupOptions(" "))).Message);
        Assert.Contains("MaxPerValue", Assert.Throws<ArgumentException>(() => new AttributeDedupReranker(new AttributeDedupOptions("series", MaxPerValue: 0))).Message);
    }
}
