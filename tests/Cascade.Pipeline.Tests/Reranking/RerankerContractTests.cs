using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

/// <summary>Properties every re-ranker keeps, on random lists.</summary>
public class RerankerContractTests
{
    public static TheoryData<string> Kinds => ["mmr", "mmr-categories", "category-cap", "dedup-drop", "dedup-demote", "boost", "pin", "explore", "thompson"];

    private static IReranker Create(string kind, ItemTable table)
    {
        var stats = new InMemoryExplorationStats();
        for (int i = 0; i < table.Count; i += 3)
        {
            stats.Set(table.Ids[i], 10 + i, i % 7);
        }
        return kind switch
        {
            "mmr" => new MmrReranker(new MmrOptions(Lambda: 0.4f)),
            "mmr-categories" => new MmrReranker(new MmrOptions(Lambda: 0.4f, Similarity: MmrSimilarity.Categories)),
            "category-cap" => new CategoryCapReranker(new CategoryCapOptions(1, 3)),
            "dedup-drop" => new AttributeDedupReranker(new AttributeDedupOptions("series")),
            "dedup-demote" => new AttributeDedupReranker(new AttributeDedupOptions("series", DuplicateHandling.Demote)),
            "boost" => new BoostReranker(new BoostOptions([new BoostRule(BoostMatch.Tag, "t1", 3f, 0.1f)], new FreshnessBoost(0.5f, TimeSpan.FromHours(10)))),
            "pin" => new PinReranker(new PinOptions([new Pin("i3", 1), new Pin("i7", 4)])),
            "explore" => new ExplorationReranker(new ExplorationOptions(Positions: [1, 4], Epsilon: 0.7)),
            "thompson" => new ExplorationReranker(new ExplorationOptions(ExplorationStrategy.Thompson, Fraction: 0.3), stats),
            _ => throw new ArgumentException(kind),
        };
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Output_is_a_duplicate_free_subset_of_the_input_and_only_dedup_drops(string kind)
    {
        foreach (int n in new[] { 0, 1, 2, 9, 37, 120 })
        {
            var table = RandomTable(Math.Max(n, 10), n + 1, dimension: 6);
            var list = RandomCandidates(table, n, n + 2);
            var input = list.ToHashSet();
            Create(kind, table).Rerank(Context(table, pageSize: 8), list);
            Assert.Equal(list.Count, list.Distinct().Count());
            Assert.All(list, c => Assert.Contains(c, input));
            if (kind != "dedup-drop")
            {
                Assert.Equal(input.Count, list.Count);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_same_input_and_seed_give_the_same_output(string kind)
    {
        var table = RandomTable(150, 9, dimension: 6);
        var reranker = Create(kind, table);
        var first = RandomCandidates(table, 150, 10);
        var second = RandomCandidates(table, 150, 10);
        reranker.Rerank(Context(table, pageSize: 12, seed: 99), first);
        reranker.Rerank(Context(table, pageSize: 12, seed: 99), second);
        Assert.Equal(Ids(table, first), Ids(table, second));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Pins_placed_before_stay_at_their_positions(string kind)
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var table = RandomTable(80, seed, categories: 3, dimension: 6);
            var list = RandomCandidates(table, 80, seed);
            string first = table.Ids[list[50].Item], second = table.Ids[list[0].Item];
            new PinReranker(new PinOptions([new Pin(first, 1), new Pin(second, 4)])).Rerank(Context(table), list);
            Create(kind, table).Rerank(Context(table, pageSize: 8, seed: (ulong)seed), list);
            Assert.Equal(first, table.Ids[list[1].Item]);
            Assert.Equal(second, table.Ids[list[4].Item]);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Trails_record_only_when_explaining(string kind)
    {
        var table = RandomTable(60, 21, categories: 4, dimension: 6);
        var quiet = RandomCandidates(table, 60, 22);
        var quietInput = quiet.ToList();
        Create(kind, table).Rerank(Context(table, pageSize: 8), quiet);
        Assert.All(quietInput, c => Assert.Null(c.Trail));
        // Randomised stages may leave one request alone, so a few seeds are tried; dropped candidates keep their trail too.
        bool any = false;
        for (ulong seed = 0; seed < 4; seed++)
        {
            var loud = RandomCandidates(table, 60, 22, explain: true);
            var loudInput = loud.ToList();
            Create(kind, table).Rerank(Context(table, pageSize: 8, seed: seed, explain: true), loud);
            any |= loudInput.Any(c => c.Trail!.Count > 0);
        }
        Assert.True(any);
    }
}
