namespace Cascade.Ranking;

/// <summary>
/// Labelled (or unlabelled) rows for a ranker, stored column-block by row: <see cref="Categorical"/> holds
/// <c>Rows × Schema.FieldCount</c> codes (row-major; code 0 = missing/unknown), <see cref="Numeric"/> holds
/// <c>Rows × Schema.NumericCount</c> values (row-major; NaN = missing). Labels are 0/1 for click models and graded
/// relevance for learning to rank; <see cref="GroupOffsets"/> (optional) cuts the rows into queries (a user's
/// candidate list), which LambdaMART and group AUC need.
/// </summary>
public sealed class RankingDataset
{
    /// <summary>Creates a data set over the given arrays (not copied).</summary>
    /// <param name="schema">The columns.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="categorical">Rows × FieldCount codes, each in [0, cardinality of its field).</param>
    /// <param name="numeric">Rows × NumericCount values, NaN for missing.</param>
    /// <param name="labels">Rows labels, or null for unlabelled data (serving).</param>
    /// <param name="groupOffsets">Query boundaries: starts at 0, strictly increasing, ends at <paramref name="rows"/>; or null.</param>
    /// <param name="weights">Per-row weights, or null for 1.</param>
    /// <param name="validate">Check every code against its field's cardinality (O(rows × fields)).</param>
    /// <exception cref="ArgumentException">An array has the wrong length, a code is out of range or the groups are malformed.</exception>
    public RankingDataset(FeatureSchema schema, int rows, int[] categorical, float[] numeric, float[]? labels = null, int[]? groupOffsets = null, float[]? weights = null, bool validate = true)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(categorical);
        ArgumentNullException.ThrowIfNull(numeric);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (categorical.Length != (long)rows * schema.FieldCount)
        {
            throw new ArgumentException($"categorical has {categorical.Length} codes; {rows} rows × {schema.FieldCount} fields need {(long)rows * schema.FieldCount}.", nameof(categorical));
        }
        if (numeric.Length != (long)rows * schema.NumericCount)
        {
            throw new ArgumentException($"numeric has {numeric.Length} values; {rows} rows × {schema.NumericCount} features need {(long)rows * schema.NumericCount}.", nameof(numeric));
        }
        if (labels is not null && labels.Length != rows)
        {
            throw new ArgumentException($"labels has {labels.Length} entries for {rows} rows.", nameof(labels));
        }
        if (weights is not null && weights.Length != rows)
        {
            throw new ArgumentException($"weights has {weights.Length} entries for {rows} rows.", nameof(weights));
        }
        if (groupOffsets is not null)
        {
            if (groupOffsets.Length < 1 || groupOffsets[0] != 0 || groupOffsets[^1] != rows)
            {
                throw new ArgumentException($"groupOffsets must start at 0 and end at {rows}.", nameof(groupOffsets));
            }
            for (int g = 1; g < groupOffsets.Length; g++)
            {
                if (groupOffsets[g] <= groupOffsets[g - 1])
                {
                    throw new ArgumentException($"groupOffsets is not strictly increasing at index {g}.", nameof(groupOffsets));
                }
            }
        }
        if (validate && schema.FieldCount > 0)
        {
            int fields = schema.FieldCount;
            for (int i = 0; i < categorical.Length; i++)
            {
                int f = i % fields;
                if ((uint)categorical[i] >= (uint)schema.Categorical[f].Cardinality)
                {
                    throw new ArgumentException($"Row {i / fields}, field '{schema.Categorical[f].Name}': code {categorical[i]} is outside [0, {schema.Categorical[f].Cardinality}).", nameof(categorical));
                }
            }
        }
        Schema = schema;
        Rows = rows;
        Categorical = categorical;
        Numeric = numeric;
        Labels = labels;
        GroupOffsets = groupOffsets;
        Weights = weights;
    }

    /// <summary>The columns.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Row-major categorical codes, Rows × Schema.FieldCount.</summary>
    public int[] Categorical { get; }

    /// <summary>Row-major numeric values, Rows × Schema.NumericCount; NaN = missing.</summary>
    public float[] Numeric { get; }

    /// <summary>Labels (null when unlabelled).</summary>
    public float[]? Labels { get; }

    /// <summary>Query boundaries (length groups + 1), or null.</summary>
    public int[]? GroupOffsets { get; }

    /// <summary>Row weights, or null (all 1).</summary>
    public float[]? Weights { get; }

    /// <summary>The categorical codes of row <paramref name="row"/>.</summary>
    /// <param name="row">Row index.</param>
    public ReadOnlySpan<int> CategoricalRow(int row) => Categorical.AsSpan(row * Schema.FieldCount, Schema.FieldCount);

    /// <summary>The numeric values of row <paramref name="row"/>.</summary>
    /// <param name="row">Row index.</param>
    public ReadOnlySpan<float> NumericRow(int row) => Numeric.AsSpan(row * Schema.NumericCount, Schema.NumericCount);

    /// <summary>The labels as booleans (label &gt; 0.5), for the AUC / logloss metrics.</summary>
    /// <exception cref="InvalidOperationException">The data set is unlabelled.</exception>
    public bool[] BinaryLabels()
    {
        var labels = Labels ?? throw new InvalidOperationException("The data set has no labels.");
        var result = new bool[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            result[i] = labels[i] > 0.5f;
        }
        return result;
    }

    /// <summary>A new data set of the rows <paramref name="rowIndices"/> (copied, in that order; groups are dropped).</summary>
    /// <param name="rowIndices">Rows to keep.</param>
    public RankingDataset Select(ReadOnlySpan<int> rowIndices)
    {
        int fields = Schema.FieldCount;
        int numericCount = Schema.NumericCount;
        var categorical = new int[rowIndices.Length * fields];
        var numeric = new float[rowIndices.Length * numericCount];
        float[]? labels = Labels is null ? null : new float[rowIndices.Length];
        float[]? weights = Weights is null ? null : new float[rowIndices.Length];
        for (int i = 0; i < rowIndices.Length; i++)
        {
            int r = rowIndices[i];
            CategoricalRow(r).CopyTo(categorical.AsSpan(i * fields, fields));
            NumericRow(r).CopyTo(numeric.AsSpan(i * numericCount, numericCount));
            if (labels is not null)
            {
                labels[i] = Labels![r];
            }
            if (weights is not null)
            {
                weights[i] = Weights![r];
            }
        }
        return new RankingDataset(Schema, rowIndices.Length, categorical, numeric, labels, null, weights, validate: false);
    }
}
