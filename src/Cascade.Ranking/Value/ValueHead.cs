namespace Cascade.Ranking.Value;

/// <summary>How a head's raw score is transformed before it is weighted.</summary>
public enum ValueTransform
{
    /// <summary>The score as is (a probability, an expected count).</summary>
    Identity,

    /// <summary>ln(1 + max(0, s)): for heavy-tailed quantities such as watch time in seconds.</summary>
    Log1p,

    /// <summary>ln(max(s, 1e−7)): a weighted sum of logs is a product of powers, Π s_h^w_h.</summary>
    Log,

    /// <summary>ln(p / (1 − p)) with p clipped to [1e−7, 1 − 1e−7]: for probabilities combined on the log-odds scale.</summary>
    Logit,
}

/// <summary>Where a head's score comes from.</summary>
public interface IScoreSource
{
    /// <summary>Name of the head, e.g. "click", "like", "watch_time".</summary>
    string Name { get; }

    /// <summary>Scores every row of <paramref name="data"/>; NaN means "no score for this row".</summary>
    /// <param name="data">The candidates.</param>
    /// <param name="scores">Length <c>data.Rows</c>.</param>
    void Score(RankingDataset data, Span<float> scores);
}

/// <summary>A head scored by a fitted ranker (e.g. a click model).</summary>
/// <param name="name">The head's name.</param>
/// <param name="ranker">A fitted ranker.</param>
public sealed class RankerScoreSource(string name, IRanker ranker) : IScoreSource
{
    /// <inheritdoc />
    public string Name { get; } = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A head needs a name.", nameof(name)) : name;

    /// <summary>The ranker.</summary>
    public IRanker Ranker { get; } = ranker ?? throw new ArgumentNullException(nameof(ranker));

    /// <inheritdoc />
    public void Score(RankingDataset data, Span<float> scores) => Ranker.Predict(data, scores);
}

/// <summary>A head read from a numeric column of the data (a score computed elsewhere, e.g. a predicted watch time).</summary>
/// <param name="name">The head's name.</param>
/// <param name="numericColumn">The column's name in <see cref="FeatureSchema.Numeric"/>.</param>
public sealed class ColumnScoreSource(string name, string numericColumn) : IScoreSource
{
    /// <inheritdoc />
    public string Name { get; } = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A head needs a name.", nameof(name)) : name;

    /// <summary>The numeric column read.</summary>
    public string NumericColumn { get; } = numericColumn ?? throw new ArgumentNullException(nameof(numericColumn));

    /// <inheritdoc />
    public void Score(RankingDataset data, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(data);
        int column = -1;
        for (int j = 0; j < data.Schema.NumericCount; j++)
        {
            if (data.Schema.Numeric[j] == NumericColumn)
            {
                column = j;
            }
        }
        if (column < 0)
        {
            throw new ArgumentException($"Head '{Name}' reads numeric column '{NumericColumn}', which the data does not have ({string.Join(", ", data.Schema.Numeric)}).", nameof(data));
        }
        int width = data.Schema.NumericCount;
        for (int r = 0; r < data.Rows; r++)
        {
            scores[r] = data.Numeric[(r * width) + column];
        }
    }
}

/// <summary>One head of a <see cref="ValueModel"/>: a score source, its weight and its transform.</summary>
/// <param name="Source">Where the score comes from.</param>
/// <param name="Weight">Weight of the transformed score in the value (any finite number; negative penalises).</param>
/// <param name="Transform">Applied to the score before weighting.</param>
public sealed record ValueHead(IScoreSource Source, double Weight, ValueTransform Transform = ValueTransform.Identity);
