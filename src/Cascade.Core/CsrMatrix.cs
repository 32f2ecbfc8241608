namespace Cascade.Core;

/// <summary>
/// A compressed sparse row matrix of interaction weights (rows are users, columns items), with the latest
/// timestamp of each entry. Immutable once built; column indices are sorted within each row.
/// </summary>
public sealed class CsrMatrix
{
    /// <summary>Wraps already-built CSR arrays after checking that they describe a valid matrix.</summary>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Number of columns.</param>
    /// <param name="rowPointers">Length <paramref name="rows"/> + 1; row r's entries are [rowPointers[r], rowPointers[r+1]).</param>
    /// <param name="columnIndices">Column of each entry, ascending within a row.</param>
    /// <param name="values">Value of each entry.</param>
    /// <param name="timestamps">Latest Unix time in milliseconds of each entry, or null.</param>
    public CsrMatrix(int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values, long[]? timestamps = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentNullException.ThrowIfNull(rowPointers);
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (rowPointers.Length != rows + 1)
        {
            throw new ArgumentException($"rowPointers has {rowPointers.Length} entries; a matrix of {rows} rows needs {rows + 1}.", nameof(rowPointers));
        }
        int nnz = rowPointers[rows];
        if (rowPointers[0] != 0 || columnIndices.Length != nnz || values.Length != nnz || (timestamps is not null && timestamps.Length != nnz))
        {
            throw new ArgumentException($"CSR arrays disagree: rowPointers ends at {nnz}, columnIndices has {columnIndices.Length}, values {values.Length}.", nameof(rowPointers));
        }
        for (int r = 0; r < rows; r++)
        {
            int start = rowPointers[r], end = rowPointers[r + 1];
            if (end < start || end > nnz)
            {
                throw new ArgumentException($"rowPointers[{r + 1}] = {end} is below rowPointers[{r}] = {start} or beyond the {nnz} entries.", nameof(rowPointers));
            }
            for (int i = start; i < end; i++)
            {
                int c = columnIndices[i];
                if ((uint)c >= (uint)columns || (i > start && c <= columnIndices[i - 1]))
                {
                    throw new ArgumentException($"Column {c} at entry {i} of row {r} is out of range or not strictly ascending.", nameof(columnIndices));
                }
            }
        }
        Rows = rows;
        Columns = columns;
        RowPointers = rowPointers;
        ColumnIndices = columnIndices;
        Values = values;
        Timestamps = timestamps;
    }

    /// <summary>Number of rows (users).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (items).</summary>
    public int Columns { get; }

    /// <summary>Number of stored entries.</summary>
    public int NonZeros => RowPointers[Rows];

    /// <summary>Row r's entries are [RowPointers[r], RowPointers[r+1]).</summary>
    public int[] RowPointers { get; }

    /// <summary>Column index of each entry.</summary>
    public int[] ColumnIndices { get; }

    /// <summary>Value of each entry.</summary>
    public float[] Values { get; }

    /// <summary>Latest Unix time in milliseconds of each entry, or null when not tracked.</summary>
    public long[]? Timestamps { get; }

    /// <summary>The column indices of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> RowIndices(int row) => ColumnIndices.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    /// <summary>The values of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    /// <summary>The timestamps of row <paramref name="row"/> (empty when not tracked).</summary>
    public ReadOnlySpan<long> RowTimestamps(int row) =>
        Timestamps is null ? default : Timestamps.AsSpan(RowPointers[row], RowPointers[row + 1] - RowPointers[row]);

    /// <summary>Number of entries in row <paramref name="row"/>.</summary>
    public int RowLength(int row) => RowPointers[row + 1] - RowPointers[row];

    /// <summary>The value at (row, column), or 0 when absent. O(log row length).</summary>
    public float Get(int row, int column)
    {
        int i = RowIndices(row).BinarySearch(column);
        return i >= 0 ? Values[RowPointers[row] + i] : 0f;
    }

    /// <summary>Returns the transpose (columns become rows), keeping values and timestamps. O(nnz).</summary>
    public CsrMatrix Transpose()
    {
        int nnz = NonZeros;
        var pointers = new int[Columns + 1];
        foreach (int c in ColumnIndices)
        {
            pointers[c + 1]++;
        }
        for (int c = 0; c < Columns; c++)
        {
            pointers[c + 1] += pointers[c];
        }
        var next = pointers.AsSpan(0, Columns).ToArray();
        var indices = new int[nnz];
        var values = new float[nnz];
        long[]? times = Timestamps is null ? null : new long[nnz];
        for (int r = 0; r < Rows; r++)
        {
            for (int i = RowPointers[r]; i < RowPointers[r + 1]; i++)
            {
                int dst = next[ColumnIndices[i]]++;
                indices[dst] = r; // rows are visited in order, so each output row stays sorted
                values[dst] = Values[i];
                if (times is not null)
                {
                    times[dst] = Timestamps![i];
                }
            }
        }
        return new CsrMatrix(Columns, Rows, pointers, indices, values, times);
    }
}
