using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Models;
using Cascade.Models.Factorisation;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline.Tests.Sources;

/// <summary>
/// The item-to-item source's neighbour cache and aggregation: proposals must be exactly (bit for bit) those of the
/// plain algorithm — a dictionary of recency-weighted sums over every seed's fresh neighbour list, filtered per
/// occurrence, sorted by score then item — with the cache on, off, full, and under concurrent requests.
/// </summary>
public sealed class ItemToItemSourceTests
{
    private const long Now = 1_700_000_000_000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Proposals_are_the_same_with_the_cache_on_off_or_full_and_match_the_reference(int seed)
    {
        var random = new Random(seed);
        var table = Table(400, random);
        var model = new FakeSimilarity(itemCount: 380, seed);
        var cached = new ItemToItemSource("i2i", model, historyLength: 20, neighbours: 30, prefitted: true);
        var uncached = new ItemToItemSource("i2i", model, historyLength: 20, neighbours: 30, prefitted: true, cacheCapacity: 0);
        var tiny = new ItemToItemSource("i2i", model, historyLength: 20, neighbours: 30, prefitted: true, cacheCapacity: 3);
        for (int r = 0; r < 60; r++)
        {
            var request = RandomRequest(random, table);
            int quota = random.Next(0, 5) == 0 ? 1000 : random.Next(0, 120);
            var expected = Reference(model, request, quota, historyLength: 20, neighbours: 30);
            // Twice with the cache: a miss, then (for most seeds) a hit.
            AssertSame(expected, Propose(cached, request, quota));
            AssertSame(expected, Propose(cached, request, quota));
            AssertSame(expected, Propose(uncached, request, quota));
            AssertSame(expected, Propose(tiny, request, quota));
        }
        Assert.Equal(3, tiny.CachedItems);
        Assert.Equal(0, uncached.CachedItems);
    }

    [Fact]
    public void A_seed_item_is_searched_once_while_the_cache_has_room()
    {
        var table = Table(100, new Random(1));
        var model = new FakeSimilarity(itemCount: 100, seed: 1);
        var source = new ItemToItemSource("i2i", model, neighbours: 10, prefitted: true);
        Propose(source, new SourceRequest(table, -1, [1, 2, 3], Now), 50);
        Assert.Equal(3, model.Calls);
        Propose(source, new SourceRequest(table, -1, [3, 2, 1, 4], Now), 50);
        Assert.Equal(4, model.Calls);
        Assert.Equal(4, source.CachedItems);
        Assert.Equal(ItemToItemSource.DefaultCacheCapacity, source.CacheCapacity);
    }

    [Fact]
    public void A_full_cache_keeps_what_it_has_and_searches_the_rest_every_time()
    {
        var table = Table(100, new Random(2));
        var model = new FakeSimilarity(itemCount: 100, seed: 2);
        var source = new ItemToItemSource("i2i", model, neighbours: 10, prefitted: true, cacheCapacity: 2);
        var request = new SourceRequest(table, -1, [1, 2, 3, 4], Now);
        Propose(source, request, 50);
        Assert.Equal(4, model.Calls);
        Assert.Equal(2, source.CachedItems);
        Propose(source, request, 50);
        Assert.Equal(6, model.Calls);
        Assert.Equal(2, source.CachedItems);
    }

    [Fact]
    public void Without_a_cache_every_seed_is_searched_on_every_request()
    {
        var table = Table(100, new Random(3));
        var model = new FakeSimilarity(itemCount: 100, seed: 3);
        var source = new ItemToItemSource("i2i", model, neighbours: 10, prefitted: true, cacheCapacity: 0);
        var request = new SourceRequest(table, -1, [1, 2], Now);
        Propose(source, request, 50);
        Propose(source, request, 50);
        Assert.Equal(4, model.Calls);
        Assert.Equal(0, source.CachedItems);
    }

    [Fact]
    public void Fitting_starts_an_empty_cache()
    {
        var (data, table) = Interactions(new Random(4), users: 20, items: 50);
        var model = new FakeSimilarity(itemCount: 50, seed: 4);
        var source = new ItemToItemSource("i2i", model, neighbours: 10, prefitted: true);
        var request = new SourceRequest(table, -1, [1, 2], Now);
        Propose(source, request, 50);
        Assert.Equal(2, source.CachedItems);
        source.Fit(data);
        Assert.Equal(0, source.CachedItems);
        Propose(source, request, 50);
        Assert.Equal(4, model.Calls);
    }

