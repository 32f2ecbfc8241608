using Cascade.Models.Serialization;
using Cascade.Ranking.Calibration;
using Cascade.Ranking.Linear;
using Cascade.Ranking.Metrics;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Tests;

public sealed class CalibrationTests
{
    [Fact]
    public void Pool_adjacent_violators_matches_a_hand_worked_example()
    {
        // 1, 3, 2, 4, 3, 5 → the violators (3, 2) and (4, 3) pool to 2.5 and 3.5.
        var fitted = IsotonicCalibrator.PoolAdjacentViolatorsExpanded([1, 3, 2, 4, 3, 5], [1, 1, 1, 1, 1, 1]);
        Assert.Equal([1, 2.5, 2.5, 3.5, 3.5, 5], fitted);
        // Weights count: (3 with weight 3, 1 with weight 1) pool to (9 + 1) / 4 = 2.5.
        var weighted = IsotonicCalibrator.PoolAdjacentViolatorsExpanded([3, 1], [3, 1]);
        Assert.Equal([2.5, 2.5], weighted);
        // A violation that cascades back: 1, 5, 4, 0 → 1, then (5, 4, 0) = 3.
        Assert.Equal([1, 3, 3, 3], IsotonicCalibrator.PoolAdjacentViolatorsExpanded([1, 5, 4, 0], [1, 1, 1, 1]));
    }

    [Fact]
    public void Isotonic_calibration_of_binary_labels_matches_a_hand_worked_example()
    {
        var calibrator = new IsotonicCalibrator(minProbability: 0);
        // Scores 1..6 with labels 0 1 0 1 1 0: blocks {1}=0, {2,3}=0.5, {4,5,6}=2/3.
        calibrator.Fit([1, 2, 3, 4, 5, 6], [false, true, false, true, true, false]);
        Assert.Equal(0f, calibrator.Apply(1));
        Assert.Equal(0.5f, calibrator.Apply(2.5f));
        Assert.Equal(2f / 3, calibrator.Apply(5), 6);
        Assert.Equal(0.25f, calibrator.Apply(1.5f), 6); // interpolated between (1, 0) and (2, 0.5)
        Assert.Equal(0f, calibrator.Apply(-10));
        Assert.Equal(2f / 3, calibrator.Apply(100), 6);
    }

    [Fact]
    public void Isotonic_calibration_is_monotone_on_noisy_data()
    {
        var random = new Random(3);
        var scores = new float[2_000];
        var labels = new bool[2_000];
        for (int i = 0; i < scores.Length; i++)
        {
            scores[i] = (float)Synthetic.Gaussian(random);
            labels[i] = random.NextDouble() < 1 / (1 + Math.Exp(-2 * scores[i]));
        }
        var calibrator = new IsotonicCalibrator();
        calibrator.Fit(scores, labels);
        float previous = float.NegativeInfinity;
        for (float s = -4; s <= 4; s += 0.01f)
        {
            float p = calibrator.Apply(s);
            Assert.True(p >= previous, $"not monotone at {s}");
            Assert.InRange(p, 1e-4f, 1 - 1e-4f);
            previous = p;
        }
    }

    [Fact]
    public void Platt_scaling_matches_hand_worked_maximum_likelihood_solutions()
    {
        // Score 0: 1 positive of 4; score 1: 3 positives of 4.
        float[] scores = [0, 0, 0, 0, 1, 1, 1, 1];
        bool[] labels = [true, false, false, false, true, true, true, false];
        // Plain maximum likelihood fits σ(B) = 1/4 and σ(A + B) = 3/4: B = −ln 3, A = 2 ln 3.
        var plain = new PlattCalibrator(smoothTargets: false);
        plain.Fit(scores, labels);
        Assert.Equal(-Math.Log(3), plain.B, 4);
        Assert.Equal(2 * Math.Log(3), plain.A, 4);
        // Platt's targets (N₊ + 1)/(N₊ + 2) = 5/6 and 1/(N₋ + 2) = 1/6 give σ(B) = 1/3 and σ(A + B) = 2/3.
        var smooth = new PlattCalibrator();
        smooth.Fit(scores, labels);
        Assert.Equal(-Math.Log(2), smooth.B, 4);
        Assert.Equal(2 * Math.Log(2), smooth.A, 4);
        Assert.Equal(2f / 3, smooth.Apply(1), 4);
    }

