namespace Cascade.Evaluation.Metrics;

/// <summary>Rating-prediction errors over parallel arrays of true and predicted ratings.</summary>
public static class RatingMetrics
{
    /// <summary>Root mean squared error √(Σ (ŷ − y)² / n).</summary>
    public static double Rmse(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        Check(actual, predicted);
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double e = predicted[i] - actual[i];
            sum += e * e;
        }
        return Math.Sqrt(sum / actual.Length);
    }

    /// <summary>Mean absolute error Σ |ŷ − y| / n.</summary>
    public static double Mae(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        Check(actual, predicted);
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            sum += Math.Abs(predicted[i] - actual[i]);
        }
        return sum / actual.Length;
    }

    private static void Check(ReadOnlySpan<float> actual, ReadOnlySpan<float> predicted)
    {
        if (actual.Length != predicted.Length || actual.IsEmpty)
        {
            throw new ArgumentException($"Need equally long, non-empty arrays; got {actual.Length} actual and {predicted.Length} predicted ratings.", nameof(predicted));
        }
    }
}
