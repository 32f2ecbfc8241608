using System.Numerics.Tensors;
using Cascade.Models.Embeddings;
using Cascade.Models.Serialization;

namespace Cascade.Models.Neural;

/// <summary>
/// The parameters, forward pass and hand-derived backward pass of the two-tower network.
/// <code>
/// user tower  h_u = [keep id] E_user[u] + n^−α Σ_{j ∈ H(u) \ {target}} E_hist[j] + mean_{a ∈ A(u)} E_uattr[a];   u = W_u h_u
///             (n the number of pooled history rows; α = 1 is their mean)
/// item tower  h_i = E_item[i] + mean_{f ∈ F(i)} E_ifeat[f];                                                   v = W_i h_i, bias β_i
/// optional    û = u / |u|, v̂ = v / |v| (normalised outputs) used in place of u, v below
/// candidates  b ranges over the batch's B items, then M items drawn uniformly (mixed negatives)
/// batch loss  L = (1/B) Σ_a [ logsumexp_b z_ab − z_aa ],  z_ab = (u_a·v_b + β_b) / τ − log q(i_b)  (−∞ when i_b = i_a, b ≠ a)
///             q(i) ∝ B·p(i) + M/N, the expected count of item i among the candidates (p the share of training entries)
/// backward    G_ab = (softmax_b(z_a·)_b − δ_ab) / B;  ∂L/∂u_a = Σ_b G_ab v_b / τ;  ∂L/∂v_b = Σ_a G_ab u_a / τ;  ∂L/∂β_b = Σ_a G_ab / τ
///             through a normalisation: ∂L/∂u = (∂L/∂û − û (û·∂L/∂û)) / |u|
///             ∂L/∂W_u += (∂L/∂u_a) h_uᵀ;  ∂L/∂h_u = W_uᵀ ∂L/∂u_a, shared out over the pooled rows by their mean weights
/// </code>
/// Gradients of embedding tables are accumulated only in the rows a batch touches, which Adam then updates lazily.
/// The finite-difference tests check every parameter block against <see cref="BatchLoss"/>.
/// </summary>
internal sealed class TwoTowerNetwork
{
    private readonly Block[] _blocks;

    public TwoTowerNetwork(int users, int items, int userFeatures, int itemFeatures, int dimension, Random random, double initStd)
    {
        Dimension = dimension;
        int d = dimension;
        UserId = new Block(users, d);
        History = new Block(items, d);
        UserAttribute = new Block(userFeatures, d);
        ItemId = new Block(items, d);
        ItemFeature = new Block(itemFeatures, d);
        UserProjection = new Block(d, d);
        ItemProjection = new Block(d, d);
        ItemBias = new Block(items, 1);
        _blocks = [UserId, History, UserAttribute, ItemId, ItemFeature, UserProjection, ItemProjection, ItemBias];
        foreach (var block in _blocks[..5])
        {
            EmbeddingMath.FillNormal(random, block.Values, initStd);
        }
        for (int k = 0; k < d; k++)
        {
            UserProjection.Values[(k * d) + k] = 1;
            ItemProjection.Values[(k * d) + k] = 1;
        }
    }

    private TwoTowerNetwork(int dimension, Block[] blocks)
    {
        Dimension = dimension;
        _blocks = blocks;
        (UserId, History, UserAttribute, ItemId, ItemFeature, UserProjection, ItemProjection, ItemBias) = (blocks[0], blocks[1], blocks[2], blocks[3], blocks[4], blocks[5], blocks[6], blocks[7]);
    }

    public int Dimension { get; }

    public Block UserId { get; }

    public Block History { get; }

    public Block UserAttribute { get; }

    public Block ItemId { get; }

    public Block ItemFeature { get; }

    public Block UserProjection { get; }

    public Block ItemProjection { get; }

    /// <summary>The learned item bias β_i (one column): popularity the towers need not encode.</summary>
    public Block ItemBias { get; }

    public IReadOnlyList<Block> Blocks => _blocks;

    /// <summary>α of the history pooling: the n pooled rows are summed with weight n^−α (1 = mean, 0.5 as in FISM).</summary>
    public double PoolingExponent { get; set; } = 1;

    private float HistoryWeight(int n) => PoolingExponent == 1 ? 1f / n : (float)Math.Pow(n, -PoolingExponent);

