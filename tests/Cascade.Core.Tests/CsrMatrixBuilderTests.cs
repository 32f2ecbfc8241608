namespace Cascade.Core.Tests;

public class CsrMatrixBuilderTests
{
    [Fact]
    public void Duplicates_are_merged_by_summing_weights_and_keeping_the_latest_timestamp()
    {
        var b = new CsrMatrixBuilder();
        b.Add(0, 2, 1f, 100);
        b.Add(1, 0, 4f, 50);
        b.Add(0, 2, 2f, 300);
        b.Add(0, 1, 1f, 10);
        b.Add(0, 2, 0.5f, 200);

        var m = b.Build();

        Assert.Equal(2, m.Rows);
        Assert.Equal(3, m.Columns);
        Assert.Equal(3, m.NonZeros);
        Assert.Equal([1, 2], m.RowIndices(0).ToArray());
        Assert.Equal([1f, 3.5f], m.RowValues(0).ToArray());
        Assert.Equal([10L, 300L], m.RowTimestamps(0).ToArray());
        Assert.Equal(4f, m.Get(1, 0));
        Assert.Equal(50L, m.RowTimestamps(1)[0]);
        Assert.Equal(5, b.Count);
    }

    [Fact]
    public void Requested_dimensions_larger_than_the_data_leave_empty_rows_and_columns()
    {
        var b = new CsrMatrixBuilder();
        b.Add(1, 1, 1f, 1);

        var m = b.Build(rows: 5, columns: 7);

        Assert.Equal(5, m.Rows);
        Assert.Equal(7, m.Columns);
        Assert.Equal([0, 0, 1, 1, 1, 1], m.RowPointers);
    }

    [Fact]
    public void Requested_dimensions_smaller_than_the_data_are_refused()
    {
        var b = new CsrMatrixBuilder();
        b.Add(3, 1, 1f, 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => b.Build(rows: 3, columns: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Build(rows: 4, columns: 1));
    }

    [Fact]
    public void Negative_rows_and_columns_are_refused_when_added()
    {
        var b = new CsrMatrixBuilder();

        Assert.Throws<ArgumentOutOfRangeException>(() => b.Add(-1, 0, 1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => b.Add(0, -1, 1f, 0));
        Assert.Equal(0, b.Count);
    }

    [Fact]
    public void An_empty_builder_builds_an_empty_matrix()
    {
        var m = new CsrMatrixBuilder(0).Build();

        Assert.Equal(0, m.Rows);
        Assert.Equal(0, m.Columns);
        Assert.Equal(0, m.NonZeros);
    }

    [Fact]
    public void DropNonPositive_removes_entries_whose_sum_is_zero_or_negative_and_compacts_rows()
    {
        var b = new CsrMatrixBuilder();
        b.Add(0, 0, 2f, 1);   // like
        b.Add(0, 0, -2f, 2);  // undone by a dislike → 0, dropped
        b.Add(0, 1, 1f, 3);
        b.Add(1, 0, -2f, 4);  // only a dislike → dropped
        b.Add(1, 2, 4f, 5);
        b.Add(2, 1, 1f, 6);
        b.Add(2, 1, -3f, 7);  // net −2 → dropped; the row becomes empty
        b.Add(3, 2, 1f, 8);

        var kept = b.Build(dropNonPositive: true);
        var all = b.Build(dropNonPositive: false);

        Assert.Equal(4, kept.Rows);
        Assert.Equal([0, 1, 2, 2, 3], kept.RowPointers);
        Assert.Equal([1, 2, 2], kept.ColumnIndices);
        Assert.Equal([1f, 4f, 1f], kept.Values);
        Assert.Equal([3L, 5L, 8L], kept.Timestamps!);
        Assert.Equal(6, all.NonZeros);
        Assert.Equal(0f, all.Get(0, 0));
        Assert.Equal(-2f, all.Get(2, 1));
        Assert.Equal(7L, all.RowTimestamps(2)[0]);
    }

    [Fact]
    public void Building_twice_gives_the_same_matrix_and_adding_after_a_build_keeps_earlier_triples()
    {
        var b = new CsrMatrixBuilder(1);
        for (int i = 0; i < 100; i++)
        {
            b.Add(i % 7, i % 11, 1f, i);
        }
        var first = b.Build();
        var second = b.Build();
        b.Add(0, 0, 10f, 1000);
        var third = b.Build();

        Assert.Equal(first.ColumnIndices, second.ColumnIndices);
        Assert.Equal(first.Values, second.Values);
        Assert.Equal(first.Get(0, 0) + 10f, third.Get(0, 0));
        Assert.Equal(1000L, third.RowTimestamps(0)[0]);
        Assert.Equal(101, b.Count);
    }

    [Theory]
    [InlineData(1, 10, 10, 100, false)]
    [InlineData(2, 50, 30, 5000, false)]
    [InlineData(3, 500, 2000, 20000, true)]
    [InlineData(4, 3, 4, 2000, true)]
    [InlineData(5, 1000, 1, 3000, true)]
    public void The_built_matrix_matches_a_naive_dictionary_reference_on_random_data(int seed, int rows, int columns, int count, bool dropNonPositive)
    {
        var random = new Random(seed);
        var builder = new CsrMatrixBuilder(16);
        var reference = new Dictionary<(int Row, int Column), (double Sum, long Latest)>();
        for (int i = 0; i < count; i++)
        {
            // Skewed rows and columns so that duplicates and long rows are common.
            int r = (int)(rows * Math.Pow(random.NextDouble(), 2));
            int c = (int)(columns * Math.Pow(random.NextDouble(), 3));
            float w = random.Next(-2, 5); // small integers: float sums are exact in any order
            long t = random.NextInt64(0, 1_000_000_000_000);
            builder.Add(r, c, w, t);
            reference[(r, c)] = reference.TryGetValue((r, c), out var e) ? (e.Sum + w, Math.Max(e.Latest, t)) : (w, t);
        }

        var m = builder.Build(rows, columns, dropNonPositive);

        var expected = reference.Where(kv => !dropNonPositive || kv.Value.Sum > 0).ToDictionary();
        Assert.Equal(rows, m.Rows);
        Assert.Equal(columns, m.Columns);
        Assert.Equal(expected.Count, m.NonZeros);
        for (int r = 0; r < m.Rows; r++)
        {
            var cols = m.RowIndices(r);
            for (int k = 0; k < cols.Length; k++)
            {
                Assert.True(k == 0 || cols[k - 1] < cols[k], $"row {r} is not strictly ascending");
                Assert.True(expected.TryGetValue((r, cols[k]), out var e), $"({r}, {cols[k]}) is not in the reference");
                Assert.Equal(e.Sum, m.RowValues(r)[k]);
                Assert.Equal(e.Latest, m.RowTimestamps(r)[k]);
            }
        }

        // The transpose holds the same entries.
        var t2 = m.Transpose();
        Assert.Equal(m.NonZeros, t2.NonZeros);
        foreach (var ((r, c), e) in expected)
        {
            Assert.Equal(e.Sum, t2.Get(c, r));
        }
    }
}
