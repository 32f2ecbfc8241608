using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

public class PinRerankerTests
{
    private static ItemTable Table() => ItemTable.Build([
        Item("a"), Item("b"), Item("c"), Item("d"), Item("e"), Item("promo"), Item("gone", hidden: true),
    ]);

    [Fact]
    public void Pinned_items_move_to_their_positions_and_the_rest_keep_order()
    {
        var table = Table();
        var list = Candidates(table, "a", "b", "c", "d", "e");
        new PinReranker(new PinOptions([new Pin("e", 0), new Pin("b", 3)])).Rerank(Context(table), list);
        Assert.Equal(["e", "a", "c", "b", "d"], Ids(table, list));
        Assert.True(list[0].Pinned);
        Assert.True(list[3].Pinned);
        Assert.Equal(2, list.Count(c => c.Pinned));
    }

    [Fact]
    public void A_position_past_the_end_places_the_item_last()
    {
        var table = Table();
        var list = Candidates(table, "a", "b", "c");
        new PinReranker(new PinOptions([new Pin("a", 50)])).Rerank(Context(table), list);
        Assert.Equal(["b", "c", "a"], Ids(table, list));
    }

    [Fact]
    public void A_missing_item_is_inserted_only_when_asked_and_servable()
    {
        var table = Table();
        var skipped = Candidates(table, "a", "b");
        new PinReranker(new PinOptions([new Pin("promo", 1)])).Rerank(Context(table), skipped);
        Assert.Equal(["a", "b"], Ids(table, skipped));

        var inserted = Candidates(table, "a", "b");
        new PinReranker(new PinOptions([new Pin("promo", 1), new Pin("gone", 0), new Pin("unknown", 2)], InsertMissing: true)).Rerank(Context(table), inserted);
        Assert.Equal(["a", "promo", "b"], Ids(table, inserted));
        Assert.Equal("pin", inserted[1].Sources[0]);
    }

    [Fact]
    public void An_earlier_pin_holds_its_position_against_a_later_pin_reranker()
    {
        var table = Table();
        var list = Candidates(table, "a", "b", "c", "d");
        new PinReranker(new PinOptions([new Pin("d", 0)])).Rerank(Context(table), list);
        new PinReranker(new PinOptions([new Pin("c", 0), new Pin("d", 3)])).Rerank(Context(table), list);
        Assert.Equal(["d", "c", "a", "b"], Ids(table, list));
    }

    [Fact]
    public void Pins_survive_every_later_reranker()
    {
        var table = RandomTable(60, 11, categories: 2, dimension: 4);
        var stats = new InMemoryExplorationStats();
        IReranker[] later =
        [
            new MmrReranker(new MmrOptions(Lambda: 0.2f)),
            new CategoryCapReranker(new CategoryCapOptions(1, 3)),
            new AttributeDedupReranker(new AttributeDedupOptions("series", DuplicateHandling.Demote)),
            new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Category, "c1", Multiply: 50f)])),
            new ExplorationReranker(new ExplorationOptions(Positions: [0, 2, 5, 7], Epsilon: 1)),
            new ExplorationReranker(new ExplorationOptions(ExplorationStrategy.Thompson, Positions: [2, 5]), stats),
        ];
        foreach (var reranker in later)
        {
            var list = RandomCandidates(table, 60, 12);
            string at2 = table.Ids[list[40].Item], at5 = table.Ids[list[1].Item];
            new PinReranker(new PinOptions([new Pin(at2, 2), new Pin(at5, 5)])).Rerank(Context(table), list);
            reranker.Rerank(Context(table, pageSize: 10), list);
            Assert.Equal(at2, table.Ids[list[2].Item]);
            Assert.Equal(at5, table.Ids[list[5].Item]);
        }
    }

    [Fact]
    public void Bad_pins_are_refused()
    {
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new PinReranker(new PinOptions([new Pin("a", 0), new Pin("a", 1)]))).Message);
        Assert.Contains("Position 1 is pinned twice", Assert.Throws<ArgumentException>(() => new PinReranker(new PinOptions([new Pin("a", 1), new Pin("b", 1)]))).Message);
        Assert.Contains("Position -1", Assert.Throws<ArgumentException>(() => new PinReranker(new PinOptions([new Pin("a", -1)]))).Message);
        Assert.Contains("empty ItemId", Assert.Throws<ArgumentException>(() => new PinReranker(new PinOptions([new Pin("", 0)]))).Message);
    }
}