    /// <summary>h_u into <paramref name="h"/>: the kept id row, the mean of the history rows except <paramref name="exclude"/>, the mean of the attribute rows.</summary>
    public void UserInput(int user, bool useId, ReadOnlySpan<int> history, int exclude, ReadOnlySpan<int> attributes, Span<float> h)
    {
        h.Clear();
        if (useId && (uint)user < (uint)UserId.Rows)
        {
            TensorPrimitives.Add(h, UserId.Row(user), h);
        }
        int n = CountExcluding(history, exclude);
        if (n > 0)
        {
            float w = HistoryWeight(n);
            foreach (int j in history)
            {
                if (j != exclude)
                {
                    TensorPrimitives.MultiplyAdd(History.Row(j), w, h, h);
                }
            }
        }
        if (!attributes.IsEmpty)
        {
            float w = 1f / attributes.Length;
            foreach (int a in attributes)
            {
                TensorPrimitives.MultiplyAdd(UserAttribute.Row(a), w, h, h);
            }
        }
    }

    /// <summary>h_i into <paramref name="h"/>: the id row (none for a new item, id −1) plus the mean of the feature rows.</summary>
    public void ItemInput(int item, ReadOnlySpan<int> features, Span<float> h)
    {
        h.Clear();
        if ((uint)item < (uint)ItemId.Rows)
        {
            TensorPrimitives.Add(h, ItemId.Row(item), h);
        }
        if (!features.IsEmpty)
        {
            float w = 1f / features.Length;
            foreach (int f in features)
            {
                TensorPrimitives.MultiplyAdd(ItemFeature.Row(f), w, h, h);
            }
        }
    }

    /// <summary>output = W h for a row-major d × d projection.</summary>
    public static void Project(Block w, ReadOnlySpan<float> h, Span<float> output)
    {
        for (int r = 0; r < output.Length; r++)
        {
            output[r] = TensorPrimitives.Dot(w.Row(r), h);
        }
    }

    private static int CountExcluding(ReadOnlySpan<int> items, int exclude)
    {
        int n = items.Length;
        if (exclude >= 0 && items.Contains(exclude))
        {
            n--;
        }
        return n;
    }

    /// <summary>
    /// The in-batch sampled-softmax loss of <paramref name="batch"/>; with <paramref name="accumulate"/>, adds its
    /// gradient to every block's gradient buffer (touched rows only for the tables).
    /// </summary>
    public double BatchLoss(in Batch batch, TwoTowerContext context, bool accumulate)
    {
        int b = batch.Users.Length, d = Dimension;
        int[] negatives = batch.Negatives;
        int candidates = b + negatives.Length;
        float inverseTemperature = (float)(1 / context.Temperature);
        var hu = new float[b * d];
        var u = new float[b * d];
        var hv = new float[candidates * d];
        var v = new float[candidates * d];
        var uNorm = new float[b];
        var vNorm = new float[candidates];
        for (int a = 0; a < b; a++)
        {
            UserInput(batch.Users[a], batch.UseUserId[a], batch.HistoryOf(a, context), batch.Items[a], context.UserFeatures.Of(batch.Users[a]), hu.AsSpan(a * d, d));
            Project(UserProjection, hu.AsSpan(a * d, d), u.AsSpan(a * d, d));
            uNorm[a] = context.Normalise ? NormaliseInPlace(u.AsSpan(a * d, d)) : 1f;
        }
        for (int c = 0; c < candidates; c++)
        {
            int item = batch.Candidate(c);
            ItemInput(item, context.ItemFeatures.Of(item), hv.AsSpan(c * d, d));
            Project(ItemProjection, hv.AsSpan(c * d, d), v.AsSpan(c * d, d));
            vNorm[c] = context.Normalise ? NormaliseInPlace(v.AsSpan(c * d, d)) : 1f;
        }
        var g = new float[b * candidates];
        double loss = 0;
        for (int a = 0; a < b; a++)
        {
            Span<float> row = g.AsSpan(a * candidates, candidates);
            ReadOnlySpan<float> ua = u.AsSpan(a * d, d);
            float max = float.NegativeInfinity;
            for (int c = 0; c < candidates; c++)
            {
                int item = batch.Candidate(c);
                if (c != a && item == batch.Items[a])
                {
                    row[c] = float.NegativeInfinity; // the same item is not a negative of itself
                    continue;
                }
                row[c] = ((TensorPrimitives.Dot(ua, v.AsSpan(c * d, d)) + ItemBias.Values[item]) * inverseTemperature)
                    - (context.LogQCorrection ? context.LogQ[item] : 0f);
                max = MathF.Max(max, row[c]);
            }
            double sum = 0;
            for (int c = 0; c < candidates; c++)
            {
                sum += Math.Exp(row[c] - max);
            }
            double logSumExp = max + Math.Log(sum);
            loss += logSumExp - row[a];
            for (int c = 0; c < candidates; c++)
            {
                row[c] = (float)((Math.Exp(row[c] - logSumExp) - (c == a ? 1 : 0)) / b);
            }
        }
        loss /= b;
        if (!accumulate)
        {
            return loss;
        }
        var gu = new float[d];
        var gv = new float[candidates * d];
        var gh = new float[d];
        var gBias = new float[candidates];
        for (int a = 0; a < b; a++)
        {
            gu.AsSpan().Clear();
            for (int c = 0; c < candidates; c++)
            {
                float gac = g[(a * candidates) + c] * inverseTemperature;
                if (gac != 0)
                {
                    TensorPrimitives.MultiplyAdd(v.AsSpan(c * d, d), gac, gu, gu);
                    TensorPrimitives.MultiplyAdd(u.AsSpan(a * d, d), gac, gv.AsSpan(c * d, d), gv.AsSpan(c * d, d));
                    gBias[c] += gac;
                }
            }
            if (context.Normalise)
            {
                BackwardNormalise(u.AsSpan(a * d, d), uNorm[a], gu);
            }
            BackwardUser(batch.Users[a], batch.UseUserId[a], batch.HistoryOf(a, context), batch.Items[a], context.UserFeatures.Of(batch.Users[a]), hu.AsSpan(a * d, d), gu, gh);
        }
        for (int c = 0; c < candidates; c++)
        {
            int item = batch.Candidate(c);
            if (context.Normalise)
            {
                BackwardNormalise(v.AsSpan(c * d, d), vNorm[c], gv.AsSpan(c * d, d));
            }
            BackwardItem(item, context.ItemFeatures.Of(item), hv.AsSpan(c * d, d), gv.AsSpan(c * d, d), gh);
            ItemBias.AddGradient(item, gBias.AsSpan(c, 1), 1f);
        }
        return loss;
    }

