namespace Cascade.Ann.Tests;

public class DeletionTests
{
    private const int Dim = 16;

    private static (HnswIndex Index, float[] Data) Build(int count, int seed)
    {
        float[] data = TestData.Clustered(count, Dim, 30, seed);
        var index = new HnswIndex(Dim, DistanceMetric.L2, new HnswOptions { M = 12, EfConstruction = 80, Seed = 5 });
        index.AddRange(data);
        return (index, data);
    }

    [Fact]
    public void No_deleted_id_is_ever_returned_and_recall_over_the_live_items_holds()
    {
        (HnswIndex index, float[] data) = Build(6000, seed: 51);
        using (index)
        {
            var rng = new Random(52);
            var deleted = new HashSet<int>();
            while (deleted.Count < 1200)
            {
                int id = rng.Next(6000);
                if (deleted.Add(id))
                {
                    Assert.True(index.Delete(id));
                }
            }
            var exact = new FlatIndex(Dim, DistanceMetric.L2);
            exact.AddRange(data);
            var live = new PredicateFilter(id => !deleted.Contains(id));
            float[] queries = TestData.Clustered(150, Dim, 30, seed: 51, sampleSeed: 53);

            double recall = TestData.Recall(exact, q =>
            {
                Neighbor[] r = index.Search(q, 10);
                Assert.All(r, n => Assert.DoesNotContain(n.Id, deleted));
                return r;
            }, queries, 10, live);

            // Deleted items themselves as queries: the closest answer must be someone else.
            foreach (int id in deleted.Take(100))
            {
                Neighbor[] r = index.Search(data.AsSpan(id * Dim, Dim), 50);
                Assert.All(r, n => Assert.DoesNotContain(n.Id, deleted));
            }
            Assert.Equal(1200, index.DeletedCount);
            Assert.True(recall >= 0.95, $"recall@10 over live items = {recall:F4}");
        }
    }

    [Fact]
    public void Deleting_the_entry_point_again_and_again_keeps_the_index_searchable()
    {
        (HnswIndex index, float[] data) = Build(2000, seed: 61);
        using (index)
        {
            for (int i = 0; i < 5; i++)
            {
                int entry = index.EntryPoint;
                Assert.True(index.Delete(entry));
                Assert.NotEqual(entry, index.EntryPoint);
                Assert.False(index.IsDeleted(index.EntryPoint));
            }

            Neighbor[] r = index.Search(data.AsSpan(1999 * Dim, Dim), 5);

            Assert.Equal(5, r.Length);
            Assert.All(r, n => Assert.False(index.IsDeleted(n.Id)));
        }
    }

    [Fact]
    public void Deleting_twice_reports_false_and_items_added_after_deletions_are_found()
    {
        (HnswIndex index, float[] data) = Build(3000, seed: 71);
        using (index)
        {
            for (int id = 0; id < 3000; id += 3)
            {
                index.Delete(id);
            }
            Assert.False(index.Delete(0));

            int added = index.Add(data.AsSpan(0, Dim));
            Neighbor[] r = index.Search(data.AsSpan(0, Dim), 3);

            Assert.Equal(3000, added);
            Assert.Equal(added, r[0].Id);
            Assert.All(r, n => Assert.False(index.IsDeleted(n.Id)));
        }
    }
}
