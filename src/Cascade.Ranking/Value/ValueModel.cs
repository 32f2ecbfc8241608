namespace Cascade.Ranking.Value;

/// <summary>
/// Combines several heads (click, like, watch time, …) into one value per candidate:
/// <c>value = Σ_h weight_h · transform_h(score_h)</c>. A head whose score is NaN for a row (no prediction) contributes
/// nothing to that row. With <see cref="ValueTransform.Log"/> on every head the value is the logarithm of the product
/// Π score_h^weight_h, e.g. p(click) · (1 + watch_time)^0.5 as weights 1 and 0.5 on Log and Log1p heads.
/// </summary>
public sealed class ValueModel
{
    private const double Epsilon = 1e-7;

    private readonly ValueHead[] _heads;

    /// <summary>Creates a value model.</summary>
    /// <param name="heads">At least one head; names must be distinct; weights finite.</param>
    /// <exception cref="ArgumentException">No heads, a repeated name or a non-finite weight.</exception>
    public ValueModel(IReadOnlyList<ValueHead> heads)
    {
        ArgumentNullException.ThrowIfNull(heads);
        if (heads.Count == 0)
        {
            throw new ArgumentException("A value model needs at least one head.", nameof(heads));
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var head in heads)
        {
            ArgumentNullException.ThrowIfNull(head, nameof(heads));
            ArgumentNullException.ThrowIfNull(head.Source, nameof(heads));
            if (!names.Add(head.Source.Name))
            {
                throw new ArgumentException($"Head name '{head.Source.Name}' repeats.", nameof(heads));
            }
            if (!double.IsFinite(head.Weight))
            {
                throw new ArgumentException($"Head '{head.Source.Name}' has weight {head.Weight}; weights must be finite.", nameof(heads));
            }
            if (!Enum.IsDefined(head.Transform))
            {
                throw new ArgumentException($"Head '{head.Source.Name}' has an unknown transform {head.Transform}.", nameof(heads));
            }
        }
        _heads = [.. heads];
    }

    /// <summary>The heads, in order.</summary>
    public IReadOnlyList<ValueHead> Heads => _heads;

    /// <summary>Each head's raw score of every row: <c>[head][row]</c> (for explanations and dashboards).</summary>
    /// <param name="data">The candidates.</param>
    public float[][] ScoreHeads(RankingDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var result = new float[_heads.Length][];
        for (int h = 0; h < _heads.Length; h++)
        {
            result[h] = new float[data.Rows];
            _heads[h].Source.Score(data, result[h]);
        }
        return result;
    }

    /// <summary>Writes the value of every row of <paramref name="data"/> into <paramref name="values"/>.</summary>
    /// <param name="data">The candidates.</param>
    /// <param name="values">Length <c>data.Rows</c>.</param>
    public void Predict(RankingDataset data, Span<float> values)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (values.Length != data.Rows)
        {
            throw new ArgumentException($"values has {values.Length} entries for {data.Rows} rows.", nameof(values));
        }
        Combine(ScoreHeads(data), values);
    }

    /// <summary>Combines per-head raw scores (<c>[head][row]</c>, as from <see cref="ScoreHeads"/>) into values.</summary>
    /// <param name="headScores">One array per head, each as long as <paramref name="values"/>.</param>
    /// <param name="values">Destination.</param>
    public void Combine(float[][] headScores, Span<float> values)
    {
        ArgumentNullException.ThrowIfNull(headScores);
        if (headScores.Length != _heads.Length)
        {
            throw new ArgumentException($"Got scores of {headScores.Length} heads for a model of {_heads.Length}.", nameof(headScores));
        }
        for (int h = 0; h < _heads.Length; h++)
        {
            if (headScores[h].Length != values.Length)
            {
                throw new ArgumentException($"Head '{_heads[h].Source.Name}' has {headScores[h].Length} scores for {values.Length} rows.", nameof(headScores));
            }
        }
        for (int r = 0; r < values.Length; r++)
        {
            double value = 0;
            for (int h = 0; h < _heads.Length; h++)
            {
                float s = headScores[h][r];
                if (!float.IsNaN(s))
                {
                    value += _heads[h].Weight * Transform(_heads[h].Transform, s);
                }
            }
            values[r] = (float)value;
        }
    }

    /// <summary>Applies <paramref name="transform"/> to <paramref name="score"/>.</summary>
    /// <param name="transform">The transform.</param>
    /// <param name="score">A raw score.</param>
    public static double Transform(ValueTransform transform, double score) => transform switch
    {
        ValueTransform.Identity => score,
        ValueTransform.Log1p => Math.Log(1 + Math.Max(0, score)),
        ValueTransform.Log => Math.Log(Math.Max(score, Epsilon)),
        ValueTransform.Logit => Math.Log(Math.Clamp(score, Epsilon, 1 - Epsilon) / (1 - Math.Clamp(score, Epsilon, 1 - Epsilon))),
        _ => throw new ArgumentOutOfRangeException(nameof(transform), transform, "Unknown transform."),
    };
}
