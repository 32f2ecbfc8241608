namespace Cascade.Ann.Tests;

public sealed class ReadmeExampleTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"cascade-readme-{Environment.ProcessId}.hnsw");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void The_readme_example_runs_and_does_what_it_says()
    {
        float[] embeddings = TestData.Clustered(2000, 64, 20, seed: 301);
        float[] query = embeddings.AsSpan(5 * 64, 64).ToArray();
        int[] itemsOfCategory = [5, 17, 400, 1999];
        int itemId = 17;

        // Same statements as src/Cascade.Ann/README.md.
        using var index = new HnswIndex(dimension: 64, DistanceMetric.Cosine, new HnswOptions { M = 16, EfConstruction = 200 });
        index.AddRange(embeddings);
        Neighbor[] top = index.Search(query, k: 10);
        var inCategory = new AllowList(index.Count);
        foreach (int id in itemsOfCategory)
        {
            inCategory.Add(id);
        }
        Span<Neighbor> filtered = stackalloc Neighbor[10];
        int found = index.Search(query, filtered, ef: 64, inCategory);
        index.Delete(itemId);
        index.Save(_path);
        using var served = HnswIndex.Load(_path, HnswLoadMode.MemoryMapped);

        Assert.Equal(5, top[0].Id);
        Assert.Equal(4, found);
        Assert.Equal(5, filtered[0].Id);
        Assert.DoesNotContain(served.Search(embeddings.AsSpan(17 * 64, 64), 10), n => n.Id == 17);
    }
}
