using Cascade.Core;

namespace Cascade.Models;

/// <summary>
/// Builds item × item weight rows from a left factor (item → users) and a right factor (user → items):
/// row i accumulates Σ_u left[i,u]·right[u,j] into a dense buffer, a model-specific transform turns the raw
/// products into weights, and the row keeps its strongest entries. Parallel over items; each row is independent,
/// so results do not depend on scheduling.
/// </summary>
internal static class ItemItem
{
    /// <summary>Transforms the raw products of row <paramref name="item"/> in place; only <paramref name="touched"/> columns are non-zero.</summary>
    public delegate void RowTransform(int item, Span<float> row, ReadOnlySpan<int> touched);

    /// <param name="itemUsers">Left factor, rows items, columns users.</param>
    /// <param name="userItems">Right factor, rows users, columns items.</param>
    /// <param name="transform">Turns products into weights (may zero some).</param>
    /// <param name="keep">Strongest entries kept per row (int.MaxValue: all non-zero).</param>
    /// <param name="keepSelf">Keep the diagonal entry.</param>
    /// <param name="cancellationToken">Checked per row.</param>
    public static SparseRows Build(CsrMatrix itemUsers, CsrMatrix userItems, RowTransform transform, int keep, bool keepSelf, CancellationToken cancellationToken)
    {
        int items = itemUsers.Rows;
        int columns = userItems.Columns;
        var rowIndices = new int[items][];
        var rowValues = new float[items][];
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, items, options, () => new Scratch(columns), (i, _, scratch) =>
        {
            float[] acc = scratch.Accumulator;
            bool[] mark = scratch.Marked;
            int touchedCount = 0;
            ReadOnlySpan<int> users = itemUsers.RowIndices(i);
            ReadOnlySpan<float> leftValues = itemUsers.RowValues(i);
            for (int a = 0; a < users.Length; a++)
            {
                int u = users[a];
                float w = leftValues[a];
                ReadOnlySpan<int> js = userItems.RowIndices(u);
                ReadOnlySpan<float> rightValues = userItems.RowValues(u);
                for (int b = 0; b < js.Length; b++)
                {
                    int j = js[b];
                    if (!mark[j])
                    {
                        mark[j] = true;
                        scratch.Touched[touchedCount++] = j;
                    }
                    acc[j] += w * rightValues[b];
                }
            }
            Span<int> touched = scratch.Touched.AsSpan(0, touchedCount);
            touched.Sort();
            transform(i, acc, touched);
            (rowIndices[i], rowValues[i]) = KeepStrongest(i, acc, touched, keep, keepSelf);
            foreach (int j in touched)
            {
                acc[j] = 0;
                mark[j] = false;
            }
            return scratch;
        }, _ => { });

        var pointers = new int[items + 1];
        for (int i = 0; i < items; i++)
        {
            pointers[i + 1] = pointers[i] + rowIndices[i].Length;
        }
        var indices = new int[pointers[items]];
        var values = new float[pointers[items]];
        for (int i = 0; i < items; i++)
        {
            rowIndices[i].CopyTo(indices, pointers[i]);
            rowValues[i].CopyTo(values, pointers[i]);
        }
        return new SparseRows(items, columns, pointers, indices, values);
    }

    private static (int[] Indices, float[] Values) KeepStrongest(int self, float[] acc, ReadOnlySpan<int> touched, int keep, bool keepSelf)
    {
        int nonZero = 0;
        foreach (int j in touched)
        {
            if (acc[j] != 0 && (keepSelf || j != self))
            {
                nonZero++;
            }
        }
        var indices = new int[nonZero];
        var values = new float[nonZero];
        int n = 0;
        foreach (int j in touched)
        {
            if (acc[j] != 0 && (keepSelf || j != self))
            {
                indices[n] = j;
                values[n] = acc[j];
                n++;
            }
        }
        if (nonZero <= keep)
        {
            return (indices, values);
        }
        // Keep the strongest by |weight| (descending), ties to the lower column, then restore column order.
        var order = new int[nonZero];
        for (int i = 0; i < nonZero; i++)
        {
            order[i] = i;
        }
        Array.Sort(order, (x, y) =>
        {
            int c = MathF.Abs(values[y]).CompareTo(MathF.Abs(values[x]));
            return c != 0 ? c : indices[x].CompareTo(indices[y]);
        });
        Array.Sort(order, 0, keep);
        var keptIndices = new int[keep];
        var keptValues = new float[keep];
        for (int i = 0; i < keep; i++)
        {
            keptIndices[i] = indices[order[i]];
            keptValues[i] = values[order[i]];
        }
        return (keptIndices, keptValues);
    }

    private sealed class Scratch(int columns)
    {
        public float[] Accumulator { get; } = new float[columns];

        public bool[] Marked { get; } = new bool[columns];

        public int[] Touched { get; } = new int[columns];
    }

    /// <summary>A copy of <paramref name="matrix"/> whose values are all 1.</summary>
    public static CsrMatrix Binary(CsrMatrix matrix)
    {
        var ones = new float[matrix.NonZeros];
        Array.Fill(ones, 1f);
        return new CsrMatrix(matrix.Rows, matrix.Columns, matrix.RowPointers, matrix.ColumnIndices, ones);
    }

    /// <summary>A copy of <paramref name="matrix"/> with each row scaled to sum to 1, then each value raised to <paramref name="power"/>.</summary>
    public static CsrMatrix RowNormalisedPower(CsrMatrix matrix, float power)
    {
        var values = new float[matrix.NonZeros];
        for (int r = 0; r < matrix.Rows; r++)
        {
            ReadOnlySpan<float> row = matrix.RowValues(r);
            float sum = 0;
            foreach (float v in row)
            {
                sum += v;
            }
            int start = matrix.RowPointers[r];
            for (int i = 0; i < row.Length; i++)
            {
                values[start + i] = sum > 0 ? MathF.Pow(row[i] / sum, power) : 0;
            }
        }
        return new CsrMatrix(matrix.Rows, matrix.Columns, matrix.RowPointers, matrix.ColumnIndices, values);
    }
}
