using System.Numerics.Tensors;

namespace Cascade.Ranking.Neural.Dcn;

/// <summary>
/// Adam (Kingma and Ba 2015) for a DCN-v2: dense parameters take a step every batch (with optional decoupled weight
/// decay, AdamW); embedding rows take a step only in batches that touch them (LazyAdam), with the global step in the
/// bias correction, so a batch costs what it touches rather than the size of the table; with a whole-table L2 penalty
/// (<see cref="TableL2"/>) every row steps every batch instead. The learning rate can change
/// between steps (decay on plateau).
/// </summary>
internal sealed class LazyAdam
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f;
    private readonly float[] _m, _v, _embeddingM, _embeddingV;
    private readonly float[] _scratch;

    private float[]? _tableGradient, _tableScratch;

    public LazyAdam(int denseLength, int embeddingLength, double learningRate, double weightDecay, double tableL2 = 0)
    {
        TableL2 = tableL2;
        _m = new float[denseLength];
        _v = new float[denseLength];
        _embeddingM = new float[embeddingLength];
        _embeddingV = new float[embeddingLength];
        _scratch = new float[denseLength];
        LearningRate = learningRate;
        WeightDecay = weightDecay;
    }

    public double LearningRate { get; set; }

    public double WeightDecay { get; }

    /// <summary>μ of the (μ/2)·‖E‖² penalty on the whole table; when &gt; 0 every row steps every batch.</summary>
    public double TableL2 { get; }

    public int Step { get; private set; }

    /// <summary>Applies one step of <paramref name="gradients"/> to <paramref name="network"/>.</summary>
    public void Apply(DcnV2Network network, DcnV2Gradients gradients, int threads)
    {
        Step++;
        float correction1 = 1 - MathF.Pow(Beta1, Step), correction2 = 1 - MathF.Pow(Beta2, Step);
        // p ← p·(1 − ηλ) − η·m̂ / (√v̂ + ε), with m̂ = m / c1 and v̂ = v / c2, written as (η/c1)·m / (√v / √c2 + ε).
        float stepSize = (float)LearningRate / correction1, root2 = MathF.Sqrt(correction2);
        float decay = (float)(1 - (LearningRate * WeightDecay));
        float[] parameters = network.Parameters, grad = gradients.Dense;
        DcnV2Network.Ranges(parameters.Length, threads, (from, to) =>
            Update(parameters.AsSpan(from, to - from), grad.AsSpan(from, to - from), _m.AsSpan(from, to - from), _v.AsSpan(from, to - from), _scratch.AsSpan(from, to - from), stepSize, root2, decay));
        int dim = network.EmbeddingDimension;
        var touched = gradients.Touched;
        float[] table = network.Embeddings, embeddingGrad = gradients.Embedding;
        if (TableL2 > 0)
        {
            float mu = (float)TableL2;
            float[] full = _tableGradient ??= new float[table.Length];
            float[] scratch = _tableScratch ??= new float[table.Length];
            DcnV2Network.Ranges(table.Length, threads, (from, to) =>
            {
                int length = to - from;
                // g = ∂L_batch/∂E + μ·E over the whole table; untouched rows have a zero batch gradient.
                TensorPrimitives.MultiplyAdd(table.AsSpan(from, length), mu, embeddingGrad.AsSpan(from, length), full.AsSpan(from, length));
                Update(table.AsSpan(from, length), full.AsSpan(from, length), _embeddingM.AsSpan(from, length), _embeddingV.AsSpan(from, length), scratch.AsSpan(from, length), stepSize, root2, 1f);
            });
            return;
        }
        DcnV2Network.Ranges(touched.Count, threads, (from, to) =>
        {
            Span<float> scratch = stackalloc float[dim];
            for (int t = from; t < to; t++)
            {
                int at = touched[t] * dim;
                Update(table.AsSpan(at, dim), embeddingGrad.AsSpan(at, dim), _embeddingM.AsSpan(at, dim), _embeddingV.AsSpan(at, dim), scratch, stepSize, root2, 1f);
            }
        });
    }

    private static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> scratch, float stepSize, float root2, float decay)
    {
        // m ← β1·m + (1 − β1)·g
        TensorPrimitives.Multiply(g, 1 - Beta1, scratch);
        TensorPrimitives.FusedMultiplyAdd(m, Beta1, scratch, m);
        // v ← β2·v + (1 − β2)·g²
        TensorPrimitives.Multiply(g, g, scratch);
        TensorPrimitives.Multiply(scratch, 1 - Beta2, scratch);
        TensorPrimitives.FusedMultiplyAdd(v, Beta2, scratch, v);
        // scratch ← η/c1 · m / (√v / √c2 + ε)
        TensorPrimitives.Sqrt(v, scratch);
        TensorPrimitives.Multiply(scratch, 1 / root2, scratch);
        TensorPrimitives.Add(scratch, Epsilon, scratch);
        TensorPrimitives.Divide(m, scratch, scratch);
        if (decay != 1f)
        {
            TensorPrimitives.Multiply(p, decay, p);
        }
        TensorPrimitives.MultiplyAdd(scratch, -stepSize, p, p);
    }
}
