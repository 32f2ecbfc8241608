namespace Cascade.Core.Tests;

public class IdInternerTests
{
    [Fact]
    public void New_ids_get_dense_ids_in_order_of_first_appearance()
    {
        var interner = new IdInterner();

        Assert.Equal(0, interner.GetOrAdd("b", out bool addedB));
        Assert.Equal(1, interner.GetOrAdd("a", out bool addedA));
        Assert.Equal(0, interner.GetOrAdd("b", out bool addedAgain));
        Assert.Equal(2, interner.GetOrAdd("c"));

        Assert.True(addedB);
        Assert.True(addedA);
        Assert.False(addedAgain);
        Assert.Equal(3, interner.Count);
        Assert.Equal(["b", "a", "c"], interner.ToArray());
    }

    [Fact]
    public void Lookups_do_not_assign_ids_and_names_round_trip()
    {
        var interner = new IdInterner();
        interner.GetOrAdd("x");
        interner.GetOrAdd("y");

        Assert.True(interner.TryGet("y", out int y));
        Assert.Equal(1, y);
        Assert.False(interner.TryGet("z", out _));
        Assert.Equal(2, interner.Count);
        Assert.Equal("x", interner.GetName(0));
        Assert.Equal("y", interner.GetName(1));
    }

    [Fact]
    public void Ids_are_compared_ordinally()
    {
        var interner = new IdInterner();

        int lower = interner.GetOrAdd("item");
        int upper = interner.GetOrAdd("ITEM");
        int accented = interner.GetOrAdd("ite\u0301m");

        Assert.Equal([0, 1, 2], new[] { lower, upper, accented });
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void GetName_of_an_unknown_dense_id_is_refused_with_the_value(int dense)
    {
        var interner = new IdInterner();
        interner.GetOrAdd("a");
        interner.GetOrAdd("b");

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => interner.GetName(dense));
        Assert.Equal("dense", ex.ParamName);
        Assert.Equal(dense, ex.ActualValue);
    }

    [Fact]
    public void A_null_id_is_refused()
    {
        var interner = new IdInterner();

        Assert.Throws<ArgumentNullException>(() => interner.GetOrAdd(null!));
    }

    [Fact]
    public void Restore_rebuilds_a_persisted_mapping_and_accepts_repeats()
    {
        var interner = new IdInterner();

        interner.Restore("u1", 0);
        interner.Restore("u2", 1);
        interner.Restore("u1", 0);

        Assert.Equal(2, interner.Count);
        Assert.Equal(2, interner.GetOrAdd("u3"));
        Assert.Equal(1, interner.GetOrAdd("u2"));
    }

    [Fact]
    public void Restore_refuses_a_mapping_with_a_gap()
    {
        var interner = new IdInterner();
        interner.Restore("u1", 0);

        var ex = Assert.Throws<InvalidDataException>(() => interner.Restore("u3", 2));
        Assert.Contains("u3", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, interner.Count);
    }

    [Fact]
    public void Restore_refuses_a_mapping_that_contradicts_the_one_held()
    {
        var interner = new IdInterner();
        interner.GetOrAdd("a");
        interner.GetOrAdd("b");

        var ex = Assert.Throws<InvalidDataException>(() => interner.Restore("a", 1));
        Assert.Contains("'a'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, interner.GetOrAdd("a"));
    }

    [Fact]
    public void Concurrent_callers_agree_on_one_dense_id_per_string()
    {
        var interner = new IdInterner();
        const int Threads = 4, Ids = 5000;
        var seen = new int[Threads][];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var mine = new int[Ids];
            var random = new Random(t);
            foreach (int i in Enumerable.Range(0, Ids).OrderBy(_ => random.Next()))
            {
                mine[i] = interner.GetOrAdd("id-" + i);
            }
            seen[t] = mine;
        });

        Assert.Equal(Ids, interner.Count);
        for (int t = 1; t < Threads; t++)
        {
            Assert.Equal(seen[0], seen[t]);
        }
        Assert.Equal(Enumerable.Range(0, Ids), seen[0].Order());
        for (int i = 0; i < Ids; i++)
        {
            Assert.Equal("id-" + i, interner.GetName(seen[0][i]));
        }
    }
}
