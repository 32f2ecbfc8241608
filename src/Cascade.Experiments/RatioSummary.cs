namespace Cascade.Experiments;

/// <summary>
/// The sufficient statistics of a ratio metric in one arm, e.g. CTR = Σ clicks / Σ impressions over the arm's units:
/// the unit count and the sums of numerators, denominators, their squares and their products (per unit).
/// </summary>
/// <param name="Units">The number of units (each a user), at least 2 to have a variance.</param>
/// <param name="SumNumerator">Σ xᵢ (e.g. clicks).</param>
/// <param name="SumDenominator">Σ yᵢ (e.g. impressions).</param>
/// <param name="SumNumeratorSquares">Σ xᵢ².</param>
/// <param name="SumDenominatorSquares">Σ yᵢ².</param>
/// <param name="SumProducts">Σ xᵢyᵢ.</param>
public sealed record RatioSummary(long Units, double SumNumerator, double SumDenominator, double SumNumeratorSquares, double SumDenominatorSquares, double SumProducts)
{
    /// <summary>R = Σx / Σy.</summary>
    public double Ratio => SumNumerator / SumDenominator;

    /// <summary>
    /// The delta-method variance of R: (s²ₓ − 2R sₓᵧ + R² s²ᵧ) / (n ȳ²), with the sample (co)variances of the per-unit
    /// numerators and denominators (Deng, Knoblich, Lu 2018, "Applying the delta method in metric analytics").
    /// </summary>
    public double VarianceOfRatio
    {
        get
        {
            long n = Units;
            double meanX = SumNumerator / n;
            double meanY = SumDenominator / n;
            double varX = (SumNumeratorSquares - (n * meanX * meanX)) / (n - 1);
            double varY = (SumDenominatorSquares - (n * meanY * meanY)) / (n - 1);
            double covXY = (SumProducts - (n * meanX * meanY)) / (n - 1);
            double r = Ratio;
            return Math.Max(0, varX - (2 * r * covXY) + (r * r * varY)) / (n * meanY * meanY);
        }
    }

    /// <summary>Summarises per-unit numerators and denominators of equal length.</summary>
    /// <param name="numerators">xᵢ per unit.</param>
    /// <param name="denominators">yᵢ per unit.</param>
    public static RatioSummary FromUnits(ReadOnlySpan<double> numerators, ReadOnlySpan<double> denominators)
    {
        if (numerators.Length != denominators.Length)
        {
            throw new ArgumentException($"numerators has {numerators.Length} units and denominators {denominators.Length}; they must match.", nameof(denominators));
        }
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < numerators.Length; i++)
        {
            double x = numerators[i];
            double y = denominators[i];
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
        }
        return new RatioSummary(numerators.Length, sx, sy, sxx, syy, sxy);
    }

    /// <summary>
    /// The per-unit linearisation (influence values) of R: (xᵢ − R yᵢ) / ȳ. Their sample variance divided by n is the
    /// delta-method variance of R, so they stand in for per-unit values where a method needs them (CUPED).
    /// </summary>
    /// <param name="numerators">xᵢ per unit.</param>
    /// <param name="denominators">yᵢ per unit.</param>
    /// <param name="ratio">R, usually this arm's Σx / Σy.</param>
    public static double[] Linearize(ReadOnlySpan<double> numerators, ReadOnlySpan<double> denominators, double ratio)
    {
        double meanY = 0;
        foreach (double y in denominators)
        {
            meanY += y;
        }
        meanY /= denominators.Length;
        var values = new double[numerators.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = meanY > 0 ? (numerators[i] - (ratio * denominators[i])) / meanY : 0;
        }
        return values;
    }
}
