namespace Cascade.Ranking.Training;

/// <summary>
/// Turns a row of a <see cref="RankingDataset"/> into exactly <see cref="Width"/> active features (index, value), one
/// per column, so linear and factorisation models share one sparse encoding:
/// <list type="bullet">
/// <item>categorical field f with code c → index <c>FieldOffset(f) + c</c>, value 1 (code 0, missing or unknown, has
/// its own weight);</item>
/// <item>numeric feature j present → index <c>TotalCardinality + 2j</c>, value <c>clamp((x − mean_j) / sd_j, ±Clip)</c>
/// (standardised with the training mean and standard deviation);</item>
/// <item>numeric feature j missing (NaN) → index <c>TotalCardinality + 2j + 1</c>, value 1 (an explicit "missing"
/// indicator, so a missing value is neither zero nor the mean).</item>
/// </list>
/// Slot s of an encoded row belongs to field s (categorical fields first, then one field per numeric feature), which
/// field-aware models use.
/// </summary>
internal sealed class SparseEncoder
{
    /// <summary>Standardised values are clipped to ±Clip so an outlier cannot dominate an online update.</summary>
    public const float Clip = 5f;

    private readonly float[] _means;
    private readonly float[] _scales;
    private readonly int _numericBase;

    public SparseEncoder(FeatureSchema schema, float[] means, float[] scales)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (means.Length != schema.NumericCount || scales.Length != schema.NumericCount)
        {
            throw new ArgumentException($"The encoder needs {schema.NumericCount} means and scales; got {means.Length} and {scales.Length}.", nameof(means));
        }
        foreach (float s in scales)
        {
            if (!(s > 0) || !float.IsFinite(s))
            {
                throw new ArgumentException($"Numeric scale {s} must be positive and finite.", nameof(scales));
            }
        }
        Schema = schema;
        _means = means;
        _scales = scales;
        _numericBase = schema.TotalCardinality;
        Dimension = checked(schema.TotalCardinality + (2 * schema.NumericCount));
    }

    public FeatureSchema Schema { get; }

    /// <summary>Active features per row: one per categorical field and one per numeric feature.</summary>
    public int Width => Schema.FieldCount + Schema.NumericCount;

    /// <summary>Number of distinct feature indices.</summary>
    public int Dimension { get; }

    /// <summary>Computes the numeric means and standard deviations on <paramref name="train"/> (NaN ignored).</summary>
    public static SparseEncoder Fit(RankingDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        int n = train.Schema.NumericCount;
        var means = new float[n];
        var scales = new float[n];
        for (int j = 0; j < n; j++)
        {
            double sum = 0, sumSquares = 0;
            long count = 0;
            for (int r = 0; r < train.Rows; r++)
            {
                float v = train.Numeric[(r * n) + j];
                if (!float.IsNaN(v))
                {
                    sum += v;
                    sumSquares += (double)v * v;
                    count++;
                }
            }
            double mean = count > 0 ? sum / count : 0;
            double variance = count > 1 ? Math.Max(0, (sumSquares / count) - (mean * mean)) : 0;
            double sd = Math.Sqrt(variance);
            means[j] = (float)mean;
            scales[j] = sd > 1e-12 && double.IsFinite(sd) ? (float)sd : 1f;
        }
        return new SparseEncoder(train.Schema, means, scales);
    }

    /// <summary>Throws when <paramref name="data"/> is not of the fitted schema.</summary>
    public void CheckSchema(RankingDataset data, string paramName)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!ReferenceEquals(data.Schema, Schema) && !data.Schema.Equals(Schema))
        {
            throw new ArgumentException("The data set's schema differs from the schema the ranker was fitted on.", paramName);
        }
    }

    /// <summary>Encodes row <paramref name="row"/> into <paramref name="index"/> and <paramref name="value"/> (length <see cref="Width"/>).</summary>
    public void Encode(RankingDataset data, int row, Span<int> index, Span<float> value)
    {
        int fields = Schema.FieldCount;
        var codes = data.Categorical.AsSpan(row * fields, fields);
        for (int f = 0; f < fields; f++)
        {
            index[f] = Schema.FieldOffset(f) + codes[f];
            value[f] = 1f;
        }
        int numeric = _means.Length;
        if (numeric == 0)
        {
            return;
        }
        var values = data.Numeric.AsSpan(row * numeric, numeric);
        for (int j = 0; j < numeric; j++)
        {
            float x = values[j];
            if (float.IsNaN(x))
            {
                index[fields + j] = _numericBase + (2 * j) + 1;
                value[fields + j] = 1f;
            }
            else
            {
                index[fields + j] = _numericBase + (2 * j);
                value[fields + j] = Math.Clamp((x - _means[j]) / _scales[j], -Clip, Clip);
            }
        }
    }

    public void WriteTo(BinaryWriter writer)
    {
        Schema.WriteTo(writer);
        ArrayIo.Write(writer, _means);
        ArrayIo.Write(writer, _scales);
    }

    public static SparseEncoder ReadFrom(BinaryReader reader)
    {
        var schema = FeatureSchema.ReadFrom(reader);
        var means = ArrayIo.ReadSingles(reader, schema.NumericCount);
        var scales = ArrayIo.ReadSingles(reader, schema.NumericCount);
        return new SparseEncoder(schema, means, scales);
    }
}
