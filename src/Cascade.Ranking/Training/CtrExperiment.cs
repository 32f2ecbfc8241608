using System.Diagnostics;
using Cascade.Ranking.Calibration;
using Cascade.Ranking.Metrics;

namespace Cascade.Ranking.Training;

/// <summary>Metrics of one ranker on one split.</summary>
/// <param name="Rows">Rows scored.</param>
/// <param name="Auc">AUC of the raw scores.</param>
/// <param name="LogLoss">Logloss of the raw scores (NaN when the ranker does not write probabilities).</param>
/// <param name="Ece">Expected calibration error, 10 equal-width bins, of the raw scores (NaN likewise).</param>
/// <param name="CalibratedAuc">AUC after calibration (NaN without calibration).</param>
/// <param name="CalibratedLogLoss">Logloss after calibration (NaN without calibration).</param>
/// <param name="CalibratedEce">ECE after calibration (NaN without calibration).</param>
public sealed record CtrMetrics(int Rows, double Auc, double LogLoss, double Ece, double CalibratedAuc, double CalibratedLogLoss, double CalibratedEce);

/// <summary>One ranker fitted with one seed and measured.</summary>
/// <param name="Model">The model's label (its spec text).</param>
/// <param name="Seed">The seed.</param>
/// <param name="FitSeconds">Wall-clock seconds of <see cref="IRanker.Fit"/>.</param>
/// <param name="Steps">Epochs or rounds run (the number of progress reports).</param>
/// <param name="Valid">Metrics on the validation split (calibrated scores cross-fitted, see <see cref="CtrExperiment"/>).</param>
/// <param name="Test">Metrics on the test split, or null without one.</param>
public sealed record CtrRun(string Model, int Seed, double FitSeconds, int Steps, CtrMetrics Valid, CtrMetrics? Test);

/// <summary>
/// Fits a click model and measures it as the <c>cascade ctr</c> command reports: AUC, logloss and ECE on valid and
/// test, before and after calibration. The ranker early-stops on the whole validation split; calibration is measured
/// honestly by two-fold cross-fitting on valid (the valid rows are cut in two halves at random; each half's calibrated
/// scores come from a calibrator fitted on the other half), and on test with a calibrator fitted on all of valid.
/// </summary>
public static class CtrExperiment
{
    /// <summary>The calibration names <see cref="Run"/> accepts besides those of <see cref="Calibrators"/>.</summary>
    public const string NoCalibration = "none";

    /// <summary>Fits <paramref name="ranker"/> and measures it.</summary>
    /// <param name="label">The model's label in the result.</param>
    /// <param name="ranker">An unfitted ranker.</param>
    /// <param name="seed">The seed (also cuts valid into calibration halves).</param>
    /// <param name="train">Training rows.</param>
    /// <param name="valid">Validation rows (early stopping, calibration).</param>
    /// <param name="test">Test rows, or null.</param>
    /// <param name="calibration">"platt", "isotonic" or "none".</param>
    /// <param name="progress">Receives the ranker's progress, or null.</param>
    /// <param name="cancellationToken">Stops the fit between steps.</param>
    public static CtrRun Run(string label, IRanker ranker, int seed, RankingDataset train, RankingDataset valid, RankingDataset? test, string calibration, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ranker);
        ArgumentNullException.ThrowIfNull(valid);
        bool calibrate = !string.Equals(calibration, NoCalibration, StringComparison.OrdinalIgnoreCase);
        if (calibrate)
        {
            Calibrators.Create(calibration);
        }
        int steps = 0;
        var counting = new Progress(p =>
        {
            steps++;
            progress?.Report(p);
        });
        var clock = Stopwatch.StartNew();
        ranker.Fit(train, valid, counting, cancellationToken);
        double fitSeconds = clock.Elapsed.TotalSeconds;

        var validLabels = valid.BinaryLabels();
        var validScores = new float[valid.Rows];
        ranker.Predict(valid, validScores);
        float[]? validCalibrated = calibrate ? CrossFit(validScores, validLabels, ranker.OutputsProbability, calibration, seed) : null;
        var validMetrics = Measure(validLabels, validScores, ranker.OutputsProbability, validCalibrated);

