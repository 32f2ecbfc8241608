namespace Cascade.Ranking.Calibration;

/// <summary>
/// Maps a ranker's raw score to a calibrated probability, fitted on held-out (score, label) pairs: rows the ranker was
/// not trained on, and not the rows its calibration is later measured on.
/// </summary>
public interface ICalibrator
{
    /// <summary>Kind name in model files: "platt" or "isotonic".</summary>
    string Kind { get; }

    /// <summary>True once fitted or loaded.</summary>
    bool IsFitted { get; }

    /// <summary>Fits on held-out scores and their labels.</summary>
    /// <param name="scores">Raw scores (for a probability model, its logits; see <see cref="CalibratedRanker"/>).</param>
    /// <param name="labels">True for positives.</param>
    /// <exception cref="ArgumentException">Lengths differ, no rows, or a score is not finite.</exception>
    void Fit(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels);

    /// <summary>The calibrated probability of <paramref name="score"/>.</summary>
    /// <param name="score">A raw score on the scale the calibrator was fitted on.</param>
    float Apply(float score);

    /// <summary>Writes the fitted state (inside a <see cref="CalibratedRanker"/> file or a calibrator file).</summary>
    /// <param name="writer">Destination.</param>
    void WriteTo(BinaryWriter writer);
}
