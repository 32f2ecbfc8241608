using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

public class BoostRerankerTests
{
    private static ItemTable Table() => ItemTable.Build([
        Item("news", ["news"]),
        Item("sport", ["sport"]),
        Item("hot", ["misc"], ["hot"]),
        Item("ann", ["misc"], attributes: """{"author": "ann"}"""),
    ], ["author"]);

    private static List<Candidate> List(ItemTable table, params (string Id, float Score)[] scored) =>
        [.. scored.Select(x => new Candidate(table.IndexOf(x.Id), x.Score, "t"))];

    [Fact]
    public void Category_tag_and_attribute_boosts_apply_and_the_list_is_resorted()
    {
        var table = Table();
        var list = List(table, ("ann", 0.9f), ("sport", 0.6f), ("news", 0.5f), ("hot", 0.4f));
        var boost = new BoostReranker(new BoostOptions([
            new BoostRule(BoostMatch.Category, "news", Multiply: 2f),
            new BoostRule(BoostMatch.Tag, "hot", Add: 0.3f),
            new BoostRule(BoostMatch.Attribute, "ann", Multiply: 0f, Attribute: "author"),
        ]));
        boost.Rerank(Context(table), list);
        Assert.Equal(["news", "hot", "sport", "ann"], Ids(table, list));
        Assert.Equal([1.0f, 0.7f, 0.6f, 0f], list.Select(c => c.Score).ToArray(), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void Factors_apply_before_increments()
    {
        var table = ItemTable.Build([Item("x", ["a", "b"])]);
        var list = List(table, ("x", 0.5f));
        new BoostReranker(new BoostOptions([
            new BoostRule(BoostMatch.Category, "b", Add: 0.1f),
            new BoostRule(BoostMatch.Category, "a", Multiply: 3f),
        ])).Rerank(Context(table), list);
        Assert.Equal(1.6f, list[0].Score, 1e-6f);
    }

    [Fact]
    public void Freshness_halves_the_boost_every_half_life()
    {
        var now = Epoch;
        var table = ItemTable.Build([
            Item("new", created: now),
            Item("hour", created: now.AddHours(-1)),
            Item("day", created: now.AddHours(-24)),
            Item("future", created: now.AddHours(5)),
        ]);
        var list = List(table, ("day", 1f), ("hour", 1f), ("new", 1f), ("future", 1f));
        new BoostReranker(new BoostOptions([], new FreshnessBoost(1f, TimeSpan.FromHours(1)))).Rerank(Context(table), list);
        var score = list.ToDictionary(c => table.Ids[c.Item], c => c.Score);
        Assert.Equal(2f, score["new"], 1e-5f);
        Assert.Equal(2f, score["future"], 1e-5f);
        Assert.Equal(1.5f, score["hour"], 1e-5f);
        Assert.Equal(1f + MathF.Pow(0.5f, 24), score["day"], 1e-5f);
        Assert.Equal(["new", "future", "hour", "day"], Ids(table, list));
    }

    [Fact]
    public void Equal_scores_keep_their_order_and_unmatched_rules_change_nothing()
    {
        var table = Table();
        var list = List(table, ("sport", 0.5f), ("hot", 0.5f), ("news", 0.5f));
        new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Category, "absent", Multiply: 5f)])).Rerank(Context(table), list);
        Assert.Equal(["sport", "hot", "news"], Ids(table, list));
        Assert.All(list, c => Assert.Equal(0.5f, c.Score));
    }

    [Fact]
    public void A_boost_explains_itself_on_the_trail()
    {
        var table = Table();
        var list = List(table, ("sport", 0.6f), ("news", 0.5f));
        list.ForEach(c => c.StartTrail());
        new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Category, "news", Multiply: 2f)])).Rerank(Context(table, explain: true), list);
        Assert.Contains(list[0].Trail!, t => t.Stage == "rerank:boost" && t.Note.Contains("×2 (category 'news')"));
        Assert.Contains(list[0].Trail!, t => t.Note == "moved from 1 to 0");
    }

    [Fact]
    public void The_same_reranker_serves_two_item_tables()
    {
        var first = Table();
        var second = ItemTable.Build([Item("other", ["sport"]), Item("news2", ["news"])]);
        var boost = new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Category, "news", Multiply: 10f)]));
        var a = List(first, ("sport", 0.5f), ("news", 0.1f));
        boost.Rerank(Context(first), a);
        var b = List(second, ("other", 0.5f), ("news2", 0.1f));
        boost.Rerank(Context(second), b);
        Assert.Equal("news", first.Ids[a[0].Item]);
        Assert.Equal("news2", second.Ids[b[0].Item]);
    }

    [Fact]
    public void Bad_rules_are_refused_with_what_is_wrong()
    {
        Assert.Contains("Multiply", Assert.Throws<ArgumentException>(() => new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Tag, "x", Multiply: -1f)]))).Message);
        Assert.Contains("Add", Assert.Throws<ArgumentException>(() => new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Tag, "x", Add: float.NaN)]))).Message);
        Assert.Contains("empty Value", Assert.Throws<ArgumentException>(() => new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Tag, "")]))).Message);
        Assert.Contains("names no Attribute", Assert.Throws<ArgumentException>(() => new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Attribute, "ann")]))).Message);
        Assert.Contains("HalfLife", Assert.Throws<ArgumentException>(() => new BoostReranker(new BoostOptions([], new FreshnessBoost(1f, TimeSpan.Zero)))).Message);
        Assert.Contains("Weight", Assert.Throws<ArgumentException>(() => new BoostReranker(new BoostOptions([], new FreshnessBoost(-1f, TimeSpan.FromHours(1))))).Message);
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
