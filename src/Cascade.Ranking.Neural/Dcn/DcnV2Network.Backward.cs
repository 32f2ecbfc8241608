using System.Numerics.Tensors;

namespace Cascade.Ranking.Neural.Dcn;

/// <summary>
/// The backward pass. Row-wise quantities (gradients of activations) are split over threads by rows; parameter
/// gradients are sums over the batch, split over threads by output element and summed over rows in row order, so the
/// gradient is the same bit for bit whatever the thread count.
/// </summary>
internal sealed partial class DcnV2Network
{
    private void Backward(RankingDataset data, int[] rowIndex, DcnV2Activations act, DcnV2Gradients gradients, float l2Scale, float keep, int threads)
    {
        int batch = rowIndex.Length, d = InputDimension, layers = DeepLayers;
        float[] dense = gradients.Dense;
        bool useCross = layers == 0 || Structure == DcnStructure.Parallel;
        int crossPart = useCross ? d : 0;
        int lastWidth = layers == 0 ? 0 : Hidden[^1];
        float[] crossOut = act.X[CrossLayers];
        float[] g = act.LogitGrad;

        // Output layer: w_o and b_o gradients (column-parallel), then the gradients of x_L and h_K (row-parallel).
        Ranges(OutputInput, threads, (from, to) =>
        {
            int crossTo = Math.Min(to, crossPart);
            if (from < crossTo)
            {
                Kernels.Gemm(g, 0, 1, crossOut.AsSpan(from), d, dense.AsSpan(OutW + from, crossTo - from), 0, 1, crossTo - from, batch, accumulate: false);
            }
            int deepFrom = Math.Max(from, crossPart);
            if (deepFrom < to)
            {
                Kernels.Gemm(g, 0, 1, act.H[layers - 1].AsSpan(deepFrom - crossPart), lastWidth, dense.AsSpan(OutW + deepFrom, to - deepFrom), 0, 1, to - deepFrom, batch, accumulate: false);
            }
        });
        double biasGradient = 0;
        for (int i = 0; i < batch; i++)
        {
            biasGradient += g[i];
        }
        dense[OutB] = (float)biasGradient;
        Ranges(batch, threads, (from, to) =>
        {
            var w = Parameters.AsSpan(OutW, OutputInput);
            for (int i = from; i < to; i++)
            {
                var xg = act.XGrad.AsSpan(i * d, d);
                if (useCross)
                {
                    TensorPrimitives.Multiply(w[..d], g[i], xg);
                }
                else
                {
                    xg.Clear();
                }
                if (layers > 0)
                {
                    TensorPrimitives.Multiply(w.Slice(crossPart, lastWidth), g[i], act.DeepGrad.AsSpan(i * lastWidth, lastWidth));
                }
                if (layers == 0 || Structure == DcnStructure.Stacked)
                {
                    act.X0Grad.AsSpan(i * d, d).Clear();
                }
            }
        });

        // Deep layers, top to bottom.
        float[] deepGrad = act.DeepGrad, deepGradNext = act.DeepGradNext;
        for (int k = layers - 1; k >= 0; k--)
        {
            int layer = k, width = Hidden[k], inWidth = _deepIn[k];
            float[] input = k == 0 ? DeepInput(act) : act.H[k - 1];
            float[] upstream = deepGrad;
            Ranges(batch, threads, (from, to) =>
            {
                for (int i = from; i < to; i++)
                {
                    int at = i * width;
                    var da = act.ZGrad.AsSpan(at, width);
                    var dh = upstream.AsSpan(at, width);
                    var a = act.A[layer].AsSpan(at, width);
                    var mask = keep < 1 ? act.Mask[layer].AsSpan(at, width) : default;
                    for (int u = 0; u < width; u++)
                    {
                        float v = a[u] > 0 ? dh[u] : 0f;
                        da[u] = keep < 1 ? v * mask[u] : v;
                    }
                }
            });
            if (BatchNorm)
            {
                BatchNormBackward(layer, act, dense, batch, threads);
            }
            Ranges(inWidth, threads, (from, to) =>
                Kernels.Gemm(input.AsSpan(from), 1, inWidth, act.ZGrad, width, dense.AsSpan(_deepW[layer] + (from * width), (to - from) * width), width, to - from, width, batch, accumulate: false));
            Ranges(width, threads, (from, to) => Kernels.ColumnSums(act.ZGrad, batch, width, from, to, dense.AsSpan(_deepB[layer], width)));
            float[] target;
            bool accumulate = false;
            if (k > 0)
            {
                target = deepGradNext;
            }
            else if (Structure == DcnStructure.Parallel)
            {
                target = act.X0Grad;
            }
            else
            {
                target = act.XGrad;
                accumulate = true;
            }
            Ranges(batch, threads, (from, to) =>
                Kernels.Gemm(act.ZGrad.AsSpan(from * width), width, 1, act.TransposedDeep[layer], inWidth, target.AsSpan(from * inWidth, (to - from) * inWidth), inWidth, to - from, inWidth, width, accumulate));
            (deepGrad, deepGradNext) = (deepGradNext, deepGrad);
        }

        // Cross layers, top to bottom (row-parallel): dx0 += g ⊙ u_l; t_l = g ⊙ x0 (kept in u_l); g ← g + t_l W_lᵀ.
        Ranges(batch, threads, (from, to) =>
        {
            int rows = to - from;
            var x0 = act.X[0].AsSpan(from * d, rows * d);
            var gx = act.XGrad.AsSpan(from * d, rows * d);
            var gx0 = act.X0Grad.AsSpan(from * d, rows * d);
            for (int l = CrossLayers - 1; l >= 0; l--)
            {
                var ul = act.U[l].AsSpan(from * d, rows * d);
                TensorPrimitives.FusedMultiplyAdd(gx, ul, gx0, gx0);
                TensorPrimitives.Multiply(gx, x0, ul);
                Kernels.Gemm(ul, d, 1, act.TransposedCross[l], d, gx, d, rows, d, d, accumulate: true);
            }
            TensorPrimitives.Add(gx0, gx, gx0);
        });
        for (int l = 0; l < CrossLayers; l++)
        {
            int layer = l;
            Ranges(d, threads, (from, to) =>
            {
                Kernels.Gemm(act.X[layer].AsSpan(from), 1, d, act.U[layer], d, dense.AsSpan(_crossW[layer] + (from * d), (to - from) * d), d, to - from, d, batch, accumulate: false);
                Kernels.ColumnSums(act.U[layer], batch, d, from, to, dense.AsSpan(_crossB[layer], d));
            });
        }

        // Embedding rows (field-parallel: fields own disjoint rows of the table).
        int dim = EmbeddingDimension;
        Ranges(Fields, threads, (from, to) =>
        {
            for (int f = from; f < to; f++)
            {
                var touched = gradients.FieldRows(f);
                for (int i = 0; i < batch; i++)
                {
                    int row = _fieldOffsets[f] + data.Categorical[(rowIndex[i] * Fields) + f];
                    if (gradients.Mark(row))
                    {
                        touched.Add(row);
                    }
                    var ge = gradients.Embedding.AsSpan(row * dim, dim);
                    TensorPrimitives.Add(ge, act.X0Grad.AsSpan((i * d) + (f * dim), dim), ge);
                    if (l2Scale > 0)
                    {
                        TensorPrimitives.FusedMultiplyAdd(Embeddings.AsSpan(row * dim, dim), l2Scale, ge, ge);
                    }
                }
            }
        });
        for (int f = 0; f < Fields; f++)
        {
            gradients.Touched.AddRange(gradients.FieldRows(f));
        }
    }

