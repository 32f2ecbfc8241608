namespace Cascade.Core.Tests;

public class CsrMatrixTests
{
    // 3 × 4:  row 0: (1, 1.5 @10) (3, 2 @20); row 1: empty; row 2: (0, 4 @30) (1, 5 @40) (2, 6 @50)
    private static CsrMatrix Sample() => new(
        3, 4,
        [0, 2, 2, 5],
        [1, 3, 0, 1, 2],
        [1.5f, 2f, 4f, 5f, 6f],
        [10, 20, 30, 40, 50]);

    [Fact]
    public void Rows_expose_their_entries_and_missing_entries_read_as_zero()
    {
        var m = Sample();

        Assert.Equal(3, m.Rows);
        Assert.Equal(4, m.Columns);
        Assert.Equal(5, m.NonZeros);
        Assert.Equal([1, 3], m.RowIndices(0).ToArray());
        Assert.Equal([1.5f, 2f], m.RowValues(0).ToArray());
        Assert.Equal([10L, 20L], m.RowTimestamps(0).ToArray());
        Assert.Equal(0, m.RowLength(1));
        Assert.True(m.RowIndices(1).IsEmpty);
        Assert.Equal(3, m.RowLength(2));
        Assert.Equal(2f, m.Get(0, 3));
        Assert.Equal(0f, m.Get(0, 0));
        Assert.Equal(0f, m.Get(1, 2));
        Assert.Equal(5f, m.Get(2, 1));
    }

    [Fact]
    public void Transpose_swaps_rows_and_columns_keeping_values_and_timestamps()
    {
        var t = Sample().Transpose();

        Assert.Equal(4, t.Rows);
        Assert.Equal(3, t.Columns);
        Assert.Equal([0, 1, 3, 4, 5], t.RowPointers);
        Assert.Equal([2, 0, 2, 2, 0], t.ColumnIndices);
        Assert.Equal([4f, 1.5f, 5f, 6f, 2f], t.Values);
        Assert.Equal([30L, 10L, 40L, 50L, 20L], t.Timestamps!);
    }

    [Fact]
    public void Transposing_twice_gives_back_the_same_matrix()
    {
        var m = Sample();
        var back = m.Transpose().Transpose();

        Assert.Equal(m.Rows, back.Rows);
        Assert.Equal(m.Columns, back.Columns);
        Assert.Equal(m.RowPointers, back.RowPointers);
        Assert.Equal(m.ColumnIndices, back.ColumnIndices);
        Assert.Equal(m.Values, back.Values);
        Assert.Equal(m.Timestamps, back.Timestamps);
    }

    [Fact]
    public void A_matrix_without_timestamps_transposes_without_them()
    {
        var m = new CsrMatrix(2, 2, [0, 1, 2], [1, 0], [3f, 4f]);

        var t = m.Transpose();

        Assert.Null(t.Timestamps);
        Assert.True(t.RowTimestamps(0).IsEmpty);
        Assert.Equal(4f, t.Get(0, 1));
        Assert.Equal(3f, t.Get(1, 0));
    }

    [Fact]
    public void An_empty_matrix_is_valid()
    {
        var m = new CsrMatrix(0, 0, [0], [], []);

        Assert.Equal(0, m.NonZeros);
        Assert.Equal(0, m.Transpose().Rows);
    }

    public static TheoryData<string, int, int, int[], int[], float[], long[]?> InvalidArrays => new()
    {
        { "rowPointers", 2, 3, [0, 1], [0], [1f], null },                       // wrong length
        { "rowPointers", 2, 3, [1, 1, 1], [0], [1f], null },                    // does not start at 0
        { "rowPointers", 2, 3, [0, 1, 2], [0], [1f], null },                    // nnz disagrees with columnIndices
        { "rowPointers", 2, 3, [0, 1, 2], [0, 1], [1f], null },                 // values too short
        { "rowPointers", 2, 3, [0, 1, 2], [0, 1], [1f, 2f], [5L] },             // timestamps too short
        { "rowPointers", 2, 3, [0, 2, 1], [0], [1f], null },                    // decreasing
        { "rowPointers", 2, 3, [0, 3, 2], [0, 1], [1f, 2f], null },             // a row runs past nnz
        { "columnIndices", 1, 3, [0, 2], [2, 1], [1f, 2f], null },              // not ascending
        { "columnIndices", 1, 3, [0, 2], [1, 1], [1f, 2f], null },              // duplicate column
        { "columnIndices", 1, 3, [0, 1], [3], [1f], null },                     // column out of range
        { "columnIndices", 1, 3, [0, 1], [-1], [1f], null },                    // negative column
    };

    [Theory]
    [MemberData(nameof(InvalidArrays))]
    public void Invalid_CSR_arrays_are_refused_naming_the_argument(string param, int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values, long[]? timestamps)
    {
        var ex = Assert.Throws<ArgumentException>(() => new CsrMatrix(rows, columns, rowPointers, columnIndices, values, timestamps));

        Assert.Equal(param, ex.ParamName);
    }

    [Fact]
    public void Negative_dimensions_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CsrMatrix(-1, 0, [0], [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CsrMatrix(0, -1, [0], [], []));
    }
}
