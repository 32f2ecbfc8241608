using Cascade.Core.Domain;
using Cascade.Pipeline.Reranking;

namespace Cascade.Pipeline.Tests.Reranking;

/// <summary>Builds small item tables and candidate lists for re-ranker tests.</summary>
internal static class RerankTestData
{
    public static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    public static Item Item(string id, string[]? categories = null, string[]? tags = null, string attributes = "{}",
        DateTimeOffset? created = null, bool hidden = false) =>
        new("app", id, id, categories ?? [], tags ?? [], attributes, created ?? Epoch, hidden, null);

    /// <summary>Items i0..i(n-1) with primary category "c(i % categories)", a tag, a series and optional embeddings.</summary>
    public static ItemTable RandomTable(int n, int seed, int categories = 5, int dimension = 0)
    {
        var random = new Random(seed);
        var items = new Item[n];
        for (int i = 0; i < n; i++)
        {
            string series = random.Next(4) == 0 ? "null" : $"\"s{random.Next(n / 3 + 1)}\"";
            items[i] = Item($"i{i}", [$"c{random.Next(categories)}", $"sub{random.Next(3)}"], [$"t{random.Next(6)}"],
                $"{{\"series\": {series}}}", Epoch.AddHours(-random.Next(100)));
        }
        var table = ItemTable.Build(items, ["series", "author"]);
        if (dimension > 0)
        {
            var e = new float[n * dimension];
            for (int i = 0; i < e.Length; i++)
            {
                e[i] = (float)(random.NextDouble() * 2 - 1);
            }
            table.SetEmbeddings(e, dimension);
        }
        return table;
    }

    /// <summary>Candidates for items 0..n-1 in a random order, sorted by descending random score.</summary>
    public static List<Candidate> RandomCandidates(ItemTable table, int n, int seed, bool explain = false)
    {
        var random = new Random(seed);
        var order = Enumerable.Range(0, table.Count).OrderBy(_ => random.Next()).Take(n).ToArray();
        var list = order.Select(i => new Candidate(i, (float)random.NextDouble(), "test")).OrderByDescending(c => c.Score).ToList();
        if (explain)
        {
            list.ForEach(c => c.StartTrail());
        }
        return list;
    }

    /// <summary>Candidates for the given items with descending scores 1, 0.9, 0.8, …</summary>
    public static List<Candidate> Candidates(ItemTable table, params string[] ids) =>
        [.. ids.Select((id, k) => new Candidate(table.IndexOf(id), 1f - 0.1f * k, "test"))];

    public static RerankContext Context(ItemTable table, int pageSize = 10, ulong seed = 7, bool explain = false) =>
        new(table, pageSize, Epoch.ToUnixTimeMilliseconds(), seed, explain);

    public static string[] Ids(ItemTable table, List<Candidate> list) => [.. list.Select(c => table.Ids[c.Item])];
}