        CtrMetrics? testMetrics = null;
        if (test is not null)
        {
            var testLabels = test.BinaryLabels();
            var testScores = new float[test.Rows];
            ranker.Predict(test, testScores);
            float[]? testCalibrated = null;
            if (calibrate)
            {
                var calibrator = Calibrators.Create(calibration);
                var input = (float[])validScores.Clone();
                CalibratedRanker.ToCalibratorInput(input, ranker.OutputsProbability);
                calibrator.Fit(input, validLabels);
                testCalibrated = (float[])testScores.Clone();
                CalibratedRanker.ToCalibratorInput(testCalibrated, ranker.OutputsProbability);
                for (int i = 0; i < testCalibrated.Length; i++)
                {
                    testCalibrated[i] = calibrator.Apply(testCalibrated[i]);
                }
            }
            testMetrics = Measure(testLabels, testScores, ranker.OutputsProbability, testCalibrated);
        }
        return new CtrRun(label, seed, fitSeconds, steps, validMetrics, testMetrics);
    }

    /// <summary>
    /// Two-fold cross-fitted calibration: rows are assigned to two halves by a seeded permutation; each half is
    /// calibrated by a calibrator fitted on the other half only.
    /// </summary>
    /// <param name="scores">Raw ranker outputs.</param>
    /// <param name="labels">Labels.</param>
    /// <param name="probabilities">Whether the outputs are probabilities (calibrated on their logits).</param>
    /// <param name="calibration">"platt" or "isotonic".</param>
    /// <param name="seed">Seed of the halves.</param>
    /// <returns>Calibrated probabilities, one per row.</returns>
    public static float[] CrossFit(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, bool probabilities, string calibration, int seed)
    {
        if (scores.Length != labels.Length || scores.Length < 4)
        {
            throw new ArgumentException($"Cross-fitting needs at least 4 rows and as many labels as scores; got {scores.Length} scores and {labels.Length} labels.", nameof(scores));
        }
        var input = scores.ToArray();
        CalibratedRanker.ToCalibratorInput(input, probabilities);
        var order = RankerMath.Identity(input.Length);
        RankerMath.Shuffle(order, new Random(seed));
        var half = new bool[input.Length];
        for (int i = 0; i < order.Length; i++)
        {
            half[order[i]] = i % 2 == 1;
        }
        var result = new float[input.Length];
        for (int fold = 0; fold < 2; fold++)
        {
            bool target = fold == 1;
            var fitScores = new List<float>();
            var fitLabels = new List<bool>();
            for (int i = 0; i < input.Length; i++)
            {
                if (half[i] != target)
                {
                    fitScores.Add(input[i]);
                    fitLabels.Add(labels[i]);
                }
            }
            var calibrator = Calibrators.Create(calibration);
            calibrator.Fit([.. fitScores], [.. fitLabels]);
            for (int i = 0; i < input.Length; i++)
            {
                if (half[i] == target)
                {
                    result[i] = calibrator.Apply(input[i]);
                }
            }
        }
        return result;
    }

    /// <summary>Mean and sample standard deviation (0 for a single value) of the finite values; NaN when there are none.</summary>
    /// <param name="values">The values.</param>
    public static (double Mean, double Sd) MeanAndSd(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
        {
            return (double.NaN, double.NaN);
        }
        double mean = finite.Average();
        double sd = finite.Length > 1 ? Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1)) : 0;
        return (mean, sd);
    }

    private static CtrMetrics Measure(bool[] labels, float[] scores, bool probabilities, float[]? calibrated) => new(
        labels.Length,
        ScoreMetrics.Auc(labels, scores),
        probabilities ? ScoreMetrics.LogLoss(labels, scores) : double.NaN,
        probabilities ? ScoreMetrics.ExpectedCalibrationError(labels, scores) : double.NaN,
        calibrated is null ? double.NaN : ScoreMetrics.Auc(labels, calibrated),
        calibrated is null ? double.NaN : ScoreMetrics.LogLoss(labels, calibrated),
        calibrated is null ? double.NaN : ScoreMetrics.ExpectedCalibrationError(labels, calibrated));

    /// <summary>Reports on the calling thread (the fit's), so step counts are exact.</summary>
    private sealed class Progress(Action<RankerProgress> report) : IProgress<RankerProgress>
    {
        public void Report(RankerProgress value) => report(value);
    }
}