    /// <summary>Scales <paramref name="x"/> to unit length (left as is when zero); returns its former length.</summary>
    public static float NormaliseInPlace(Span<float> x)
    {
        float norm = TensorPrimitives.Norm(x);
        if (norm > 0)
        {
            TensorPrimitives.Divide(x, norm, x);
        }
        return norm;
    }

    /// <summary>
    /// Turns ∂L/∂x̂ into ∂L/∂x in place for x̂ = x / |x|: ∂L/∂x = (g − x̂ (x̂·g)) / |x| (nothing to do at x = 0).
    /// </summary>
    private static void BackwardNormalise(ReadOnlySpan<float> unit, float norm, Span<float> g)
    {
        if (norm > 0)
        {
            float along = TensorPrimitives.Dot(unit, g);
            TensorPrimitives.MultiplyAdd(unit, -along, g, g);
            TensorPrimitives.Divide(g, norm, g);
        }
    }

    private void BackwardUser(int user, bool useId, ReadOnlySpan<int> history, int exclude, ReadOnlySpan<int> attributes, ReadOnlySpan<float> h, ReadOnlySpan<float> gOut, Span<float> gh)
    {
        BackwardProjection(UserProjection, h, gOut, gh);
        if (useId && (uint)user < (uint)UserId.Rows)
        {
            UserId.AddGradient(user, gh, 1f);
        }
        int n = CountExcluding(history, exclude);
        if (n > 0)
        {
            foreach (int j in history)
            {
                if (j != exclude)
                {
                    History.AddGradient(j, gh, HistoryWeight(n));
                }
            }
        }
        foreach (int a in attributes)
        {
            UserAttribute.AddGradient(a, gh, 1f / attributes.Length);
        }
    }

    private void BackwardItem(int item, ReadOnlySpan<int> features, ReadOnlySpan<float> h, ReadOnlySpan<float> gOut, Span<float> gh)
    {
        BackwardProjection(ItemProjection, h, gOut, gh);
        ItemId.AddGradient(item, gh, 1f);
        foreach (int f in features)
        {
            ItemFeature.AddGradient(f, gh, 1f / features.Length);
        }
    }

    /// <summary>∂L/∂W += gOut hᵀ and gh = Wᵀ gOut.</summary>
    private static void BackwardProjection(Block w, ReadOnlySpan<float> h, ReadOnlySpan<float> gOut, Span<float> gh)
    {
        gh.Clear();
        for (int r = 0; r < gOut.Length; r++)
        {
            w.AddGradient(r, h, gOut[r]);
            TensorPrimitives.MultiplyAdd(w.Row(r), gOut[r], gh, gh);
        }
    }

