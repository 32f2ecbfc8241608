namespace Cascade.Ranking;

/// <summary>Progress of a ranker's fit, reported once per epoch or boosting round.</summary>
/// <param name="Step">1-based epoch or round.</param>
/// <param name="TotalSteps">The maximum number of steps.</param>
/// <param name="TrainLoss">Training loss of the step (NaN when not computed).</param>
/// <param name="ValidMetric">The early-stopping metric on the validation set (NaN without one).</param>
/// <param name="ValidMetricName">Name of that metric, e.g. "logloss" or "auc" or "ndcg@10".</param>
public sealed record RankerProgress(int Step, int TotalSteps, double TrainLoss, double ValidMetric, string ValidMetricName);

/// <summary>
/// A ranker: scores rows of a <see cref="RankingDataset"/>. Logistic regression, factorisation machines, gradient-boosted
/// trees and DCN-v2 implement it, so the CTR tool, the serving pipeline and offline evaluation treat them alike.
/// </summary>
/// <remarks>
/// Fit with a validation set early-stops on it and keeps the best step. Once fitted, <see cref="Predict"/> is safe
/// to call from many threads at once. A ranker whose <see cref="OutputsProbability"/> is true writes probabilities in
/// [0, 1] (click models trained on logloss); a learning-to-rank objective writes unbounded scores.
/// </remarks>
public interface IRanker
{
    /// <summary>Kind name as written in model files and accepted by <c>cascade ctr --models</c>, e.g. "lr".</summary>
    string Name { get; }

    /// <summary>True once fitted or loaded.</summary>
    bool IsFitted { get; }

    /// <summary>The schema the ranker was fitted on (null before fitting).</summary>
    FeatureSchema? Schema { get; }

    /// <summary>True when <see cref="Predict"/> writes probabilities.</summary>
    bool OutputsProbability { get; }

    /// <summary>Fits on <paramref name="train"/>, early-stopping on <paramref name="valid"/> when given.</summary>
    /// <param name="train">Labelled training rows.</param>
    /// <param name="valid">Labelled validation rows of the same schema, or null.</param>
    /// <param name="progress">Receives one report per step, or null.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    void Fit(RankingDataset train, RankingDataset? valid = null, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Scores every row of <paramref name="data"/> into <paramref name="scores"/>.</summary>
    /// <param name="data">Rows of the fitted schema (labels ignored).</param>
    /// <param name="scores">Length <c>data.Rows</c>.</param>
    void Predict(RankingDataset data, Span<float> scores);

    /// <summary>Writes the fitted ranker in the Cascade model file format (docs/formats/models.md).</summary>
    /// <param name="stream">Destination.</param>
    void Save(Stream stream);
}

/// <summary>A ranker that also learns from a stream of labelled rows after fitting (FTRL logistic regression).</summary>
public interface IOnlineRanker : IRanker
{
    /// <summary>Updates the model with <paramref name="batch"/>; safe to call while other threads predict.</summary>
    /// <param name="batch">Labelled rows of the fitted schema.</param>
    void Update(RankingDataset batch);
}
