namespace Cascade.Ranking.Calibration;

/// <summary>
/// Isotonic regression by pool-adjacent-violators (Zadrozny and Elkan 2002): the non-decreasing step function of the
/// score closest in squared error to the labels. Rows with equal scores are pooled first; each block keeps its lowest
/// and highest score, and <see cref="Apply"/> interpolates linearly between those breakpoints and is constant beyond
/// the ends (as scikit-learn's <c>IsotonicRegression(out_of_bounds="clip")</c>). Outputs are clipped to
/// [<see cref="MinProbability"/>, 1 − <see cref="MinProbability"/>] so that a block without positives (or negatives)
/// does not predict a certainty.
/// </summary>
public sealed class IsotonicCalibrator : ICalibrator
{
    /// <summary>The kind name.</summary>
    public const string KindName = "isotonic";

    private float[] _x = [];
    private float[] _y = [];

    /// <summary>Creates an unfitted calibrator.</summary>
    /// <param name="minProbability">Outputs are clipped to [m, 1 − m]; in [0, 0.5).</param>
    public IsotonicCalibrator(double minProbability = 1e-4)
    {
        if (!(minProbability >= 0 && minProbability < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(minProbability), minProbability, "minProbability must lie in [0, 0.5).");
        }
        MinProbability = minProbability;
    }

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public bool IsFitted => _x.Length > 0;

    /// <summary>Outputs are clipped to [MinProbability, 1 − MinProbability].</summary>
    public double MinProbability { get; }

    /// <summary>The breakpoints' scores (non-decreasing).</summary>
    public IReadOnlyList<float> Thresholds => _x;

    /// <summary>The breakpoints' fitted values (non-decreasing, before clipping).</summary>
    public IReadOnlyList<float> Values => _y;

    /// <inheritdoc />
    public void Fit(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        CalibrationData.Check(scores, labels);
        int n = scores.Length;
        var keys = scores.ToArray();
        var targets = new double[n];
        for (int i = 0; i < n; i++)
        {
            targets[i] = labels[i] ? 1 : 0;
        }
        Array.Sort(keys, targets);
        // Pool equal scores: one point per distinct score, weighted by its count.
        var xs = new List<float>();
        var ys = new List<double>();
        var ws = new List<double>();
        for (int i = 0; i < n;)
        {
            int j = i;
            double sum = 0;
            while (j < n && keys[j] == keys[i])
            {
                sum += targets[j];
                j++;
            }
            xs.Add(keys[i]);
            ys.Add(sum / (j - i));
            ws.Add(j - i);
            i = j;
        }
        var (values, starts) = PoolAdjacentViolators(ys, ws);
        var thresholds = new List<float>();
        var fitted = new List<float>();
        for (int blockIndex = 0; blockIndex < values.Length; blockIndex++)
        {
            int first = starts[blockIndex];
            int last = (blockIndex + 1 < starts.Length ? starts[blockIndex + 1] : xs.Count) - 1;
            thresholds.Add(xs[first]);
            fitted.Add((float)values[blockIndex]);
            if (last > first)
            {
                thresholds.Add(xs[last]);
                fitted.Add((float)values[blockIndex]);
            }
        }
        _x = [.. thresholds];
        _y = [.. fitted];
    }

    /// <inheritdoc />
    public float Apply(float score)
    {
        if (!IsFitted)
        {
            throw new InvalidOperationException("The isotonic calibrator is not fitted; call Fit first.");
        }
        float y;
        if (float.IsNaN(score))
        {
            return float.NaN;
        }
        if (score <= _x[0])
        {
            y = _y[0];
        }
        else if (score >= _x[^1])
        {
            y = _y[^1];
        }
        else
        {
            int hi = Array.BinarySearch(_x, score);
            if (hi >= 0)
            {
                y = _y[hi];
            }
            else
            {
                hi = ~hi;
                int lo = hi - 1;
                float t = (score - _x[lo]) / (_x[hi] - _x[lo]);
                y = _y[lo] + (t * (_y[hi] - _y[lo]));
            }
        }
        return (float)Math.Clamp(y, MinProbability, 1 - MinProbability);
    }

    /// <inheritdoc />
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(MinProbability);
        writer.Write(_x.Length);
        for (int i = 0; i < _x.Length; i++)
        {
            writer.Write(_x[i]);
            writer.Write(_y[i]);
        }
    }

    /// <summary>Reads a calibrator written by <see cref="WriteTo"/>.</summary>
    /// <param name="reader">Source.</param>
    /// <exception cref="InvalidDataException">Breakpoints out of order or out of [0, 1].</exception>
    public static IsotonicCalibrator ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        double min = reader.ReadDouble();
        int count = reader.ReadInt32();
        if (count < 1 || (long)count * 8 > reader.BaseStream.Length - reader.BaseStream.Position || !(min >= 0 && min < 0.5))
        {
            throw new InvalidDataException($"Isotonic calibrator has {count} breakpoints and minimum probability {min}; the data is corrupt.");
        }
        var calibrator = new IsotonicCalibrator(min) { _x = new float[count], _y = new float[count] };
        for (int i = 0; i < count; i++)
        {
            calibrator._x[i] = reader.ReadSingle();
            calibrator._y[i] = reader.ReadSingle();
            if (!float.IsFinite(calibrator._x[i]) || !(calibrator._y[i] is >= 0 and <= 1)
                || (i > 0 && (calibrator._x[i] < calibrator._x[i - 1] || calibrator._y[i] < calibrator._y[i - 1])))
            {
                throw new InvalidDataException($"Isotonic breakpoint {i} ({calibrator._x[i]}, {calibrator._y[i]}) is out of order or out of range.");
            }
        }
        return calibrator;
    }

    /// <summary>
    /// Pool-adjacent-violators on weighted targets: the non-decreasing sequence minimising Σ w_i (y_i − f_i)².
    /// Returns each block's value and the index of its first element.
    /// </summary>
    internal static (double[] Values, int[] Starts) PoolAdjacentViolators(IReadOnlyList<double> y, IReadOnlyList<double> w)
    {
        int n = y.Count;
        var values = new double[n];
        var weights = new double[n];
        var starts = new int[n];
        int blocks = 0;
        for (int i = 0; i < n; i++)
        {
            values[blocks] = y[i];
            weights[blocks] = w[i];
            starts[blocks] = i;
            blocks++;
            while (blocks > 1 && values[blocks - 2] > values[blocks - 1])
            {
                double total = weights[blocks - 2] + weights[blocks - 1];
                values[blocks - 2] = ((values[blocks - 2] * weights[blocks - 2]) + (values[blocks - 1] * weights[blocks - 1])) / total;
                weights[blocks - 2] = total;
                blocks--;
            }
        }
        return (values[..blocks], starts[..blocks]);
    }

    /// <summary>The PAV fit expanded back to one value per input element (for tests and diagnostics).</summary>
    internal static double[] PoolAdjacentViolatorsExpanded(IReadOnlyList<double> y, IReadOnlyList<double> w)
    {
        var (values, starts) = PoolAdjacentViolators(y, w);
        var result = new double[y.Count];
        for (int b = 0; b < values.Length; b++)
        {
            int end = b + 1 < starts.Length ? starts[b + 1] : y.Count;
            for (int i = starts[b]; i < end; i++)
            {
                result[i] = values[b];
            }
        }
        return result;
    }
}