    /// <summary>One Adam step over every touched row, then clears the gradients.</summary>
    public void Step(Adam[] optimisers, int step)
    {
        for (int n = 0; n < _blocks.Length; n++)
        {
            _blocks[n].Step(optimisers[n], step);
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Dimension);
        foreach (var block in _blocks)
        {
            writer.Write(block.Rows);
            writer.WriteArray(block.Values);
        }
    }

    public static TwoTowerNetwork Read(BinaryReader reader, int users, int items, int userFeatures, int itemFeatures)
    {
        int d = reader.ReadInt32();
        int[] expectedRows = [users, items, userFeatures, items, itemFeatures, d, d, items];
        var blocks = new Block[expectedRows.Length];
        for (int n = 0; n < blocks.Length; n++)
        {
            int rows = reader.ReadInt32();
            float[] values = reader.ReadSingleArray();
            int width = n == expectedRows.Length - 1 ? 1 : d;
            if (rows != expectedRows[n] || values.Length != (long)rows * width)
            {
                throw new InvalidDataException($"Two-tower parameter block {n} has {rows} rows and {values.Length} values; expected {expectedRows[n]} rows of {width}.");
            }
            blocks[n] = new Block(rows, width, values);
        }
        return new TwoTowerNetwork(d, blocks);
    }

    /// <summary>A parameter matrix (rows × width) with its gradient buffer and the rows touched since the last step.</summary>
    internal sealed class Block
    {
        private readonly List<int> _touched = [];
        private readonly bool[] _marked;

        public Block(int rows, int width, float[]? values = null)
        {
            Rows = rows;
            Width = width;
            Values = values ?? new float[(long)rows * width];
            Gradient = new float[Values.Length];
            _marked = new bool[rows];
        }

        public int Rows { get; }

        public int Width { get; }

        public float[] Values { get; }

        public float[] Gradient { get; }

        public Span<float> Row(int row) => Values.AsSpan(row * Width, Width);

        public void AddGradient(int row, ReadOnlySpan<float> g, float scale)
        {
            if (!_marked[row])
            {
                _marked[row] = true;
                _touched.Add(row);
            }
            Span<float> target = Gradient.AsSpan(row * Width, Width);
            TensorPrimitives.MultiplyAdd(g, scale, target, target);
        }

        public void Step(Adam adam, int step)
        {
            foreach (int row in _touched)
            {
                Span<float> g = Gradient.AsSpan(row * Width, Width);
                adam.Update(Values, row * Width, g, step);
                g.Clear();
                _marked[row] = false;
            }
            _touched.Clear();
        }
    }
}

/// <summary>
/// One mini-batch: example a is (Users[a], Items[a]) with the user-id embedding kept when UseUserId[a]. The softmax of
/// every example runs over the batch's items followed by <see cref="Negatives"/> (items sampled uniformly, shared by the
/// batch); <see cref="Histories"/>, when set, replaces each example's pooled history (history dropout).
/// </summary>
internal readonly record struct Batch(int[] Users, int[] Items, bool[] UseUserId)
{
    /// <summary>Extra negatives shared by every example of the batch.</summary>
    public int[] Negatives { get; init; } = [];

    /// <summary>Per-example histories to pool instead of the context's; null to use the context's.</summary>
    public int[][]? Histories { get; init; }

    /// <summary>Item of candidate c: the batch's items first, then the extra negatives.</summary>
    public int Candidate(int c) => c < Items.Length ? Items[c] : Negatives[c - Items.Length];

    /// <summary>The history pooled for example a.</summary>
    public ReadOnlySpan<int> HistoryOf(int a, TwoTowerContext context) => Histories is null ? context.HistoryOf(Users[a]) : Histories[a];
}

/// <summary>What the loss reads besides the parameters: histories, side features, log q, the temperature and the output normalisation.</summary>
internal sealed class TwoTowerContext(int[] historyPointers, int[] historyItems, SideFeatures userFeatures, SideFeatures itemFeatures, float[] logQ, double temperature, bool logQCorrection, bool normalise = false)
{
    /// <summary>Whether both tower outputs are scaled to unit length before the inner product.</summary>
    public bool Normalise { get; } = normalise;

    public SideFeatures UserFeatures { get; } = userFeatures;

    public SideFeatures ItemFeatures { get; } = itemFeatures;

    public float[] LogQ { get; } = logQ;

    public double Temperature { get; } = temperature;

    public bool LogQCorrection { get; } = logQCorrection;

    public ReadOnlySpan<int> HistoryOf(int user) =>
        (uint)user < (uint)(historyPointers.Length - 1) ? historyItems.AsSpan(historyPointers[user], historyPointers[user + 1] - historyPointers[user]) : default;
}
