using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Cascade.Pipeline.Reranking;

/// <summary>How <see cref="MmrReranker"/> measures the similarity of two items.</summary>
public enum MmrSimilarity
{
    /// <summary>Cosine of embeddings when the item table has them, else Jaccard of categories and tags.</summary>
    Auto,

    /// <summary>Cosine of item embeddings; items without embeddings (or with a zero vector) are similar to nothing.</summary>
    Embedding,

    /// <summary>Jaccard of the union of an item's categories and tags; items with neither are similar to nothing.</summary>
    Categories,
}

/// <summary>Options of <see cref="MmrReranker"/>.</summary>
/// <param name="Lambda">Weight of relevance against diversity, in [0, 1]: 1 keeps the input order, 0 only diversifies.</param>
/// <param name="Depth">How many leading positions to choose by MMR; null means the request's page size.</param>
/// <param name="MaxDepth">Upper bound on the depth, whatever the page size (bounds the cost to MaxDepth × candidates similarities).</param>
/// <param name="Similarity">The similarity measure.</param>
public sealed record MmrOptions(
    float Lambda = RerankerDefaults.MmrLambda,
    int? Depth = null,
    int MaxDepth = RerankerDefaults.MmrMaxDepth,
    MmrSimilarity Similarity = MmrSimilarity.Auto);

/// <summary>
/// Maximal marginal relevance: fills the first positions one at a time with the candidate maximising
/// λ·relevance − (1−λ)·(its greatest similarity to a candidate already placed). Relevance is the score rescaled to
/// [0, 1] over the list (all equal scores give relevance 1). Candidates after the depth keep their order.
/// Pinned candidates keep their positions and are not compared. Cost: depth × n similarities, each computed once.
/// </summary>
public sealed class MmrReranker : IReranker
{
    private const string Stage = "rerank:mmr";
    private readonly MmrOptions _options;

    /// <summary>Creates the re-ranker.</summary>
    /// <param name="options">Options; null for defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public MmrReranker(MmrOptions? options = null)
    {
        _options = options ?? new MmrOptions();
        if (!(_options.Lambda is >= 0f and <= 1f))
        {
            throw new ArgumentException($"MMR Lambda must be in [0, 1]; got {_options.Lambda}.", nameof(options));
        }
        if (_options.Depth is < 1)
        {
            throw new ArgumentException($"MMR Depth must be at least 1 (or null for the page size); got {_options.Depth}.", nameof(options));
        }
        if (_options.MaxDepth < 1)
        {
            throw new ArgumentException($"MMR MaxDepth must be at least 1; got {_options.MaxDepth}.", nameof(options));
        }
        if (!Enum.IsDefined(_options.Similarity))
        {
            throw new ArgumentException($"MMR Similarity {(int)_options.Similarity} is not a known measure.", nameof(options));
        }
    }

    /// <summary>The options in force.</summary>
    public MmrOptions Options => _options;

    /// <inheritdoc/>
    public string Name => "mmr";

    /// <inheritdoc/>
    public void Rerank(RerankContext context, List<Candidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        if (_options.Lambda >= 1f || candidates.Count < 2)
        {
            return;
        }
        if (!PinnedLayout.Any(candidates))
        {
            Diversify(context, candidates);
            return;
        }
        var layout = PinnedLayout.Split(candidates);
        Diversify(context, layout.Free);
        layout.Merge(candidates);
    }

