using System.Numerics.Tensors;
using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

/// <summary>
/// The optimised MMR (incremental greatest similarity, vectorised Jaccard) against a plain reference written here:
/// every pick recomputes each candidate's greatest similarity to all picked items from scratch, with Jaccard from hash
/// sets of category and tag names. The orders must be the same candidates in the same positions.
/// </summary>
public class MmrReferenceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Categories_similarity_matches_the_reference_on_random_inputs(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 12; round++)
        {
            // Small vocabularies give overlaps; up to 14 codes per item spans several vectors of the chosen set.
            var table = FeatureTable(random, random.Next(2, 400), categories: random.Next(1, 12), tags: random.Next(1, 40), maxCodes: 14);
            var input = Shuffled(random, table, random.Next(2, table.Count + 1));
            float lambda = Lambdas[random.Next(Lambdas.Length)];
            int depth = random.Next(1, 40);
            var expected = Reference(table, input, lambda, Math.Min(depth, input.Count), embeddings: false);
            var actual = input.ToList();
            new MmrReranker(new MmrOptions(lambda, depth, MaxDepth: 1000, MmrSimilarity.Categories)).Rerank(Context(table), actual);
            Assert.Equal(expected.Order, actual);
        }
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Embedding_similarity_matches_the_reference_on_random_inputs(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 8; round++)
        {
            var table = FeatureTable(random, random.Next(2, 300), categories: 4, tags: 4, maxCodes: 3);
            int dimension = random.Next(1, 20);
            var e = new float[table.Count * dimension];
            for (int i = 0; i < e.Length; i++)
            {
                // Some zero vectors: similar to nothing.
                e[i] = i / dimension % 17 == 0 ? 0f : (float)(random.NextDouble() * 2 - 1);
            }
            table.SetEmbeddings(e, dimension);
            var input = Shuffled(random, table, random.Next(2, table.Count + 1));
            float lambda = Lambdas[random.Next(Lambdas.Length)];
            int depth = random.Next(1, 40);
            var expected = Reference(table, input, lambda, Math.Min(depth, input.Count), embeddings: true);
            var actual = input.ToList();
            new MmrReranker(new MmrOptions(lambda, depth, MaxDepth: 1000, MmrSimilarity.Auto)).Rerank(Context(table), actual);
            Assert.Equal(expected.Order, actual);
        }
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Explained_similarities_match_the_reference(int seed)
    {
        var random = new Random(seed);
        var table = FeatureTable(random, 120, categories: 5, tags: 12, maxCodes: 10);
        var input = Shuffled(random, table, 120);
        input.ForEach(c => c.StartTrail());
        var expected = Reference(table, input, 0.4f, 15, embeddings: false);
        var actual = input.ToList();
        new MmrReranker(new MmrOptions(0.4f, 15, Similarity: MmrSimilarity.Categories)).Rerank(Context(table, explain: true), actual);
        Assert.Equal(expected.Order, actual);
        foreach (var (candidate, (maxSim, closest)) in expected.Closest)
        {
            int from = input.IndexOf(candidate), to = actual.IndexOf(candidate);
            if (from != to && to < 15 && closest is not null)
            {
                string note = $"max similarity {maxSim:0.###} to item {table.Ids[closest.Item]}";
                Assert.Contains(candidate.Trail!, t => t.Note.Contains(note, StringComparison.Ordinal));
            }
        }
    }

    private static readonly float[] Lambdas = [0f, 0.1f, 0.3f, 0.5f, 0.7f, 0.9f, 0.99f];

    /// <summary>Items with 0..maxCodes categories and tags drawn (with repeats) from small vocabularies.</summary>
    private static ItemTable FeatureTable(Random random, int n, int categories, int tags, int maxCodes)
    {
        var items = new Cascade.Core.Domain.Item[n];
        for (int i = 0; i < n; i++)
        {
            int codes = random.Next(maxCodes + 1);
            int c = random.Next(codes + 1);
            items[i] = Item($"i{i}",
                [.. Enumerable.Range(0, c).Select(_ => $"c{random.Next(categories)}")],
                [.. Enumerable.Range(0, codes - c).Select(_ => $"t{random.Next(tags)}")]);
        }
        return ItemTable.Build(items);
    }

    /// <summary>Candidates in a random order with coarse scores, so equal scores and equal MMR values occur.</summary>
    private static List<Candidate> Shuffled(Random random, ItemTable table, int n) =>
        [.. Enumerable.Range(0, table.Count).OrderBy(_ => random.Next()).Take(n)
            .Select(i => new Candidate(i, random.Next(8) / 4f, "test"))
            .OrderByDescending(c => c.Score)];

    /// <summary>Straightforward MMR: the first of the candidates with the greatest value wins each position.</summary>
    private static (List<Candidate> Order, Dictionary<Candidate, (float MaxSim, Candidate? Closest)> Closest) Reference(
        ItemTable table, List<Candidate> input, float lambda, int depth, bool embeddings)
    {
        int n = input.Count;
        var relevance = Relevance(input);
        var picked = new List<int>();
        var closest = new Dictionary<Candidate, (float, Candidate?)>();
        for (int k = 0; k < depth; k++)
        {
            int best = -1;
            float bestValue = float.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                if (picked.Contains(i))
                {
                    continue;
                }
                float maxSim = float.NegativeInfinity;
                int near = -1;
                foreach (int p in picked)
                {
                    float s = embeddings ? Cosine(table, input[p].Item, input[i].Item) : Jaccard(table, input[p].Item, input[i].Item);
                    if (s > maxSim)
                    {
                        maxSim = s;
                        near = p;
                    }
                }
                closest[input[i]] = (maxSim, near < 0 ? null : input[near]);
                float value = k == 0 ? lambda * relevance[i] : lambda * relevance[i] - (1f - lambda) * maxSim;
                if (best < 0 || value > bestValue)
                {
                    best = i;
                    bestValue = value;
                }
            }
            picked.Add(best);
        }
        var order = picked.Select(i => input[i]).ToList();
        order.AddRange(input.Where((_, i) => !picked.Contains(i)));
        return (order, closest);
    }

    private static float[] Relevance(List<Candidate> list)
    {
        var finite = list.Select(c => c.Score).Where(float.IsFinite).ToArray();
        float min = finite.Length == 0 ? float.PositiveInfinity : finite.Min(), max = finite.Length == 0 ? float.NegativeInfinity : finite.Max();
        float range = max - min;
        return [.. list.Select(c => !float.IsFinite(c.Score) ? (float.IsPositiveInfinity(c.Score) ? 1f : 0f)
            : range > 0f ? (c.Score - min) / range : 1f)];
    }

    private static float Jaccard(ItemTable table, int a, int b)
    {
        var x = Features(table, a);
        var y = Features(table, b);
        if (x.Count == 0 || y.Count == 0)
        {
            return 0f;
        }
        int both = x.Count(y.Contains);
        return (float)both / (x.Count + y.Count - both);
    }

    private static HashSet<string> Features(ItemTable table, int item) =>
        [.. table.Categories[item].Select(c => "c:" + table.CategoryNames[c]), .. table.Tags[item].Select(t => "t:" + table.TagNames[t])];

    private static float Cosine(ItemTable table, int a, int b)
    {
        var x = table.Embedding(a);
        var y = table.Embedding(b);
        float nx = TensorPrimitives.Norm(x), ny = TensorPrimitives.Norm(y);
        if (nx == 0f || ny == 0f)
        {
            return 0f;
        }
        return TensorPrimitives.Dot(x, y) * (1f / nx) * (1f / ny);
    }
}
