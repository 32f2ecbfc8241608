namespace Cascade.Ranking.Factorisation;

/// <summary>
/// The score of one encoded row and its gradient, for a parameter vector laid out as
/// <c>[w0][block of feature 0][block of feature 1]…</c>, each block <see cref="BlockSize"/> floats starting with the
/// feature's linear weight, then its latent factors.
/// </summary>
internal interface IFactorisationKernel
{
    /// <summary>Parameters per feature (linear weight + factors).</summary>
    int BlockSize { get; }

    /// <summary>Floats of scratch <see cref="Score"/> leaves for <see cref="AddGradient"/>.</summary>
    int ScratchSize { get; }

    /// <summary>The logit of a row; fills <paramref name="scratch"/> for <see cref="AddGradient"/>.</summary>
    double Score(float[] p, ReadOnlySpan<int> index, ReadOnlySpan<float> value, Span<float> scratch);

    /// <summary>Adds <paramref name="scale"/> · ∂score/∂θ to <paramref name="gradient"/>, after <see cref="Score"/> on the same row.</summary>
    void AddGradient(float[] p, ReadOnlySpan<int> index, ReadOnlySpan<float> value, float scale, ReadOnlySpan<float> scratch, float[] gradient);
}

/// <summary>
/// Rendle's factorisation machine: w0 + Σ w_i x_i + Σ_{i&lt;j} ⟨v_i, v_j⟩ x_i x_j, with the pairwise sum computed in
/// O(k·n) as ½ Σ_f [(Σ_i v_if x_i)² − Σ_i v_if² x_i²].
/// </summary>
internal sealed class FmKernel(int factors) : IFactorisationKernel
{
    public int BlockSize => 1 + factors;

    public int ScratchSize => factors;

    public double Score(float[] p, ReadOnlySpan<int> index, ReadOnlySpan<float> value, Span<float> scratch)
    {
        int block = BlockSize;
        double score = p[0];
        for (int a = 0; a < index.Length; a++)
        {
            score += p[1 + (index[a] * block)] * value[a];
        }
        double pairwise = 0;
        for (int f = 0; f < factors; f++)
        {
            double sum = 0, squares = 0;
            for (int a = 0; a < index.Length; a++)
            {
                double v = p[2 + (index[a] * block) + f] * value[a];
                sum += v;
                squares += v * v;
            }
            scratch[f] = (float)sum;
            pairwise += (sum * sum) - squares;
        }
        return score + (0.5 * pairwise);
    }

    public void AddGradient(float[] p, ReadOnlySpan<int> index, ReadOnlySpan<float> value, float scale, ReadOnlySpan<float> scratch, float[] gradient)
    {
        int block = BlockSize;
        gradient[0] += scale;
        for (int a = 0; a < index.Length; a++)
        {
            int b = 1 + (index[a] * block);
            float x = value[a];
            gradient[b] += scale * x;
            for (int f = 0; f < factors; f++)
            {
                // ∂/∂v_if = x_i Σ_j v_jf x_j − v_if x_i²
                gradient[b + 1 + f] += scale * ((x * scratch[f]) - (p[b + 1 + f] * x * x));
            }
        }
    }
}

/// <summary>
/// Field-aware factorisation machine (Juan et al. 2016): w0 + Σ w_i x_i + Σ_{a&lt;b} ⟨v_{i_a, f_b}, v_{i_b, f_a}⟩ x_a x_b,
/// each feature holding one latent vector per field. Slot a of an encoded row is field a.
/// </summary>
internal sealed class FfmKernel(int fields, int factors) : IFactorisationKernel
{
    public int BlockSize => 1 + (fields * factors);

    public int ScratchSize => 0;

    public double Score(float[] p, ReadOnlySpan<int> index, ReadOnlySpan<float> value, Span<float> scratch)
    {
        int block = BlockSize;
        double score = p[0];
        for (int a = 0; a < index.Length; a++)
        {
            score += p[1 + (index[a] * block)] * value[a];
        }
        for (int a = 0; a < index.Length; a++)
        {
            int baseA = 2 + (index[a] * block);
            for (int b = a + 1; b < index.Length; b++)
            {
                var va = p.AsSpan(baseA + (b * factors), factors);
                var vb = p.AsSpan(2 + (index[b] * block) + (a * factors), factors);
                double dot = 0;
                for (int f = 0; f < factors; f++)
                {
                    dot += va[f] * vb[f];
                }
                score += dot * value[a] * value[b];
            }
        }
        return score;
    }

    public void AddGradient(float[] p, ReadOnlySpan<int> index, ReadOnlySpan<float> value, float scale, ReadOnlySpan<float> scratch, float[] gradient)
    {
        int block = BlockSize;
        gradient[0] += scale;
        for (int a = 0; a < index.Length; a++)
        {
            gradient[1 + (index[a] * block)] += scale * value[a];
        }
        for (int a = 0; a < index.Length; a++)
        {
            int baseA = 2 + (index[a] * block);
            for (int b = a + 1; b < index.Length; b++)
            {
                int va = baseA + (b * factors);
                int vb = 2 + (index[b] * block) + (a * factors);
                float s = scale * value[a] * value[b];
                for (int f = 0; f < factors; f++)
                {
                    float pa = p[va + f];
                    gradient[va + f] += s * p[vb + f];
                    gradient[vb + f] += s * pa;
                }
            }
        }
    }
}