    private void Diversify(RerankContext context, List<Candidate> list)
    {
        int n = list.Count;
        int depth = Math.Min(n, Math.Min(_options.Depth ?? context.PageSize, _options.MaxDepth));
        if (depth < 1 || n < 2)
        {
            return;
        }
        var items = context.Items;
        bool useEmbeddings = _options.Similarity switch
        {
            MmrSimilarity.Embedding => true,
            MmrSimilarity.Categories => false,
            _ => items.Embeddings is not null,
        };
        float lambda = _options.Lambda;
        var pool = ArrayPool<float>.Shared;
        float[] relevance = pool.Rent(n), maxSim = pool.Rent(n), invNorm = pool.Rent(n);
        int[] closest = ArrayPool<int>.Shared.Rent(n), order = ArrayPool<int>.Shared.Rent(n);
        bool[] picked = ArrayPool<bool>.Shared.Rent(n);
        var features = useEmbeddings ? null : FeatureSets.Build(items, list);
        try
        {
            Normalise(list, relevance);
            for (int i = 0; i < n; i++)
            {
                maxSim[i] = float.NegativeInfinity;
                closest[i] = -1;
                picked[i] = false;
                if (useEmbeddings)
                {
                    var e = items.Embedding(list[i].Item);
                    float norm = e.Length == 0 ? 0f : TensorPrimitives.Norm(e);
                    invNorm[i] = norm > 0f ? 1f / norm : 0f;
                }
            }
            for (int k = 0; k < depth; k++)
            {
                int best = -1;
                float bestValue = float.NegativeInfinity;
                for (int i = 0; i < n; i++)
                {
                    if (picked[i])
                    {
                        continue;
                    }
                    float value = k == 0 ? lambda * relevance[i] : lambda * relevance[i] - (1f - lambda) * maxSim[i];
                    if (best < 0 || value > bestValue)
                    {
                        best = i;
                        bestValue = value;
                    }
                }
                picked[best] = true;
                order[k] = best;
                if (k + 1 == depth)
                {
                    break;
                }
                // Only the new pick can raise a candidate's greatest similarity to the picked set: one similarity per
                // remaining candidate per pick.
                features?.Choose(best);
                for (int i = 0; i < n; i++)
                {
                    if (picked[i])
                    {
                        continue;
                    }
                    float s = useEmbeddings
                        ? Cosine(items, list[best].Item, list[i].Item, invNorm[best], invNorm[i])
                        : features!.JaccardWithChosen(i);
                    if (s > maxSim[i])
                    {
                        maxSim[i] = s;
                        closest[i] = best;
                    }
                }
            }
            int next = depth;
            for (int i = 0; i < n; i++)
            {
                if (!picked[i])
                {
                    order[next++] = i;
                }
            }
            var reordered = ArrayPool<Candidate>.Shared.Rent(n);
            for (int position = 0; position < n; position++)
            {
                int from = order[position];
                var c = list[from];
                reordered[position] = c;
                if (from != position && context.Explain)
                {
                    ExplainMove(c, items, list, from, position, depth, relevance[from], maxSim[from], closest[from], lambda);
                }
            }
            for (int position = 0; position < n; position++)
            {
                list[position] = reordered[position];
            }
            ArrayPool<Candidate>.Shared.Return(reordered, clearArray: true);
        }
        finally
        {
            pool.Return(relevance);
            pool.Return(maxSim);
            pool.Return(invNorm);
            ArrayPool<int>.Shared.Return(closest);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<bool>.Shared.Return(picked);
            features?.Dispose();
        }
    }

    private static void ExplainMove(Candidate c, ItemTable items, List<Candidate> list, int from, int to, int depth,
        float relevance, float maxSim, int closest, float lambda)
    {
        if (to >= depth)
        {
            c.Explain(Stage, () => $"moved from {from} to {to}: pushed down by diversified positions");
        }
        else if (closest < 0)
        {
            c.Explain(Stage, () => $"moved from {from} to {to}: relevance {relevance:0.###}");
        }
        else
        {
            string other = items.Ids[list[closest].Item];
            c.Explain(Stage, () =>
                $"moved from {from} to {to}: relevance {relevance:0.###}, max similarity {maxSim:0.###} to item {other}, MMR {lambda * relevance - (1f - lambda) * maxSim:0.###}");
        }
    }

