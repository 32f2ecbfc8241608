using Cascade.Models.Serialization;

namespace Cascade.Models;

/// <summary>A compact row-major sparse matrix (CSR without timestamps or ordering guarantees) for fitted item × item weights.</summary>
internal sealed class SparseRows
{
    public SparseRows(int rows, int columns, int[] pointers, int[] indices, float[] values)
    {
        if (pointers.Length != rows + 1 || pointers[0] != 0 || indices.Length != pointers[rows] || values.Length != indices.Length)
        {
            throw new InvalidDataException($"Sparse rows are inconsistent: {rows} rows, {pointers.Length} pointers, {indices.Length} indices, {values.Length} values.");
        }
        for (int r = 0; r < rows; r++)
        {
            if (pointers[r + 1] < pointers[r])
            {
                throw new InvalidDataException($"Sparse row pointers decrease at row {r}.");
            }
        }
        foreach (int c in indices)
        {
            if ((uint)c >= (uint)columns)
            {
                throw new InvalidDataException($"Sparse column {c} is outside 0..{columns - 1}.");
            }
        }
        Rows = rows;
        Columns = columns;
        Pointers = pointers;
        Indices = indices;
        Values = values;
    }

    public int Rows { get; }

    public int Columns { get; }

    public int[] Pointers { get; }

    public int[] Indices { get; }

    public float[] Values { get; }

    public int NonZeros => Pointers[Rows];

    public ReadOnlySpan<int> RowIndices(int row) => Indices.AsSpan(Pointers[row], Pointers[row + 1] - Pointers[row]);

    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan(Pointers[row], Pointers[row + 1] - Pointers[row]);

    /// <summary>scores += weight × row <paramref name="row"/>.</summary>
    public void AddScaledRow(int row, float weight, Span<float> scores)
    {
        ReadOnlySpan<int> idx = RowIndices(row);
        ReadOnlySpan<float> val = RowValues(row);
        for (int i = 0; i < idx.Length; i++)
        {
            scores[idx[i]] += weight * val[i];
        }
    }

    /// <summary>Writes row <paramref name="row"/> densely into zeroed <paramref name="scores"/>.</summary>
    public void Scatter(int row, Span<float> scores)
    {
        ReadOnlySpan<int> idx = RowIndices(row);
        ReadOnlySpan<float> val = RowValues(row);
        for (int i = 0; i < idx.Length; i++)
        {
            scores[idx[i]] = val[i];
        }
    }

    public SparseRows Transpose()
    {
        var pointers = new int[Columns + 1];
        foreach (int c in Indices)
        {
            pointers[c + 1]++;
        }
        for (int c = 0; c < Columns; c++)
        {
            pointers[c + 1] += pointers[c];
        }
        int[] next = pointers.AsSpan(0, Columns).ToArray();
        var indices = new int[NonZeros];
        var values = new float[NonZeros];
        for (int r = 0; r < Rows; r++)
        {
            for (int i = Pointers[r]; i < Pointers[r + 1]; i++)
            {
                int dst = next[Indices[i]]++;
                indices[dst] = r;
                values[dst] = Values[i];
            }
        }
        return new SparseRows(Columns, Rows, pointers, indices, values);
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Rows);
        writer.Write(Columns);
        writer.WriteArray(Pointers);
        writer.WriteArray(Indices);
        writer.WriteArray(Values);
    }

    public static SparseRows Read(BinaryReader reader)
    {
        int rows = reader.ReadInt32();
        int columns = reader.ReadInt32();
        if (rows < 0 || columns < 0)
        {
            throw new InvalidDataException($"Sparse matrix shape {rows} × {columns} is negative.");
        }
        return new SparseRows(rows, columns, reader.ReadInt32Array(), reader.ReadInt32Array(), reader.ReadSingleArray());
    }
}
