using Cascade.Evaluation.Metrics;

namespace Cascade.Evaluation.Tests;

public sealed class RatingMetricsTests
{
    [Fact]
    public void Rmse_and_mae_of_errors_one_zero_two()
    {
        float[] actual = [1, 2, 3];
        float[] predicted = [2, 2, 5];
        Assert.Equal(Math.Sqrt(5.0 / 3), RatingMetrics.Rmse(actual, predicted), 12);
        Assert.Equal(1.0, RatingMetrics.Mae(actual, predicted), 12);
    }
}