    private static void Normalise(List<Candidate> list, float[] relevance)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var c in list)
        {
            if (float.IsFinite(c.Score))
            {
                min = Math.Min(min, c.Score);
                max = Math.Max(max, c.Score);
            }
        }
        float range = max - min;
        for (int i = 0; i < list.Count; i++)
        {
            float s = list[i].Score;
            relevance[i] = !float.IsFinite(s) ? (float.IsPositiveInfinity(s) ? 1f : 0f)
                : range > 0f ? (s - min) / range : 1f;
        }
    }

    private static float Cosine(ItemTable items, int a, int b, float invNormA, float invNormB)
    {
        if (invNormA == 0f || invNormB == 0f)
        {
            return 0f;
        }
        return TensorPrimitives.Dot(items.Embedding(a), items.Embedding(b)) * invNormA * invNormB;
    }

    /// <summary>
    /// Each candidate's categories and tags as one set of distinct codes (tags as negative codes), packed in one pooled
    /// buffer, and the codes of the candidate chosen last (<see cref="Choose"/>) spread over vectors: each pick compares
    /// the chosen candidate with every other, so its codes are laid out once and each other candidate's code is tested
    /// against all of them in one vector compare, instead of a branchy merge of two sorted lists per pair.
    /// </summary>
    private sealed class FeatureSets : IDisposable
    {
        // Pads the chosen candidate's last vector; no set holds it: category codes are at least 0, and tag codes,
        // −1 − tag, at least −1 − Array.MaxLength.
        private const int NoCode = int.MinValue;

        private readonly int[] _offsets;
        private readonly int[] _lengths;
        private readonly int[] _codes;
        private readonly Vector128<int>[] _chosen;
        private int _chosenLength;
        private int _chosenVectors;

        private FeatureSets(int[] offsets, int[] lengths, int[] codes, Vector128<int>[] chosen)
        {
            _offsets = offsets;
            _lengths = lengths;
            _codes = codes;
            _chosen = chosen;
        }

        public static FeatureSets Build(ItemTable items, List<Candidate> list)
        {
            int n = list.Count;
            var offsets = ArrayPool<int>.Shared.Rent(n + 1);
            offsets[0] = 0;
            for (int i = 0; i < n; i++)
            {
                int item = list[i].Item;
                offsets[i + 1] = offsets[i] + items.Categories[item].Length + items.Tags[item].Length;
            }
            var codes = ArrayPool<int>.Shared.Rent(offsets[n]);
            var lengths = ArrayPool<int>.Shared.Rent(n);
            int longest = 0;
            for (int i = 0; i < n; i++)
            {
                int item = list[i].Item, at = offsets[i];
                foreach (int c in items.Categories[item])
                {
                    codes[at++] = c;
                }
                foreach (int t in items.Tags[item])
                {
                    codes[at++] = -1 - t;
                }
                var set = codes.AsSpan(offsets[i], at - offsets[i]);
                set.Sort();
                int distinct = 0;
                for (int k = 0; k < set.Length; k++)
                {
                    if (k == 0 || set[k] != set[k - 1])
                    {
                        set[distinct++] = set[k];
                    }
                }
                lengths[i] = distinct;
                longest = Math.Max(longest, distinct);
            }
            var chosen = ArrayPool<Vector128<int>>.Shared.Rent(Math.Max(1, (longest + Vector128<int>.Count - 1) / Vector128<int>.Count));
            return new FeatureSets(offsets, lengths, codes, chosen);
        }

        /// <summary>Makes candidate <paramref name="a"/> the one <see cref="JaccardWithChosen"/> compares with.</summary>
        public void Choose(int a)
        {
            var set = _codes.AsSpan(_offsets[a], _lengths[a]);
            int width = Vector128<int>.Count;
            _chosenLength = set.Length;
            _chosenVectors = (set.Length + width - 1) / width;
            Span<int> lanes = stackalloc int[Vector128<int>.Count];
            for (int v = 0; v < _chosenVectors; v++)
            {
                for (int lane = 0; lane < width; lane++)
                {
                    int k = v * width + lane;
                    lanes[lane] = k < set.Length ? set[k] : NoCode;
                }
                _chosen[v] = Vector128.Create<int>(lanes);
            }
        }

        /// <summary>
        /// Jaccard of candidate <paramref name="b"/>'s set and the chosen candidate's: |both| / |either|, 0 when either
        /// is empty (the same integers, so the same float, as a merge of the two sorted sets).
        /// </summary>
        public float JaccardWithChosen(int b)
        {
            int length = _lengths[b];
            if (_chosenLength == 0 || length == 0)
            {
                return 0f;
            }
            var codes = _codes.AsSpan(_offsets[b], length);
            var chosen = _chosen.AsSpan(0, _chosenVectors);
            // A lane that matches is all ones (−1), so subtracting counts it. Both sets are distinct codes, so each of
            // b's codes matches at most one lane and each lane at most one code: the lane total is the intersection.
            var matches = Vector128<int>.Zero;
            foreach (int code in codes)
            {
                var probe = Vector128.Create(code);
                foreach (var lanes in chosen)
                {
                    matches -= Vector128.Equals(probe, lanes);
                }
            }
            int both = Vector128.Sum(matches);
            // 0 / |either| is +0 too; skipping the division helps the common case of sets with nothing in common.
            return both == 0 ? 0f : (float)both / (_chosenLength + length - both);
        }

        /// <summary>Returns the pooled buffers.</summary>
        public void Dispose()
        {
            ArrayPool<int>.Shared.Return(_offsets);
            ArrayPool<int>.Shared.Return(_lengths);
            ArrayPool<int>.Shared.Return(_codes);
            ArrayPool<Vector128<int>>.Shared.Return(_chosen);
        }
    }
}
