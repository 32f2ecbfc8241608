using System.Numerics.Tensors;

namespace Cascade.Ranking.Neural.Dcn;

/// <summary>Gradients of one mini-batch: dense, and embedding rows listed in <see cref="Touched"/>.</summary>
internal sealed class DcnV2Gradients
{
    private readonly List<int>[] _touchedByField;
    private readonly int[] _seenAt;
    private int _stamp;

    public DcnV2Gradients(DcnV2Network network)
    {
        Dense = new float[network.Parameters.Length];
        Embedding = new float[network.Embeddings.Length];
        _touchedByField = [.. Enumerable.Range(0, network.Fields).Select(_ => new List<int>())];
        _seenAt = new int[network.Vocabulary];
        Touched = new List<int>();
    }

    public float[] Dense { get; }

    /// <summary>V × d; only rows in <see cref="Touched"/> are non-zero.</summary>
    public float[] Embedding { get; }

    /// <summary>Embedding rows of the batch, each once, by field then first use.</summary>
    public List<int> Touched { get; }

    internal List<int> FieldRows(int field) => _touchedByField[field];

    internal bool Mark(int row) => _seenAt[row] != _stamp && (_seenAt[row] = _stamp) == _stamp;

    /// <summary>Zeroes what the previous batch wrote and starts a new touched set.</summary>
    internal void Reset(int embeddingDimension)
    {
        foreach (int row in Touched)
        {
            Embedding.AsSpan(row * embeddingDimension, embeddingDimension).Clear();
        }
        Touched.Clear();
        foreach (var list in _touchedByField)
        {
            list.Clear();
        }
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_seenAt);
            _stamp = 1;
        }
    }
}

/// <summary>Activations of one training mini-batch, kept for the backward pass.</summary>
internal sealed class DcnV2Activations
{
    public DcnV2Activations(DcnV2Network network, int capacity, double dropout)
    {
        Capacity = capacity;
        int d = network.InputDimension;
        X = [.. Enumerable.Range(0, network.CrossLayers + 1).Select(_ => new float[capacity * d])];
        U = [.. Enumerable.Range(0, network.CrossLayers).Select(_ => new float[capacity * d])];
        int layers = network.DeepLayers;
        Z = new float[layers][];
        A = new float[layers][];
        XHat = new float[layers][];
        H = new float[layers][];
        Mask = new float[layers][];
        int widest = 1;
        for (int k = 0; k < layers; k++)
        {
            int size = capacity * network.Hidden[k];
            widest = Math.Max(widest, network.Hidden[k]);
            Z[k] = new float[size];
            A[k] = network.BatchNorm ? new float[size] : Z[k];
            XHat[k] = network.BatchNorm ? new float[size] : [];
            H[k] = new float[size];
            Mask[k] = dropout > 0 ? new float[size] : [];
        }
        BatchMean = new float[network.RunningMean.Length];
        BatchInvStd = new float[network.RunningMean.Length];
        DeepGrad = new float[capacity * widest];
        DeepGradNext = new float[capacity * widest];
        ZGrad = new float[capacity * widest];
        XGrad = new float[capacity * d];
        X0Grad = new float[capacity * d];
        Logit = new float[capacity];
        LogitGrad = new float[capacity];
        RowLoss = new float[capacity];
        TransposedCross = [.. Enumerable.Range(0, network.CrossLayers).Select(_ => new float[d * d])];
        TransposedDeep = [.. Enumerable.Range(0, layers).Select(k => new float[network.DeepIn(k) * network.Hidden[k]])];
    }

    public int Capacity { get; }
    public float[][] X { get; }
    public float[][] U { get; }
    public float[][] Z { get; }
    public float[][] A { get; }
    public float[][] XHat { get; }
    public float[][] H { get; }
    public float[][] Mask { get; }
    public float[] BatchMean { get; }
    public float[] BatchInvStd { get; }
    public float[] DeepGrad { get; }
    public float[] DeepGradNext { get; }
    public float[] ZGrad { get; }
    public float[] XGrad { get; }
    public float[] X0Grad { get; }
    public float[] Logit { get; }
    public float[] LogitGrad { get; }
    public float[] RowLoss { get; }
    public float[][] TransposedCross { get; }
    public float[][] TransposedDeep { get; }
}