    [Theory]
    [InlineData("platt")]
    [InlineData("isotonic")]
    public void Calibrating_an_overconfident_model_lowers_its_expected_calibration_error_on_other_rows(string kind)
    {
        var random = new Random(9);
        int n = 20_000;
        var probabilities = new float[n];
        var labels = new bool[n];
        for (int i = 0; i < n; i++)
        {
            double logit = Synthetic.Gaussian(random);
            labels[i] = random.NextDouble() < 1 / (1 + Math.Exp(-logit));
            // Over-confident and shifted: logit × 3 + 1.
            probabilities[i] = (float)(1 / (1 + Math.Exp(-((3 * logit) + 1))));
        }
        double before = ScoreMetrics.ExpectedCalibrationError(labels, probabilities);
        var calibrated = CtrExperiment.CrossFit(probabilities, labels, probabilities: true, kind, seed: 1);
        double after = ScoreMetrics.ExpectedCalibrationError(labels, calibrated);
        Assert.True(before > 0.1, $"before {before}");
        Assert.True(after < 0.02, $"{kind}: ECE {before:0.000} → {after:0.000}");
        Assert.Equal(ScoreMetrics.Auc(labels, probabilities), ScoreMetrics.Auc(labels, calibrated), 2);
    }

    [Fact]
    public void A_calibrated_ranker_fits_its_calibrator_on_held_out_rows_and_round_trips()
    {
        var train = Synthetic.Logistic(4_000, seed: 1);
        var valid = Synthetic.Logistic(2_000, seed: 2);
        var ranker = new CalibratedRanker(new LogisticRegression(new LogisticRegressionOptions { Epochs = 3 }), new IsotonicCalibrator());
        ranker.Fit(train, valid);
        Assert.True(ranker.IsFitted);
        var scores = Synthetic.Predict(ranker, valid);
        Assert.All(scores, p => Assert.InRange(p, 0f, 1f));

        using var file = new MemoryStream();
        ranker.Save(file);
        file.Position = 0;
        var loaded = CalibratedRanker.Load(file, LogisticRegression.Load);
        Assert.Equal(scores, Synthetic.Predict(loaded, valid));
        Assert.Equal(IsotonicCalibrator.KindName, loaded.Calibrator.Kind);
    }

    [Fact]
    public void A_calibrated_ranker_file_with_trailing_bytes_after_its_payload_is_refused()
    {
        var ranker = new CalibratedRanker(new LogisticRegression(new LogisticRegressionOptions { Epochs = 1 }), new PlattCalibrator());
        ranker.Fit(Synthetic.Logistic(1_000, seed: 3), Synthetic.Logistic(500, seed: 4));
        using var file = new MemoryStream();
        ranker.Save(file);
        var (kind, version, payload) = ModelFile.ReadContainer(new MemoryStream(file.ToArray()));
        using var padded = new MemoryStream();
        ModelFile.Write(padded, kind, version, writer =>
        {
            writer.Write(payload);
            writer.Write([0xDE, 0xAD, 0xBE, 0xEF]);
        });
        padded.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => CalibratedRanker.Load(padded, LogisticRegression.Load));
        Assert.Contains("4 unread trailing bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("platt")]
    [InlineData("isotonic")]
    public void Calibrator_files_round_trip_and_corruption_is_refused(string kind)
    {
        var calibrator = Calibrators.Create(kind);
        calibrator.Fit([-2, -1, 0, 1, 2, 3], [false, false, true, false, true, true]);
        using var file = new MemoryStream();
        Calibrators.Save(file, calibrator);
        var bytes = file.ToArray();
        var loaded = Calibrators.Load(new MemoryStream(bytes));
        foreach (float s in new[] { -3f, -0.5f, 0.7f, 2.5f })
        {
            Assert.Equal(calibrator.Apply(s), loaded.Apply(s));
        }
        bytes[^6] ^= 0x40;
        Assert.Throws<InvalidDataException>(() => Calibrators.Load(new MemoryStream(bytes)));
    }

    [Fact]
    public void Calibrators_refuse_bad_input()
    {
        Assert.Throws<ArgumentException>(() => new PlattCalibrator().Fit([1, 2], [true]));
        Assert.Throws<ArgumentException>(() => new IsotonicCalibrator().Fit([float.NaN], [true]));
        Assert.Throws<ArgumentException>(() => Calibrators.Create("beta"));
    }
}
