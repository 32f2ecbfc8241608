using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

public class MmrRerankerTests
{
    private static ItemTable EmbeddedAbc()
    {
        // a and b point the same way; c is orthogonal to both.
        var table = ItemTable.Build([Item("a"), Item("b"), Item("c")]);
        table.SetEmbeddings([1, 0, 2, 0, 0, 1], 2);
        return table;
    }

    [Fact]
    public void Low_lambda_puts_a_dissimilar_item_before_a_near_duplicate()
    {
        // Relevance a=1, b=0.8, c=0. After a: b scores 0.5·0.8 − 0.5·1 = −0.1, c scores 0.5·0 − 0.5·0 = 0.
        var table = EmbeddedAbc();
        var list = new List<Candidate> { new(0, 1.0f, "t"), new(1, 0.9f, "t"), new(2, 0.5f, "t") };
        new MmrReranker(new MmrOptions(Lambda: 0.5f)).Rerank(Context(table, pageSize: 3), list);
        Assert.Equal(["a", "c", "b"], Ids(table, list));
    }

    [Fact]
    public void High_lambda_keeps_relevance_order_when_relevance_gap_outweighs_similarity()
    {
        // b: 0.9·0.8 − 0.1·1 = 0.62 beats c: 0.
        var table = EmbeddedAbc();
        var list = new List<Candidate> { new(0, 1.0f, "t"), new(1, 0.9f, "t"), new(2, 0.5f, "t") };
        new MmrReranker(new MmrOptions(Lambda: 0.9f)).Rerank(Context(table, pageSize: 3), list);
        Assert.Equal(["a", "b", "c"], Ids(table, list));
    }

    [Fact]
    public void Without_embeddings_auto_uses_jaccard_of_categories_and_tags()
    {
        var table = ItemTable.Build([
            Item("a", ["books", "crime"], ["dark"]),
            Item("b", ["books", "crime"], ["dark"]),
            Item("c", ["films"], ["light"]),
        ]);
        var list = Candidates(table, "a", "b", "c");
        new MmrReranker(new MmrOptions(Lambda: 0.5f)).Rerank(Context(table, pageSize: 3), list);
        Assert.Equal(["a", "c", "b"], Ids(table, list));
    }

    [Fact]
    public void Categories_similarity_can_be_forced_when_embeddings_exist()
    {
        // The embeddings say a≈c; the categories say a≈b. Forcing categories must demote b, not c.
        var table = ItemTable.Build([Item("a", ["x"]), Item("b", ["x"]), Item("c", ["y"]), Item("d", ["z"])]);
        table.SetEmbeddings([1, 0, 0, 1, 1, 0, 0, 1], 2);
        var byEmbedding = Candidates(table, "a", "b", "c", "d");
        new MmrReranker(new MmrOptions(Lambda: 0.5f, Depth: 2)).Rerank(Context(table), byEmbedding);
        var byCategory = Candidates(table, "a", "b", "c", "d");
        new MmrReranker(new MmrOptions(Lambda: 0.5f, Depth: 2, Similarity: MmrSimilarity.Categories)).Rerank(Context(table), byCategory);
        Assert.Equal("b", Ids(table, byEmbedding)[1]);
        Assert.Equal("c", Ids(table, byCategory)[1]);
    }

    [Fact]
    public void Positions_after_the_depth_keep_their_input_order()
    {
        var table = RandomTable(80, seed: 1, dimension: 8);
        var list = RandomCandidates(table, 80, seed: 2);
        var input = list.ToList();
        new MmrReranker(new MmrOptions(Lambda: 0.3f, Depth: 10)).Rerank(Context(table), list);
        var tail = list.Skip(10).ToList();
        var expectedTail = input.Where(c => !list.Take(10).Contains(c)).ToList();
        Assert.Equal(expectedTail, tail);
    }

    [Theory]
    [InlineData(0, 16)]
    [InlineData(1, 0)]
    [InlineData(2, 4)]
    public void Lambda_one_returns_the_input_order(int seed, int dimension)
    {
        var table = RandomTable(60, seed, dimension: dimension);
        var list = RandomCandidates(table, 60, seed);
        var input = list.ToList();
        new MmrReranker(new MmrOptions(Lambda: 1f, Depth: 60)).Rerank(Context(table), list);
        Assert.Equal(input, list);
    }

    [Fact]
    public void Lambda_just_below_one_still_returns_sorted_input_when_scores_are_distinct()
    {
        var table = RandomTable(40, 5, dimension: 4);
        var list = RandomCandidates(table, 40, 5);
        var input = list.ToList();
        // Score gaps are far larger than 1e-6 × similarity, so relevance decides.
        new MmrReranker(new MmrOptions(Lambda: 1f - 1e-7f, Depth: 40)).Rerank(Context(table), list);
        Assert.Equal(input, list);
    }

    [Fact]
    public void Lambda_zero_after_the_first_pick_chooses_the_least_similar_item()
    {
        var table = ItemTable.Build([Item("a"), Item("b"), Item("c")]);
        table.SetEmbeddings([1, 0, 0.9f, 0.1f, -1, 0], 2);
        var list = Candidates(table, "a", "b", "c");
        new MmrReranker(new MmrOptions(Lambda: 0f)).Rerank(Context(table, pageSize: 3), list);
        Assert.Equal(["a", "c", "b"], Ids(table, list));
    }

    [Fact]
    public void Depth_is_capped_by_max_depth()
    {
        var table = RandomTable(50, 3, dimension: 4);
        var list = RandomCandidates(table, 50, 3);
        var input = list.ToList();
        new MmrReranker(new MmrOptions(Lambda: 0f, MaxDepth: 5)).Rerank(Context(table, pageSize: 40), list);
        Assert.Equal(input.Where(c => !list.Take(5).Contains(c)), list.Skip(5));
    }

    [Fact]
    public void A_moved_candidate_explains_its_similarity()
    {
        var table = EmbeddedAbc();
        var list = new List<Candidate> { new(0, 1.0f, "t"), new(1, 0.9f, "t"), new(2, 0.5f, "t") };
        list.ForEach(c => c.StartTrail());
        new MmrReranker(new MmrOptions(Lambda: 0.5f)).Rerank(Context(table, pageSize: 3, explain: true), list);
        var b = list.Single(c => c.Item == 1);
        Assert.Contains(b.Trail!, t => t.Stage == "rerank:mmr" && t.Note.Contains("moved from 1 to 2"));
        var c = list.Single(c => c.Item == 2);
        Assert.Contains(c.Trail!, t => t.Note.Contains("max similarity 0 to item a"));
        Assert.Empty(list[0].Trail!);
    }

    [Fact]
    public void Equal_scores_do_not_break_normalisation()
    {
        var table = EmbeddedAbc();
        var list = new List<Candidate> { new(0, 0.5f, "t"), new(1, 0.5f, "t"), new(2, 0.5f, "t") };
        new MmrReranker(new MmrOptions(Lambda: 0.5f)).Rerank(Context(table, pageSize: 3), list);
        Assert.Equal(["a", "c", "b"], Ids(table, list));
    }

    [Theory]
    [InlineData(-0.1f, null, 10, "Lambda")]
    [InlineData(1.5f, null, 10, "Lambda")]
    [InlineData(float.NaN, null, 10, "Lambda")]
    [InlineData(0.5f, 0, 10, "Depth")]
    [InlineData(0.5f, null, 0, "MaxDepth")]
    public void Bad_options_are_refused_with_the_option_name(float lambda, int? depth, int maxDepth, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => new MmrReranker(new MmrOptions(lambda, depth, maxDepth)));
        Assert.Contains(name, e.Message);
    }
}
