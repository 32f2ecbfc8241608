using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

public class ExplorationRerankerTests
{
    [Fact]
    public void Epsilon_zero_leaves_the_order_alone()
    {
        var table = RandomTable(100, 1);
        var list = RandomCandidates(table, 100, 1);
        var input = list.ToList();
        new ExplorationReranker(new ExplorationOptions(Positions: [1, 3, 5], Epsilon: 0)).Rerank(Context(table), list);
        Assert.Equal(input, list);
        Assert.DoesNotContain(list, c => c.Explored);
    }

    [Fact]
    public void Epsilon_one_fills_every_slot_from_beyond_the_page()
    {
        var table = RandomTable(100, 2);
        var list = RandomCandidates(table, 100, 2);
        var input = list.ToList();
        var beyond = input.Skip(10).ToHashSet();
        new ExplorationReranker(new ExplorationOptions(Positions: [2, 6], Epsilon: 1)).Rerank(Context(table, pageSize: 10), list);
        Assert.True(list[2].Explored && beyond.Contains(list[2]));
        Assert.True(list[6].Explored && beyond.Contains(list[6]));
        Assert.Equal(2, list.Count(c => c.Explored));
        // Everything else keeps its relative order.
        Assert.Equal(input.Where(c => !c.Explored), list.Where(c => !c.Explored));
        Assert.Equal(input.OrderBy(c => c.Item), list.OrderBy(c => c.Item));
    }

    [Fact]
    public void The_same_seed_gives_the_same_list_and_different_seeds_differ()
    {
        var table = RandomTable(200, 3);
        string[] Run(ulong seed)
        {
            var list = RandomCandidates(table, 200, 3);
            new ExplorationReranker(new ExplorationOptions(Positions: [1, 4, 8], Epsilon: 0.5)).Rerank(Context(table, pageSize: 10, seed: seed), list);
            return Ids(table, list);
        }
        Assert.Equal(Run(42), Run(42));
        var distinct = Enumerable.Range(0, 10).Select(s => string.Join(",", Run((ulong)s).Take(10))).Distinct().Count();
        Assert.True(distinct > 3, $"only {distinct} distinct pages over 10 seeds");
    }

    [Fact]
    public void Epsilon_half_explores_about_half_of_the_slots()
    {
        var table = RandomTable(60, 4);
        int explored = 0, slots = 0;
        for (ulong seed = 0; seed < 200; seed++)
        {
            var list = RandomCandidates(table, 60, 4);
            new ExplorationReranker(new ExplorationOptions(Positions: [3, 7], Epsilon: 0.5)).Rerank(Context(table, pageSize: 10, seed: seed), list);
            explored += list.Count(c => c.Explored);
            slots += 2;
        }
        Assert.InRange(explored / (double)slots, 0.4, 0.6);
    }

    [Fact]
    public void Thompson_gives_the_first_slot_to_the_item_with_the_best_click_record()
    {
        var table = RandomTable(50, 5);
        var list = RandomCandidates(table, 50, 5);
        var stats = new InMemoryExplorationStats();
        foreach (var c in list.Skip(10))
        {
            stats.Set(table.Ids[c.Item], 1000, 0);
        }
        var star = list[30];
        stats.Set(table.Ids[star.Item], 1000, 900);
        for (ulong seed = 0; seed < 5; seed++)
        {
            var copy = list.ToList();
            copy.ForEach(c => c.Explored = false);
            new ExplorationReranker(new ExplorationOptions(ExplorationStrategy.Thompson, Positions: [4, 8]), stats)
                .Rerank(Context(table, pageSize: 10, seed: seed), copy);
            Assert.Same(star, copy[4]);
            Assert.True(copy[8].Explored);
        }
    }

    [Fact]
    public void Thompson_prefers_unknown_items_over_items_known_to_fail()
    {
        var table = RandomTable(30, 6);
        var list = RandomCandidates(table, 30, 6);
        var stats = new InMemoryExplorationStats();
        foreach (var c in list.Skip(10).Take(19))
        {
            stats.Set(table.Ids[c.Item], 500, 0);
        }
        var unknown = list[29];
        new ExplorationReranker(new ExplorationOptions(ExplorationStrategy.Thompson, Positions: [5]), stats)
            .Rerank(Context(table, pageSize: 10), list);
        Assert.Same(unknown, list[5]);
    }

    [Fact]
    public void Fraction_spreads_slots_over_the_page_and_never_uses_the_top()
    {
        var explore = new ExplorationReranker(new ExplorationOptions(Fraction: 0.1));
        Assert.Equal([6, 13], explore.SlotPositions(20));
        Assert.Equal([5], explore.SlotPositions(10));
        Assert.Empty(explore.SlotPositions(4));
        Assert.Equal([2], new ExplorationReranker(new ExplorationOptions(Positions: [9, 2])).SlotPositions(5));
        Assert.Equal([1, 2], new ExplorationReranker(new ExplorationOptions(Fraction: 1)).SlotPositions(3));
    }

    [Fact]
    public void A_list_no_longer_than_the_page_has_nothing_to_explore()
    {
        var table = RandomTable(10, 7);
        var list = RandomCandidates(table, 10, 7);
        var input = list.ToList();
        new ExplorationReranker(new ExplorationOptions(Positions: [2], Epsilon: 1)).Rerank(Context(table, pageSize: 10), list);
        Assert.Equal(input, list);
    }

