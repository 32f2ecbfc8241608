using Cascade.Ranking.Metrics;

namespace Cascade.Ranking.Tests;

public sealed class ScoreMetricsTests
{
    [Fact]
    public void Auc_counts_correctly_ordered_positive_negative_pairs()
    {
        // Positives 0.9 and 0.3, negatives 0.8 and 0.1: pairs (0.9>0.8, 0.9>0.1, 0.3<0.8, 0.3>0.1) → 3/4.
        Assert.Equal(0.75, ScoreMetrics.Auc([true, false, true, false], [0.9f, 0.8f, 0.3f, 0.1f]), 12);
        Assert.Equal(0.5, ScoreMetrics.Auc([true, false], [0.5f, 0.5f]), 12);
        Assert.True(double.IsNaN(ScoreMetrics.Auc([true, true], [0.1f, 0.2f])));
    }

    [Fact]
    public void Group_auc_weights_each_users_auc_by_its_rows_and_skips_one_class_users()
    {
        // User 1: AUC 1 over 2 rows. User 2: positive 0.2 beats 0.1 not 0.5 → 0.5 over 3 rows. User 3: only positives.
        int[] users = [1, 2, 1, 2, 3, 2];
        bool[] labels = [true, true, false, false, true, false];
        float[] scores = [0.9f, 0.2f, 0.1f, 0.5f, 0.7f, 0.1f];
        Assert.Equal(((2 * 1.0) + (3 * 0.5)) / 5, ScoreMetrics.GroupAuc(users, labels, scores), 12);
    }

    [Fact]
    public void Log_loss_is_the_mean_negative_log_likelihood()
    {
        Assert.Equal(-(Math.Log(0.8) + Math.Log(0.6)) / 2, ScoreMetrics.LogLoss([true, false], [0.8f, 0.4f]), 6);
        Assert.True(double.IsFinite(ScoreMetrics.LogLoss([true], [0f])));
    }

    [Fact]
    public void Expected_calibration_error_weights_each_bins_gap_by_its_share()
    {
        // Two bins: [0, 0.5) holds 0.2, 0.4 (accuracy 0.5, confidence 0.3); [0.5, 1] holds 0.7, 0.9 (1 vs 0.8). ECE = ½·0.2 + ½·0.2.
        Assert.Equal(0.2, ScoreMetrics.ExpectedCalibrationError([false, true, true, true], [0.2f, 0.4f, 0.7f, 0.9f], bins: 2), 6);
        Assert.Equal(0.0, ScoreMetrics.ExpectedCalibrationError([true, false], [1f, 0f], bins: 10), 12);
    }
}