    private void BatchNormBackward(int k, DcnV2Activations act, float[] dense, int batch, int threads)
    {
        int width = Hidden[k], stat = _statOffset[k];
        int gammaAt = _gamma[k], betaAt = _beta[k];
        Ranges(width, threads, (from, to) =>
        {
            var gammaGrad = dense.AsSpan(gammaAt + from, to - from);
            var betaGrad = dense.AsSpan(betaAt + from, to - from);
            gammaGrad.Clear();
            betaGrad.Clear();
            for (int i = 0; i < batch; i++)
            {
                var da = act.ZGrad.AsSpan((i * width) + from, to - from);
                TensorPrimitives.Add(betaGrad, da, betaGrad);
                TensorPrimitives.FusedMultiplyAdd(da, act.XHat[k].AsSpan((i * width) + from, to - from), gammaGrad, gammaGrad);
            }
        });
        Ranges(batch, threads, (from, to) =>
        {
            var gamma = Parameters.AsSpan(gammaAt, width);
            var inv = act.BatchInvStd.AsSpan(stat, width);
            var gammaGrad = dense.AsSpan(gammaAt, width);
            var betaGrad = dense.AsSpan(betaAt, width);
            float n = batch;
            for (int i = from; i < to; i++)
            {
                var dz = act.ZGrad.AsSpan(i * width, width);
                var xhat = act.XHat[k].AsSpan(i * width, width);
                for (int u = 0; u < width; u++)
                {
                    dz[u] = gamma[u] * inv[u] / n * ((n * dz[u]) - betaGrad[u] - (xhat[u] * gammaGrad[u]));
                }
            }
        });
    }
}
