namespace Cascade.Ranking.Calibration;

/// <summary>
/// Platt scaling: p = σ(A·s + B), A and B fitted by Newton's method with backtracking on the cross-entropy against
/// Platt's smoothed targets (N₊ + 1)/(N₊ + 2) for positives and 1/(N₋ + 2) for negatives (Platt 1999; Lin, Lin and
/// Weng 2007), which keeps A and B finite on separable data. <see cref="SmoothTargets"/> = false fits the plain
/// maximum-likelihood logistic curve.
/// </summary>
public sealed class PlattCalibrator : ICalibrator
{
    /// <summary>The kind name.</summary>
    public const string KindName = "platt";

    /// <summary>Creates an unfitted calibrator.</summary>
    /// <param name="smoothTargets">Use Platt's smoothed targets (default) instead of 0/1.</param>
    public PlattCalibrator(bool smoothTargets = true)
    {
        SmoothTargets = smoothTargets;
    }

    /// <summary>Creates a fitted calibrator with the given coefficients.</summary>
    /// <param name="a">Slope A.</param>
    /// <param name="b">Intercept B.</param>
    public PlattCalibrator(double a, double b)
    {
        if (!double.IsFinite(a) || !double.IsFinite(b))
        {
            throw new ArgumentException($"Platt coefficients must be finite; got A = {a}, B = {b}.", nameof(a));
        }
        A = a;
        B = b;
        SmoothTargets = true;
        IsFitted = true;
    }

    /// <inheritdoc />
    public string Kind => KindName;

    /// <summary>Whether fitting uses Platt's smoothed targets.</summary>
    public bool SmoothTargets { get; }

    /// <inheritdoc />
    public bool IsFitted { get; private set; }

    /// <summary>Slope A of σ(A·s + B).</summary>
    public double A { get; private set; } = 1;

    /// <summary>Intercept B of σ(A·s + B).</summary>
    public double B { get; private set; }

    /// <inheritdoc />
    public void Fit(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        CalibrationData.Check(scores, labels);
        int n = scores.Length;
        int positives = 0;
        foreach (bool y in labels)
        {
            positives += y ? 1 : 0;
        }
        double high = SmoothTargets ? (positives + 1.0) / (positives + 2.0) : 1;
        double low = SmoothTargets ? 1.0 / (n - positives + 2.0) : 0;
        // Start from the prior log-odds, as Lin et al. do.
        double a = 0, b = Math.Log((positives + 1.0) / (n - positives + 1.0));
        double value = Objective(scores, labels, high, low, a, b);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            double ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
            for (int i = 0; i < n; i++)
            {
                double s = scores[i];
                double p = Training.RankerMath.Sigmoid((a * s) + b);
                double t = labels[i] ? high : low;
                double d = p - t;
                double w = p * (1 - p);
                ga += d * s;
                gb += d;
                haa += w * s * s;
                hab += w * s;
                hbb += w;
            }
            if (Math.Abs(ga) < 1e-9 * n && Math.Abs(gb) < 1e-9 * n)
            {
                break;
            }
            double det = (haa * hbb) - (hab * hab);
            if (!(det > 0))
            {
                break;
            }
            double da = -((hbb * ga) - (hab * gb)) / det;
            double db = -((haa * gb) - (hab * ga)) / det;
            double step = 1;
            bool improved = false;
            while (step >= 1e-10)
            {
                double candidate = Objective(scores, labels, high, low, a + (step * da), b + (step * db));
                if (candidate <= value + (1e-4 * step * ((ga * da) + (gb * db))))
                {
                    a += step * da;
                    b += step * db;
                    value = candidate;
                    improved = true;
                    break;
                }
                step /= 2;
            }
            if (!improved)
            {
                break;
            }
        }
        A = a;
        B = b;
        IsFitted = true;
    }

    /// <inheritdoc />
    public float Apply(float score) => (float)Training.RankerMath.Sigmoid((A * score) + B);

    /// <inheritdoc />
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(SmoothTargets);
        writer.Write(A);
        writer.Write(B);
    }

    /// <summary>Reads a calibrator written by <see cref="WriteTo"/>.</summary>
    /// <param name="reader">Source.</param>
    /// <exception cref="InvalidDataException">Non-finite coefficients.</exception>
    public static PlattCalibrator ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        bool smooth = reader.ReadBoolean();
        double a = reader.ReadDouble(), b = reader.ReadDouble();
        if (!double.IsFinite(a) || !double.IsFinite(b))
        {
            throw new InvalidDataException($"Platt coefficients are not finite (A = {a}, B = {b}).");
        }
        return new PlattCalibrator(smooth) { A = a, B = b, IsFitted = true };
    }

    private static double Objective(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, double high, double low, double a, double b)
    {
        double sum = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            double t = labels[i] ? high : low;
            double z = (a * scores[i]) + b;
            // −t·ln σ(z) − (1 − t)·ln(1 − σ(z)) = softplus(z) − t·z
            sum += (z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z))) - (t * z);
        }
        return sum;
    }
}