    [Fact]
    public void A_negative_cache_capacity_is_refused()
    {
        var model = new FakeSimilarity(itemCount: 10, seed: 5);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ItemToItemSource("i2i", model, cacheCapacity: -1));
        Assert.Equal("cacheCapacity", e.ParamName);
    }

    [Fact]
    public void Concurrent_requests_get_the_reference_proposals_and_never_overfill_the_cache()
    {
        var random = new Random(6);
        var table = Table(500, random);
        var model = new FakeSimilarity(itemCount: 500, seed: 6);
        var source = new ItemToItemSource("i2i", model, historyLength: 20, neighbours: 40, prefitted: true, cacheCapacity: 25);
        var requests = Enumerable.Range(0, 200).Select(_ => RandomRequest(random, table)).ToArray();
        var expected = requests.Select(r => Reference(model, r, 100, historyLength: 20, neighbours: 40)).ToArray();
        var actual = new List<ScoredItem>[requests.Length * 4];
        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => actual[i] = Propose(source, requests[i % requests.Length], 100));
        for (int i = 0; i < actual.Length; i++)
        {
            AssertSame(expected[i % requests.Length], actual[i]);
        }
        Assert.Equal(25, source.CachedItems);
    }

    [Fact]
    public void Over_an_hnsw_index_of_als_vectors_the_cache_changes_nothing()
    {
        var random = new Random(7);
        var (data, table) = Interactions(random, users: 150, items: 300);
        var als = new ImplicitAls(new ImplicitAlsOptions { Factors = 16, Iterations = 3, Seed = 7, Threads = 1 });
        als.Fit(data.Interactions);
        using var ann = new AnnSource("ann", als, new Cascade.Ann.HnswOptions { Seed = 7 }, prefitted: true);
        ann.Fit(data);
        var cached = new ItemToItemSource("i2i", als, prefitted: true, similar: ann.SimilarItems);
        var uncached = new ItemToItemSource("i2i", als, prefitted: true, similar: ann.SimilarItems, cacheCapacity: 0);
        for (int r = 0; r < 40; r++)
        {
            var request = new SourceRequest(table, -1, [.. Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(300))], Now);
            var expected = Reference(new IndexSimilarity(ann.SimilarItems, als.ItemCount), request, 100, historyLength: 20, neighbours: 50);
            Assert.NotEmpty(expected);
            AssertSame(expected, Propose(cached, request, 100));
            AssertSame(expected, Propose(cached, request, 100));
            AssertSame(expected, Propose(uncached, request, 100));
        }
        Assert.True(cached.CachedItems > 0);
    }

    /// <summary>The plain algorithm, as the source did it before the cache and the pooled table.</summary>
    private static List<ScoredItem> Reference(ISimilarity model, SourceRequest request, int quota, int historyLength, int neighbours)
    {
        var scores = new Dictionary<int, float>();
        int position = 0;
        foreach (int seed in request.History)
        {
            if (position == historyLength)
            {
                break;
            }
            if (seed >= model.ItemCount)
            {
                continue;
            }
            float weight = 1f / (1 + position++);
            foreach (var r in model.Fresh(seed, neighbours))
            {
                if (request.Allows(r.Item))
                {
                    scores[r.Item] = scores.GetValueOrDefault(r.Item) + weight * r.Score;
                }
            }
        }
        var ranked = scores.ToArray();
        Array.Sort(ranked, static (a, b) => b.Value.CompareTo(a.Value) is var c && c != 0 ? c : a.Key.CompareTo(b.Key));
        return [.. ranked.Take(Math.Max(0, quota)).Select(p => new ScoredItem(p.Key, p.Value))];
    }

    private static List<ScoredItem> Propose(ItemToItemSource source, SourceRequest request, int quota)
    {
        var output = new List<ScoredItem>();
        source.Propose(request, quota, output);
        return output;
    }

    private static void AssertSame(List<ScoredItem> expected, List<ScoredItem> actual)
    {
        Assert.Equal(expected.Select(s => s.Item), actual.Select(s => s.Item));
        Assert.Equal(expected.Select(s => BitConverter.SingleToInt32Bits(s.Score)), actual.Select(s => BitConverter.SingleToInt32Bits(s.Score)));
    }

    /// <summary>A history with repeats, items the model does not know, and random exclusions, category and predicate.</summary>
    private static SourceRequest RandomRequest(Random random, ItemTable table)
    {
        int[] history = [.. Enumerable.Range(0, random.Next(0, 32)).Select(_ => random.Next(3) == 0 ? random.Next(8) : random.Next(table.Count))];
        int[] excluded = [.. Enumerable.Range(0, random.Next(0, 30)).Select(_ => random.Next(table.Count))];
        int category = random.Next(4) == 0 ? random.Next(table.CategoryNames.Count) : -1;
        int modulus = random.Next(2, 6);
        Func<int, bool>? predicate = random.Next(3) == 0 ? item => item % modulus != 0 : null;
        return new SourceRequest(table, -1, history, Now, excludeHistory: random.Next(2) == 0, excluded, category, predicate);
    }

    /// <summary>Items with one of four categories; some hidden, some expired.</summary>
    private static ItemTable Table(int n, Random random) =>
        ItemTable.Build([.. Enumerable.Range(0, n).Select(i => new Item(Apps.Default, $"i{i}", "", [$"c{random.Next(4)}"], [], "{}",
            DateTimeOffset.FromUnixTimeMilliseconds(Now - 1000), random.Next(25) == 0,
            random.Next(25) == 0 ? DateTimeOffset.FromUnixTimeMilliseconds(Now - 1) : null))]);

    private static (PipelineData Data, ItemTable Items) Interactions(Random random, int users, int items)
    {
        var b = new CsrMatrixBuilder();
        for (int u = 0; u < users; u++)
        {
            foreach (int i in Enumerable.Range(0, items).OrderBy(_ => random.Next()).Take(5 + random.Next(10)))
            {
                // Popularity skews to low item ids.
                b.Add(u, Math.Min(i, random.Next(items)), 1, Now - random.Next(100_000));
            }
        }
        var table = Table(items, random);
        return (new PipelineData(b.Build(users, items), table), table);
    }

    /// <summary>Similarity the reference computes afresh on every call.</summary>
    private interface ISimilarity
    {
        int ItemCount { get; }

        Recommendation[] Fresh(int item, int k);
    }

    private sealed class IndexSimilarity(Func<int, int, Recommendation[]> similar, int itemCount) : ISimilarity
    {
        public int ItemCount => itemCount;

        public Recommendation[] Fresh(int item, int k) => similar(item, k);
    }

    /// <summary>
    /// A model whose similar items are a deterministic function of the item: coarse scores (ties), negative scores,
    /// repeated neighbours, and items beyond the table's end now and then. Counts its searches.
    /// </summary>
    private sealed class FakeSimilarity(int itemCount, int seed) : IRecommender, ISimilarity
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public string Name => "fake";

        public bool IsFitted => true;

        public int UserCount => 0;

        public int ItemCount => itemCount;

        public void Fit(CsrMatrix interactions, CancellationToken cancellationToken = default)
        {
        }

        public void Score(int user, Span<float> scores) => scores.Clear();

        public Recommendation[] Recommend(int user, int k, bool excludeSeen = true) => [];

        public Recommendation[][] RecommendBatch(ReadOnlySpan<int> users, int k, bool excludeSeen = true, CancellationToken cancellationToken = default) => [];

        public Recommendation[] SimilarItems(int item, int k)
        {
            Interlocked.Increment(ref _calls);
            return Fresh(item, k);
        }

        public Recommendation[] Fresh(int item, int k)
        {
            var random = new Random(seed * 100_003 + item);
            var result = new Recommendation[Math.Min(k, random.Next(k / 2, k + 1))];
            for (int i = 0; i < result.Length; i++)
            {
                int neighbour = random.Next(50) == 0 ? itemCount + random.Next(40) : random.Next(itemCount);
                result[i] = new Recommendation(neighbour, random.Next(-4, 16) / 8f * (float)Math.Pow(0.9, i));
            }
            return result;
        }

        public void Save(Stream stream) => throw new NotSupportedException();
    }
}
