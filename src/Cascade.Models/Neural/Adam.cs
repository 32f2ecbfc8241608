namespace Cascade.Models.Neural;

/// <summary>
/// Adam (Kingma and Ba 2015) with decoupled weight decay (AdamW, Loshchilov and Hutter 2019) over one parameter array.
/// Embedding tables are updated lazily: only the rows a batch touched take a step (TensorFlow's LazyAdam), with the
/// global step count in the bias correction, so a batch costs what it touches, not the size of the table.
/// </summary>
public sealed class Adam
{
    private readonly float[] _m;
    private readonly float[] _v;

    /// <summary>Creates the moments of a parameter array of <paramref name="length"/> values.</summary>
    /// <param name="length">Number of parameters.</param>
    /// <param name="learningRate">Step size η.</param>
    /// <param name="weightDecay">Decoupled decay λ: each step multiplies the touched parameters by 1 − ηλ.</param>
    /// <param name="beta1">First-moment decay (default 0.9).</param>
    /// <param name="beta2">Second-moment decay (default 0.999).</param>
    /// <param name="epsilon">Denominator guard (default 1e-8).</param>
    public Adam(int length, double learningRate, double weightDecay = 0, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be finite and > 0.");
        }
        _m = new float[length];
        _v = new float[length];
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>Step size η.</summary>
    public double LearningRate { get; }

    /// <summary>Decoupled weight decay λ.</summary>
    public double WeightDecay { get; }

    /// <summary>First-moment decay β₁.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay β₂.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator guard ε.</summary>
    public double Epsilon { get; }

    /// <summary>Applies one step to <paramref name="parameters"/>[offset, offset + gradient.Length).</summary>
    /// <param name="parameters">The whole parameter array.</param>
    /// <param name="offset">First parameter updated (a row of a table, or 0 for a dense matrix).</param>
    /// <param name="gradient">The gradient of those parameters.</param>
    /// <param name="step">The global step number, from 1.</param>
    public void Update(Span<float> parameters, int offset, ReadOnlySpan<float> gradient, int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        Span<float> p = parameters.Slice(offset, gradient.Length);
        Span<float> m = _m.AsSpan(offset, gradient.Length), v = _v.AsSpan(offset, gradient.Length);
        float b1 = (float)Beta1, b2 = (float)Beta2;
        float correction1 = (float)(1 - Math.Pow(Beta1, step)), correction2 = (float)(1 - Math.Pow(Beta2, step));
        float lr = (float)LearningRate, eps = (float)Epsilon, decay = (float)(1 - (LearningRate * WeightDecay));
        for (int k = 0; k < p.Length; k++)
        {
            float g = gradient[k];
            m[k] = (b1 * m[k]) + ((1 - b1) * g);
            v[k] = (b2 * v[k]) + ((1 - b2) * g * g);
            float mHat = m[k] / correction1, vHat = v[k] / correction2;
            p[k] = (p[k] * decay) - (lr * mHat / (MathF.Sqrt(vHat) + eps));
        }
    }
}
