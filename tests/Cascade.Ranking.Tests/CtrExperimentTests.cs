using Cascade.Ranking.Linear;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Tests;

public sealed class CtrExperimentTests
{
    [Fact]
    public void A_run_reports_raw_and_cross_fitted_calibrated_metrics_on_valid_and_test()
    {
        var train = Synthetic.Logistic(4_000, seed: 1);
        var valid = Synthetic.Logistic(3_000, seed: 2);
        var test = Synthetic.Logistic(3_000, seed: 3);
        var run = CtrExperiment.Run("lr", new LogisticRegression(new LogisticRegressionOptions { Epochs = 3 }), 1, train, valid, test, "isotonic");
        Assert.Equal("lr", run.Model);
        Assert.InRange(run.Steps, 1, 3);
        Assert.True(run.Valid.Auc > 0.75);
        Assert.True(run.Test!.Auc > 0.75);
        Assert.True(double.IsFinite(run.Valid.CalibratedEce) && double.IsFinite(run.Test.CalibratedLogLoss));
        Assert.InRange(run.Valid.CalibratedEce, 0, 0.05);

        var plain = CtrExperiment.Run("lr", new LogisticRegression(new LogisticRegressionOptions { Epochs = 3 }), 1, train, valid, null, CtrExperiment.NoCalibration);
        Assert.True(double.IsNaN(plain.Valid.CalibratedEce));
        Assert.Null(plain.Test);
        Assert.Throws<ArgumentException>(() => CtrExperiment.Run("lr", new LogisticRegression(), 1, train, valid, null, "beta"));
    }

    [Fact]
    public void Mean_and_sd_use_the_sample_standard_deviation()
    {
        var (mean, sd) = CtrExperiment.MeanAndSd([1, 2, 3]);
        Assert.Equal(2, mean);
        Assert.Equal(1, sd);
        Assert.Equal((5.0, 0.0), CtrExperiment.MeanAndSd([5]));
        Assert.True(double.IsNaN(CtrExperiment.MeanAndSd([double.NaN]).Mean));
    }
}