/// <summary>The training forward and backward passes (hand-derived gradients; see docs/rankers-dcnv2.md).</summary>
internal sealed partial class DcnV2Network
{
    /// <summary>
    /// Forward and backward over <paramref name="rows"/> of <paramref name="data"/>: writes the gradient of
    /// L = (1/B)·Σ_i [w_i·ℓ_i + (λ/2)·Σ_f ‖e_{i,f}‖²] into <paramref name="gradients"/> and returns L. Batch norm uses
    /// the batch's statistics (and, when <paramref name="updateRunningStats"/>, moves the running ones); dropout masks
    /// come from <paramref name="dropoutSeed"/> and the row's position in the batch, so they do not depend on threads.
    /// </summary>
    public double ComputeGradients(RankingDataset data, ReadOnlySpan<int> rows, DcnV2Activations act, DcnV2Gradients gradients,
        double dropout, double embeddingL2, ulong dropoutSeed, int threads, bool updateRunningStats)
    {
        int batch = rows.Length;
        if (batch == 0 || batch > act.Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), batch, $"A batch holds 1 to {act.Capacity} rows.");
        }
        int[] rowIndex = rows.ToArray();
        int d = InputDimension;
        int layers = DeepLayers;
        float keep = (float)(1 - dropout);
        float lambda = (float)embeddingL2;
        Array.Clear(gradients.Dense);
        gradients.Reset(EmbeddingDimension);

        // Forward, part 1 (row-parallel): x0, the cross stack and the first deep layer's linear map.
        Ranges(batch, threads, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                act.RowLoss[i] = (0.5f * lambda) * BuildInput(data, rowIndex[i], act.X[0].AsSpan(i * d, d));
            }
            CrossForward(act.X, act.U, from, to);
            if (layers > 0)
            {
                LinearForward(0, DeepInput(act), act.Z[0], from, to);
            }
            else
            {
                OutputForward(act.X[CrossLayers], [], act.Logit, from, to);
            }
        });

        // Forward, part 2: per deep layer, batch statistics (column-parallel) then normalise, ReLU, dropout and the next linear map (row-parallel).
        for (int k = 0; k < layers; k++)
        {
            int width = Hidden[k];
            int layer = k;
            if (BatchNorm)
            {
                Ranges(width, threads, (from, to) => BatchStatistics(layer, act, batch, from, to, updateRunningStats));
            }
            Ranges(batch, threads, (from, to) =>
            {
                ActivateTraining(layer, act, from, to, keep, dropoutSeed);
                if (layer + 1 < layers)
                {
                    LinearForward(layer + 1, act.H[layer], act.Z[layer + 1], from, to);
                }
                else
                {
                    OutputForward(act.X[CrossLayers], act.H[layer], act.Logit, from, to);
                }
            });
        }

        // Loss and its gradient with respect to each logit.
        double loss = 0;
        float invBatch = 1f / batch;
        var labels = data.Labels!;
        for (int i = 0; i < batch; i++)
        {
            int r = rowIndex[i];
            float s = act.Logit[i], y = labels[r], w = data.Weights?[r] ?? 1f;
            float p = 1f / (1f + MathF.Exp(-s));
            double rowLogLoss = Math.Max(s, 0) - (s * (double)y) + Math.Log(1 + Math.Exp(-Math.Abs(s)));
            loss += (w * rowLogLoss) + act.RowLoss[i];
            act.LogitGrad[i] = w * (p - y) * invBatch;
        }
        loss /= batch;

        PrepareTransposes(act, threads);
        Backward(data, rowIndex, act, gradients, lambda * invBatch, keep, threads);
        return loss;
    }

    private float[] DeepInput(DcnV2Activations act) => Structure == DcnStructure.Parallel ? act.X[0] : act.X[CrossLayers];

    /// <summary>Writes x0 of one data row; returns Σ_f ‖e_f‖² for the L2 term.</summary>
    internal float BuildInput(RankingDataset data, int row, Span<float> x0)
    {
        int dim = EmbeddingDimension;
        float squares = 0;
        var codes = data.Categorical.AsSpan(row * Fields, Fields);
        for (int f = 0; f < Fields; f++)
        {
            var e = Embeddings.AsSpan((_fieldOffsets[f] + codes[f]) * dim, dim);
            e.CopyTo(x0.Slice(f * dim, dim));
            squares += TensorPrimitives.Dot(e, e);
        }
        int n = NumericCount, start = Fields * dim;
        var values = data.Numeric.AsSpan(row * n, n);
        for (int j = 0; j < n; j++)
        {
            float v = values[j];
            bool missing = float.IsNaN(v);
            x0[start + j] = missing ? 0 : (v - NumericMean[j]) * NumericScale[j];
            x0[start + n + j] = missing ? 1 : 0;
        }
        return squares;
    }

    /// <summary>x_{l+1} = x0 ⊙ u_l + x_l with u_l = x_l W_l + b_l, for rows [from, to).</summary>
    internal void CrossForward(float[][] x, float[][] u, int from, int to)
    {
        int d = InputDimension, rows = to - from;
        for (int l = 0; l < CrossLayers; l++)
        {
            var ul = u[l].AsSpan(from * d, rows * d);
            Kernels.Gemm(x[l].AsSpan(from * d), d, 1, Parameters.AsSpan(_crossW[l], d * d), d, ul, d, rows, d, d, accumulate: false);
            var bias = Parameters.AsSpan(_crossB[l], d);
            for (int i = 0; i < rows; i++)
            {
                var ui = ul.Slice(i * d, d);
                TensorPrimitives.Add(ui, bias, ui);
                int at = (from + i) * d;
                TensorPrimitives.FusedMultiplyAdd(x[0].AsSpan(at, d), ui, x[l].AsSpan(at, d), x[l + 1].AsSpan(at, d));
            }
        }
    }

    /// <summary>z = input · W_k + b_k for rows [from, to).</summary>
    internal void LinearForward(int k, float[] input, float[] z, int from, int to)
    {
        int inWidth = _deepIn[k], width = Hidden[k], rows = to - from;
        var target = z.AsSpan(from * width, rows * width);
        Kernels.Gemm(input.AsSpan(from * inWidth), inWidth, 1, Parameters.AsSpan(_deepW[k], inWidth * width), width, target, width, rows, width, inWidth, accumulate: false);
        var bias = Parameters.AsSpan(_deepB[k], width);
        for (int i = 0; i < rows; i++)
        {
            var zi = target.Slice(i * width, width);
            TensorPrimitives.Add(zi, bias, zi);
        }
    }

    /// <summary>logit = [x_L ; h_K]·w_o + b_o (or h_K·w_o + b_o stacked) for rows [from, to).</summary>
    internal void OutputForward(float[] crossOut, float[] deepOut, float[] logits, int from, int to)
    {
        int d = InputDimension;
        var w = Parameters.AsSpan(OutW, OutputInput);
        float bias = Parameters[OutB];
        bool useCross = DeepLayers == 0 || Structure == DcnStructure.Parallel;
        int width = DeepLayers == 0 ? 0 : Hidden[^1];
        for (int i = from; i < to; i++)
        {
            float s = bias;
            int at = 0;
            if (useCross)
            {
                s += TensorPrimitives.Dot(crossOut.AsSpan(i * d, d), w[..d]);
                at = d;
            }
            if (width > 0)
            {
                s += TensorPrimitives.Dot(deepOut.AsSpan(i * width, width), w.Slice(at, width));
            }
            logits[i] = s;
        }
    }

    private void BatchStatistics(int k, DcnV2Activations act, int batch, int from, int to, bool updateRunning)
    {
        int width = Hidden[k], stat = _statOffset[k];
        var z = act.Z[k];
        var mean = act.BatchMean.AsSpan(stat, width);
        var inv = act.BatchInvStd.AsSpan(stat, width);
        Kernels.ColumnSums(z, batch, width, from, to, mean);
        for (int u = from; u < to; u++)
        {
            mean[u] /= batch;
        }
        var squares = inv;
        squares[from..to].Clear();
        for (int i = 0; i < batch; i++)
        {
            var row = z.AsSpan((i * width) + from, to - from);
            for (int u = 0; u < row.Length; u++)
            {
                float c = row[u] - mean[from + u];
                squares[from + u] = MathF.FusedMultiplyAdd(c, c, squares[from + u]);
            }
        }
        for (int u = from; u < to; u++)
        {
            float variance = squares[u] / batch;
            inv[u] = 1f / MathF.Sqrt(variance + BatchNormEpsilon);
            if (updateRunning)
            {
                float unbiased = batch > 1 ? variance * batch / (batch - 1) : variance;
                RunningMean[stat + u] += BatchNormMomentum * (mean[u] - RunningMean[stat + u]);
                RunningVar[stat + u] += BatchNormMomentum * (unbiased - RunningVar[stat + u]);
            }
        }
    }

    private void ActivateTraining(int k, DcnV2Activations act, int from, int to, float keep, ulong seed)
    {
        int width = Hidden[k], stat = _statOffset[k];
        var mean = act.BatchMean.AsSpan(stat, width);
        var inv = act.BatchInvStd.AsSpan(stat, width);
        var gamma = BatchNorm ? Parameters.AsSpan(_gamma[k], width) : default;
        var beta = BatchNorm ? Parameters.AsSpan(_beta[k], width) : default;
        bool drop = keep < 1;
        float scale = 1f / keep;
        uint threshold = (uint)(keep * uint.MaxValue);
        for (int i = from; i < to; i++)
        {
            int at = i * width;
            var a = act.A[k].AsSpan(at, width);
            if (BatchNorm)
            {
                var xhat = act.XHat[k].AsSpan(at, width);
                TensorPrimitives.Subtract(act.Z[k].AsSpan(at, width), mean, xhat);
                TensorPrimitives.Multiply(xhat, inv, xhat);
                TensorPrimitives.FusedMultiplyAdd(xhat, gamma, beta, a);
            }
            var h = act.H[k].AsSpan(at, width);
            TensorPrimitives.Max(a, 0f, h);
            if (drop)
            {
                var mask = act.Mask[k].AsSpan(at, width);
                for (int u = 0; u < width; u++)
                {
                    mask[u] = Hash(seed, k, i, u) < threshold ? scale : 0f;
                }
                TensorPrimitives.Multiply(h, mask, h);
            }
        }
    }

    private static uint Hash(ulong seed, int layer, int row, int unit)
    {
        ulong z = seed + ((ulong)(uint)layer << 48) + ((ulong)(uint)row << 20) + (uint)unit;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (uint)((z ^ (z >> 31)) >> 32);
    }

    private void PrepareTransposes(DcnV2Activations act, int threads)
    {
        int d = InputDimension;
        int cross = CrossLayers;
        Ranges(cross + DeepLayers, Math.Min(threads, cross + DeepLayers), (from, to) =>
        {
            for (int t = from; t < to; t++)
            {
                if (t < cross)
                {
                    Kernels.Transpose(Parameters.AsSpan(_crossW[t], d * d), d, d, act.TransposedCross[t]);
                }
                else
                {
                    int k = t - cross;
                    Kernels.Transpose(Parameters.AsSpan(_deepW[k], _deepIn[k] * Hidden[k]), _deepIn[k], Hidden[k], act.TransposedDeep[k]);
                }
            }
        });
    }
}
