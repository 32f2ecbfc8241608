namespace Cascade.Ann.Tests;

public class GoldenFileTests
{
    private const int Dim = 4;
    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "Data", "hnsw-v1.bin");

    /// <summary>The index the golden file was written from: deterministic data, one build thread, fixed seed.</summary>
    private static HnswIndex BuildReference()
    {
        float[] data = TestData.Clustered(64, Dim, 4, seed: 201);
        var index = new HnswIndex(Dim, DistanceMetric.L2, new HnswOptions { M = 4, EfConstruction = 16, EfSearch = 8, Seed = 5, MaxDegreeOfParallelism = 1 });
        index.AddRange(data);
        index.Delete(10);
        index.Delete(20);
        return index;
    }

    [Fact]
    public void A_version_1_file_written_by_an_earlier_build_loads_and_answers_like_the_index_it_came_from()
    {
        // To regenerate after a deliberate format change (with a version bump): CASCADE_WRITE_GOLDEN=<path to Data/hnsw-v1.bin>.
        string? write = Environment.GetEnvironmentVariable("CASCADE_WRITE_GOLDEN");
        using HnswIndex reference = BuildReference();
        if (!string.IsNullOrEmpty(write))
        {
            reference.Save(write);
        }

        using HnswIndex golden = HnswIndex.Load(GoldenPath);

        Assert.Equal(64, golden.Count);
        Assert.Equal(2, golden.DeletedCount);
        Assert.True(golden.IsDeleted(10));
        float[] queries = TestData.Clustered(16, Dim, 4, seed: 201, sampleSeed: 202);
        for (int i = 0; i < 16; i++)
        {
            ReadOnlySpan<float> q = queries.AsSpan(i * Dim, Dim);
            Assert.Equal(reference.Search(q, 5), golden.Search(q, 5));
        }
    }

    [Fact]
    public void Saving_the_reference_index_reproduces_the_golden_file_byte_for_byte()
    {
        using HnswIndex reference = BuildReference();
        string path = Path.Combine(Path.GetTempPath(), $"cascade-golden-{Environment.ProcessId}.hnsw");
        try
        {
            reference.Save(path);
            Assert.Equal(File.ReadAllBytes(GoldenPath), File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
