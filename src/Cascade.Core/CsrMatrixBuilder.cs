namespace Cascade.Core;

/// <summary>
/// Accumulates (row, column, weight, timestamp) triples in any order and builds a <see cref="CsrMatrix"/>:
/// duplicates are merged by summing weights and keeping the latest timestamp. Building is O(nnz log d),
/// d the longest row, with rows sorted in parallel.
/// </summary>
public sealed class CsrMatrixBuilder
{
    private int[] _rows;
    private int[] _columns;
    private float[] _weights;
    private long[] _times;
    private int _count;
    private readonly bool _frozen;

    /// <summary>Creates a builder with room for <paramref name="capacity"/> triples before it grows.</summary>
    public CsrMatrixBuilder(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        capacity = Math.Max(capacity, 16);
        _rows = new int[capacity];
        _columns = new int[capacity];
        _weights = new float[capacity];
        _times = new long[capacity];
    }

    /// <summary>Number of triples added so far.</summary>
    public int Count => _count;

    /// <summary>Adds one interaction.</summary>
    /// <param name="row">Dense user id (≥ 0).</param>
    /// <param name="column">Dense item id (≥ 0).</param>
    /// <param name="weight">Weight added to the entry.</param>
    /// <param name="timestampMs">Unix time in milliseconds; the entry keeps the latest.</param>
    public void Add(int row, int column, float weight, long timestampMs)
    {
        if (_frozen)
        {
            throw new InvalidOperationException("A frozen builder is a read-only view; add to the builder it was taken from.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        if (_count == _rows.Length)
        {
            int size = checked(_count * 2);
            Array.Resize(ref _rows, size);
            Array.Resize(ref _columns, size);
            Array.Resize(ref _weights, size);
            Array.Resize(ref _times, size);
        }
        _rows[_count] = row;
        _columns[_count] = column;
        _weights[_count] = weight;
        _times[_count] = timestampMs;
        _count++;
    }

    /// <summary>
    /// A read-only view of the entries added so far that stays valid while this builder keeps growing (entries are
    /// only ever appended, and a growing builder copies into new arrays), so a snapshot can be built from it on
    /// another thread without copying. Take it under the lock that serialises <see cref="Add"/>.
    /// </summary>
    public CsrMatrixBuilder Freeze() => new(_rows, _columns, _weights, _times, _count);

    /// <summary>Writes the entries added so far: their count, then rows, columns, weights and times as little-endian arrays.</summary>
    /// <param name="writer">The destination.</param>
    public void WriteEntries(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_count);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_rows.AsSpan(0, _count)));
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_columns.AsSpan(0, _count)));
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_weights.AsSpan(0, _count)));
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_times.AsSpan(0, _count)));
    }

    /// <summary>
    /// Appends entries written by <see cref="WriteEntries"/>, checking each row and column against the bounds.
    /// </summary>
    /// <param name="reader">The source.</param>
    /// <param name="rows">Rows must be below this.</param>
    /// <param name="columns">Columns must be below this.</param>
    /// <exception cref="InvalidDataException">The count or an entry is out of range.</exception>
    public void ReadEntries(BinaryReader reader, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int n = reader.ReadInt32();
        if (n < 0 || (long)n * 20 > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException($"Entry count {n} does not fit the data left.");
        }
        var r = new int[n];
        var c = new int[n];
        var w = new float[n];
        var t = new long[n];
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.AsSpan()));
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(c.AsSpan()));
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()));
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.AsSpan()));
        for (int i = 0; i < n; i++)
        {
            if ((uint)r[i] >= (uint)rows || (uint)c[i] >= (uint)columns)
            {
                throw new InvalidDataException($"Entry {i} at ({r[i]}, {c[i]}) is outside {rows} × {columns}.");
            }
            Add(r[i], c[i], w[i], t[i]);
        }
    }

    private CsrMatrixBuilder(int[] rows, int[] columns, float[] weights, long[] times, int count)
    {
        _rows = rows;
        _columns = columns;
        _weights = weights;
        _times = times;
        _count = count;
        _frozen = true;
    }

    /// <summary>Builds the matrix.</summary>
    /// <param name="rows">Number of rows, at least one more than the largest row added (−1: derive).</param>
    /// <param name="columns">Number of columns, likewise (−1: derive).</param>
    /// <param name="dropNonPositive">Drop entries whose summed weight is ≤ 0 (for example a like undone by a dislike).</param>
    public CsrMatrix Build(int rows = -1, int columns = -1, bool dropNonPositive = false)
    {
        int n = _count;
        int maxRow = -1, maxCol = -1;
        for (int i = 0; i < n; i++)
        {
            maxRow = Math.Max(maxRow, _rows[i]);
            maxCol = Math.Max(maxCol, _columns[i]);
        }
        rows = rows < 0 ? maxRow + 1 : rows;
        columns = columns < 0 ? maxCol + 1 : columns;
        if (maxRow >= rows || maxCol >= columns)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"Entries reach row {maxRow} and column {maxCol}, beyond the requested {rows} × {columns}.");
        }

        // Counting sort by row: stable, O(n).
        var start = new int[rows + 1];
        for (int i = 0; i < n; i++)
        {
            start[_rows[i] + 1]++;
        }
        for (int r = 0; r < rows; r++)
        {
            start[r + 1] += start[r];
        }
        var next = start.AsSpan(0, rows).ToArray();
        var cols = new int[n];
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            int dst = next[_rows[i]]++;
            cols[dst] = _columns[i];
            order[dst] = i;
        }

        // Sort each row by column, then merge duplicates in place; rows are independent.
        var kept = new int[rows];
        var values = new float[n];
        var times = new long[n];
        float[] srcW = _weights;
        long[] srcT = _times;
        Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => 0, (r, _, _) =>
        {
            int s = start[r], len = start[r + 1] - s;
            if (len == 0)
            {
                return 0;
            }
            if (len > 1)
            {
                Array.Sort(cols, order, s, len);
            }
            int w = s;
            for (int i = s; i < s + len; i++)
            {
                int src = order[i];
                if (w > s && cols[w - 1] == cols[i])
                {
                    values[w - 1] += srcW[src];
                    times[w - 1] = Math.Max(times[w - 1], srcT[src]);
                    continue;
                }
                cols[w] = cols[i];
                values[w] = srcW[src];
                times[w] = srcT[src];
                w++;
            }
            if (dropNonPositive)
            {
                int k = s;
                for (int i = s; i < w; i++)
                {
                    if (values[i] > 0)
                    {
                        cols[k] = cols[i];
                        values[k] = values[i];
                        times[k] = times[i];
                        k++;
                    }
                }
                w = k;
            }
            kept[r] = w - s;
            return 0;
        }, _ => { });

        // Compact rows that shrank.
        var pointers = new int[rows + 1];
        for (int r = 0; r < rows; r++)
        {
            pointers[r + 1] = pointers[r] + kept[r];
        }
        int nnz = pointers[rows];
        if (nnz != n)
        {
            for (int r = 0; r < rows; r++)
            {
                int from = start[r], to = pointers[r], len = kept[r];
                if (from != to)
                {
                    Array.Copy(cols, from, cols, to, len);
                    Array.Copy(values, from, values, to, len);
                    Array.Copy(times, from, times, to, len);
                }
            }
            Array.Resize(ref cols, nnz);
            Array.Resize(ref values, nnz);
            Array.Resize(ref times, nnz);
        }
        return new CsrMatrix(rows, columns, pointers, cols, values, times);
    }
}
