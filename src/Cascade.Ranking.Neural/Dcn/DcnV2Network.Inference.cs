using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace Cascade.Ranking.Neural.Dcn;

/// <summary>Scratch space for scoring one block of rows; pooled so that scoring allocates nothing in steady state.</summary>
internal sealed class DcnV2InferenceBuffers
{
    public const int BlockRows = 256;

    public DcnV2InferenceBuffers(DcnV2Network network)
    {
        int d = network.InputDimension;
        int widest = 1;
        foreach (int width in network.Hidden)
        {
            widest = Math.Max(widest, width);
        }
        X0 = new float[BlockRows * d];
        Current = new float[BlockRows * d];
        Next = new float[BlockRows * d];
        U = new float[BlockRows * d];
        H = new float[BlockRows * widest];
        HNext = new float[BlockRows * widest];
        Logit = new float[BlockRows];
    }

    public float[] X0 { get; }
    public float[] Current { get; set; }
    public float[] Next { get; set; }
    public float[] U { get; }
    public float[] H { get; set; }
    public float[] HNext { get; set; }
    public float[] Logit { get; }
}

/// <summary>Inference: batch norm folded into one scale and shift per unit, no dropout, blocks of rows through matrix kernels.</summary>
internal sealed partial class DcnV2Network
{
    private readonly ConcurrentBag<DcnV2InferenceBuffers> _pool = [];

    /// <summary>Writes the click probability of every row of <paramref name="data"/>; thread-safe.</summary>
    public void Predict(RankingDataset data, Span<float> scores, int threads)
    {
        int rows = data.Rows;
        int blocks = (rows + DcnV2InferenceBuffers.BlockRows - 1) / DcnV2InferenceBuffers.BlockRows;
        if (blocks <= 2 || threads <= 1)
        {
            var buffers = Rent();
            for (int b = 0; b < blocks; b++)
            {
                int from = b * DcnV2InferenceBuffers.BlockRows, to = Math.Min(rows, from + DcnV2InferenceBuffers.BlockRows);
                PredictBlock(data, from, to, buffers, scores[from..to]);
            }
            _pool.Add(buffers);
            return;
        }
        float[] result = new float[rows];
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => Rent(), (b, _, buffers) =>
        {
            int from = b * DcnV2InferenceBuffers.BlockRows, to = Math.Min(rows, from + DcnV2InferenceBuffers.BlockRows);
            PredictBlock(data, from, to, buffers, result.AsSpan(from, to - from));
            return buffers;
        }, _pool.Add);
        result.CopyTo(scores);
    }

    private DcnV2InferenceBuffers Rent() => _pool.TryTake(out var buffers) ? buffers : new DcnV2InferenceBuffers(this);

    private void PredictBlock(RankingDataset data, int from, int to, DcnV2InferenceBuffers buf, Span<float> scores)
    {
        int rows = to - from, d = InputDimension;
        for (int i = 0; i < rows; i++)
        {
            BuildInput(data, from + i, buf.X0.AsSpan(i * d, d));
        }
        float[] current = buf.X0;
        for (int l = 0; l < CrossLayers; l++)
        {
            var u = buf.U.AsSpan(0, rows * d);
            Kernels.Gemm(current, d, 1, Parameters.AsSpan(_crossW[l], d * d), d, u, d, rows, d, d, accumulate: false);
            var bias = Parameters.AsSpan(_crossB[l], d);
            float[] next = current == buf.Current ? buf.Next : buf.Current;
            for (int i = 0; i < rows; i++)
            {
                var ui = u.Slice(i * d, d);
                TensorPrimitives.Add(ui, bias, ui);
                TensorPrimitives.FusedMultiplyAdd(buf.X0.AsSpan(i * d, d), ui, current.AsSpan(i * d, d), next.AsSpan(i * d, d));
            }
            current = next;
        }
        float[] deepIn = Structure == DcnStructure.Parallel ? buf.X0 : current;
        float[] h = buf.H, hNext = buf.HNext;
        for (int k = 0; k < DeepLayers; k++)
        {
            int inWidth = _deepIn[k], width = Hidden[k];
            var z = h.AsSpan(0, rows * width);
            Kernels.Gemm(deepIn, inWidth, 1, Parameters.AsSpan(_deepW[k], inWidth * width), width, z, width, rows, width, inWidth, accumulate: false);
            var bias = Parameters.AsSpan(_deepB[k], width);
            var scale = InferenceScale.AsSpan(_statOffset[k], width);
            var shift = InferenceShift.AsSpan(_statOffset[k], width);
            for (int i = 0; i < rows; i++)
            {
                var zi = z.Slice(i * width, width);
                TensorPrimitives.Add(zi, bias, zi);
                if (BatchNorm)
                {
                    TensorPrimitives.FusedMultiplyAdd(zi, scale, shift, zi);
                }
                TensorPrimitives.Max(zi, 0f, zi);
            }
            deepIn = h;
            (h, hNext) = (hNext, h);
        }
        OutputForward(current, deepIn, buf.Logit, 0, rows);
        var logits = buf.Logit.AsSpan(0, rows);
        TensorPrimitives.Sigmoid(logits, scores);
    }
}
