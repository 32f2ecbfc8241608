namespace Cascade.Ranking.Trees;

/// <summary>Gradients of the objectives and the ranking metric, computed in parallel without order-dependent sums.</summary>
internal static class Objectives
{
    private const int RowBlock = 16384;

    /// <summary>Binary log loss: g = (p − y)·w, h = p(1 − p)·w with p = σ(score).</summary>
    public static void BinaryGradients(double[] scores, float[] labels, float[]? weights, float[] gradients, float[] hessians, ParallelOptions parallel)
    {
        int rows = scores.Length;
        Parallel.For(0, (rows + RowBlock - 1) / RowBlock, parallel, block =>
        {
            int end = Math.Min(rows, (block + 1) * RowBlock);
            for (int r = block * RowBlock; r < end; r++)
            {
                double p = 1 / (1 + Math.Exp(-scores[r]));
                double w = weights is null ? 1 : weights[r];
                gradients[r] = (float)((p - labels[r]) * w);
                hessians[r] = (float)(Math.Max(p * (1 - p), 1e-16) * w);
            }
        });
    }

    /// <summary>
    /// LambdaMART lambdas: for every pair of rows of a group with different labels, at least one ranked within the
    /// top k by the current scores, λ = σ·ρ·|ΔnDCG@k| with ρ = 1 / (1 + e^{σ(s_hi − s_lo)}), pushed up on the more
    /// relevant row and down on the other; the hessian adds σ²·ρ(1 − ρ)·|ΔnDCG@k| to both.
    /// </summary>
    public static void LambdaGradients(
        double[] scores, float[] labels, float[]? weights, int[] groups, double[] inverseIdeal, int k, double sigma,
        float[] gradients, float[] hessians, ParallelOptions parallel)
    {
        int groupCount = groups.Length - 1;
        Parallel.For(0, groupCount, parallel, () => new List<int>(), (q, _, order) =>
        {
            int start = groups[q], size = groups[q + 1] - start;
            var g = gradients.AsSpan(start, size);
            var h = hessians.AsSpan(start, size);
            g.Clear();
            h.Clear();
            if (inverseIdeal[q] == 0 || size < 2)
            {
                return order;
            }
            order.Clear();
            for (int i = 0; i < size; i++)
            {
                order.Add(i);
            }
            // Rank by score, ties by row so the lambdas do not depend on the sort's stability.
            order.Sort((a, b) =>
            {
                int c = scores[start + b].CompareTo(scores[start + a]);
                return c != 0 ? c : a.CompareTo(b);
            });
            double inverse = inverseIdeal[q];
            int top = Math.Min(k, size);
            for (int pi = 0; pi < top; pi++)
            {
                int i = order[pi];
                double gainI = GroupNdcg.Gain(labels[start + i]);
                double discountI = GroupNdcg.Discount(pi);
                for (int pj = pi + 1; pj < size; pj++)
                {
                    int j = order[pj];
                    if (labels[start + i] == labels[start + j])
                    {
                        continue;
                    }
                    double discountJ = pj < k ? GroupNdcg.Discount(pj) : 0;
                    double delta = Math.Abs((gainI - GroupNdcg.Gain(labels[start + j])) * (discountI - discountJ)) * inverse;
                    int hi = labels[start + i] > labels[start + j] ? i : j;
                    int lo = hi == i ? j : i;
                    double rho = 1 / (1 + Math.Exp(sigma * (scores[start + hi] - scores[start + lo])));
                    double lambda = sigma * rho * delta;
                    double hess = sigma * sigma * rho * (1 - rho) * delta;
                    g[hi] -= (float)lambda;
                    g[lo] += (float)lambda;
                    h[hi] += (float)hess;
                    h[lo] += (float)hess;
                }
            }
            if (weights is not null)
            {
                for (int i = 0; i < size; i++)
                {
                    g[i] *= weights[start + i];
                    h[i] *= weights[start + i];
                }
            }
            for (int i = 0; i < size; i++)
            {
                h[i] = Math.Max(h[i], 1e-9f);
            }
            return order;
        }, _ => { });
    }
}