    [Fact]
    public void An_exploration_placement_is_explained()
    {
        var table = RandomTable(30, 8);
        var list = RandomCandidates(table, 30, 8, explain: true);
        new ExplorationReranker(new ExplorationOptions(Positions: [3], Epsilon: 1)).Rerank(Context(table, explain: true), list);
        Assert.Contains(list[3].Trail!, t => t.Stage == "rerank:explore" && t.Note.Contains("exploration slot 3"));
    }

    [Fact]
    public void Thompson_without_stats_and_bad_options_are_refused()
    {
        Assert.Contains("IExplorationStats", Assert.Throws<ArgumentException>(() => new ExplorationReranker(new ExplorationOptions(ExplorationStrategy.Thompson))).Message);
        Assert.Contains("Epsilon", Assert.Throws<ArgumentException>(() => new ExplorationReranker(new ExplorationOptions(Epsilon: 1.5))).Message);
        Assert.Contains("Fraction", Assert.Throws<ArgumentException>(() => new ExplorationReranker(new ExplorationOptions(Fraction: -0.1))).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => new ExplorationReranker(new ExplorationOptions(Positions: [2, 2]))).Message);
        Assert.Contains("0-based", Assert.Throws<ArgumentException>(() => new ExplorationReranker(new ExplorationOptions(Positions: [-1]))).Message);
        Assert.Contains("PoolSize", Assert.Throws<ArgumentException>(() => new ExplorationReranker(new ExplorationOptions(PoolSize: 0))).Message);
        Assert.Contains("PriorAlpha", Assert.Throws<ArgumentException>(() => new ExplorationReranker(new ExplorationOptions(PriorAlpha: 0))).Message);
    }

    [Theory]
    [InlineData(2.0, 5.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(30.0, 3.0)]
    public void Beta_draws_have_the_right_mean(double alpha, double beta)
    {
        var random = new RerankRandom(1, 2);
        double sum = 0;
        const int n = 20_000;
        for (int i = 0; i < n; i++)
        {
            double x = random.NextBeta(alpha, beta);
            Assert.InRange(x, 0, 1);
            sum += x;
        }
        Assert.Equal(alpha / (alpha + beta), sum / n, 0.01);
    }
    [Theory]
    [InlineData(0.6, 3, false)] // the pool runs out before the last slot
    [InlineData(0.3, 20, true)] // a pinned item inside the page shifts the free ranks
    [InlineData(1.0, 2, false)]
    public void Epsilon_greedy_propensities_match_the_frequencies_over_seeds(double epsilon, int poolSize, bool pin)
    {
        var table = RandomTable(40, 8);
        var template = RandomCandidates(table, 40, 8);
        var reranker = new ExplorationReranker(new ExplorationOptions(Positions: [1, 4, 5, 8], Epsilon: epsilon, PoolSize: poolSize));
        const int Runs = 20_000;
        const int Page = 10;
        var counts = new Dictionary<(int Position, int Item), int>();
        var stated = new Dictionary<(int Position, int Item), double>();
        for (ulong seed = 0; seed < Runs; seed++)
        {
            var list = template.Select(c => new Candidate(c.Item, c.Score, "test") { Pinned = pin && c == template[3] }).ToList();
            reranker.Rerank(Context(table, pageSize: Page, seed: seed), list);
            for (int position = 0; position < Page; position++)
            {
                var key = (position, list[position].Item);
                counts[key] = counts.GetValueOrDefault(key) + 1;
                double? p = list[position].PropensityAt(position);
                Assert.NotNull(p);
                if (stated.TryGetValue(key, out double before))
                {
                    Assert.Equal(before, p.Value, 12); // the same (position, item) always gets the same probability
                }
                stated[key] = p.Value;
                Assert.Null(list[position].PropensityAt(position + 1)); // only the position it was computed for
            }
        }
        foreach (var (key, p) in stated)
        {
            double frequency = counts[key] / (double)Runs;
            double sigma = Math.Sqrt(p * (1 - p) / Runs);
            Assert.True(Math.Abs(frequency - p) <= (4.5 * sigma) + 1e-9, $"position {key.Position}, item {key.Item}: stated {p:0.#####}, seen {frequency:0.#####}");
        }
        for (int position = 0; position < Page; position++)
        {
            // Every item that can land at a position was seen there, so the stated probabilities add up to 1.
            double total = stated.Where(kv => kv.Key.Position == position).Sum(kv => kv.Value);
            Assert.Equal(1, total, 9);
        }
    }

    [Fact]
    public void Without_exploration_every_position_has_probability_one_and_thompson_slots_are_unknown()
    {
        var table = RandomTable(30, 9);
        var list = RandomCandidates(table, 30, 9);
        new ExplorationReranker(new ExplorationOptions(Positions: [2], Epsilon: 0)).Rerank(Context(table), list);
        Assert.All(Enumerable.Range(0, 10), p => Assert.Equal(1, list[p].PropensityAt(p)));
        var stats = new InMemoryExplorationStats();
        new ExplorationReranker(new ExplorationOptions(ExplorationStrategy.Thompson, Positions: [2, 6]), stats).Rerank(Context(table), list);
        Assert.True(list[2].Explored && list[6].Explored);
        Assert.Null(list[2].PropensityAt(2));
        Assert.Null(list[6].PropensityAt(6));
        Assert.All(new[] { 0, 1, 3, 4, 5, 7, 8, 9 }, p => Assert.Equal(1, list[p].PropensityAt(p)));
    }
}
