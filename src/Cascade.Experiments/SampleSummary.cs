namespace Cascade.Experiments;

/// <summary>The sufficient statistics of one arm's per-unit values: count, mean and sample variance (n − 1 denominator).</summary>
/// <param name="Count">The number of units.</param>
/// <param name="Mean">The mean of the values.</param>
/// <param name="Variance">The sample variance of the values.</param>
public sealed record SampleSummary(long Count, double Mean, double Variance)
{
    /// <summary>The variance of the mean, Variance / Count.</summary>
    public double VarianceOfMean => Variance / Count;

    /// <summary>Summarises <paramref name="values"/> (two passes, for precision).</summary>
    /// <param name="values">The per-unit values; at least two.</param>
    public static SampleSummary FromValues(ReadOnlySpan<double> values)
    {
        if (values.Length < 2)
        {
            throw new ArgumentException($"A sample summary needs at least 2 values; got {values.Length}.", nameof(values));
        }
        double mean = 0;
        foreach (double v in values)
        {
            mean += v;
        }
        mean /= values.Length;
        double squares = 0;
        foreach (double v in values)
        {
            squares += (v - mean) * (v - mean);
        }
        return new SampleSummary(values.Length, mean, squares / (values.Length - 1));
    }

    /// <summary>Builds a summary from running sums Σx and Σx² over <paramref name="count"/> units.</summary>
    /// <param name="count">The number of units; at least 2.</param>
    /// <param name="sum">Σx.</param>
    /// <param name="sumOfSquares">Σx².</param>
    public static SampleSummary FromSums(long count, double sum, double sumOfSquares)
    {
        if (count < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A sample summary needs at least 2 units.");
        }
        double mean = sum / count;
        return new SampleSummary(count, mean, Math.Max(0, (sumOfSquares - (sum * mean)) / (count - 1)));
    }
}
