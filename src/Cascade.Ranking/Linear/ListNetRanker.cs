using Cascade.Models.Serialization;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Linear;

/// <summary>
/// A linear learning-to-rank model trained listwise: ListNet's top-one loss (Cao et al., "Learning to rank: from
/// pairwise approach to listwise approach", ICML 2007) — per group, the cross-entropy between the softmax of the scores
/// and the labels normalised to sum to one — so it learns the order within each group (a user's candidates) rather
/// than each row's click probability, which a pointwise logistic regression learns. Features are encoded as for
/// <see cref="LogisticRegression"/> (one-hots of the categorical fields; standardised numeric features with a missing
/// indicator). Steps are sparse Adam over mini-batches of groups with L2 towards the starting weights; every pass is
/// scored by nDCG@k on the validation groups and the best is kept. Kind name "listnet".
/// </summary>
/// <remarks>
/// With <see cref="ListNetOptions.InitFeature"/> the model starts as that feature's order (or the sum of several: a retrieval model's score,
/// say) and pass 0 competes for the kept pass: the ranker moves away from its starting order only as far as the
/// validation groups reward. Scores are unbounded (not probabilities). Groups without a relevant row carry no
/// gradient and are skipped. Training is single-threaded and deterministic for a seed.
/// </remarks>
public sealed class ListNetRanker : IRanker
{
    /// <summary>The kind name in model files and <c>--models</c>.</summary>
    public const string KindName = "listnet";

    private const ushort PayloadVersion = 2;
    private const double Beta1 = 0.9, Beta2 = 0.999, AdamEpsilon = 1e-8;

    private SparseEncoder? _encoder;
    private float[] _w = [];

    /// <summary>Creates an unfitted model.</summary>
    /// <param name="options">Hyper-parameters (defaults when null).</param>
    public ListNetRanker(ListNetOptions? options = null)
    {
        Options = (options ?? new ListNetOptions()).Validate();
    }

    /// <summary>The hyper-parameters.</summary>
    public ListNetOptions Options { get; }

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public bool IsFitted => _encoder is not null;

    /// <inheritdoc />
    public FeatureSchema? Schema => _encoder?.Schema;

    /// <inheritdoc />
    public bool OutputsProbability => false;

    /// <summary>The pass whose weights were kept by the last fit (0: the starting weights).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The validation nDCG@k of the kept pass (NaN without validation groups).</summary>
    public double BestValidNdcg { get; private set; } = double.NaN;

    /// <summary>The weight of numeric feature <paramref name="feature"/> (on its standardised value).</summary>
    /// <param name="feature">Numeric feature index.</param>
    public float NumericWeight(int feature) => _w[Fitted().Schema.TotalCardinality + (2 * feature)];

    /// <summary>The weight of code <paramref name="code"/> of categorical field <paramref name="field"/>.</summary>
    /// <param name="field">Field index.</param>
    /// <param name="code">Code in the field's vocabulary.</param>
    public float CategoricalWeight(int field, int code) => _w[Fitted().Schema.FieldOffset(field) + code];

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A data set without labels or groups, a schema mismatch, or an unknown <see cref="ListNetOptions.InitFeature"/>.</exception>
    public void Fit(RankingDataset train, RankingDataset? valid = null, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var labels = RankerMath.RequireLabels(train, nameof(train));
        int[] groups = train.GroupOffsets ?? throw new ArgumentException("listnet learns the order within groups; the training set has no group offsets.", nameof(train));
        var encoder = SparseEncoder.Fit(train);
        double[]? validIdeal = null;
        if (valid is not null)
        {
            encoder.CheckSchema(valid, nameof(valid));
            RankerMath.RequireLabels(valid, nameof(valid));
            validIdeal = GroupNdcg.InverseIdealDcg(valid.Labels!, valid.GroupOffsets
                ?? throw new ArgumentException("The validation set has no group offsets.", nameof(valid)), Options.NdcgAt);
        }
        var start = new float[encoder.Dimension];
        foreach (string init in Options.InitFeature?.Split('+') ?? [])
        {
            int feature = IndexOf(train.Schema.Numeric, init);
            if (feature < 0)
            {
                throw new ArgumentException($"listnet: init feature '{init}' is not a numeric feature of the data set ({string.Join(", ", train.Schema.Numeric)}).");
            }
            start[train.Schema.TotalCardinality + (2 * feature)] = (float)Options.InitWeight;
        }
        _encoder = encoder;
        _w = (float[])start.Clone();
        var first = new double[encoder.Dimension];
        var second = new double[encoder.Dimension];
        var gradient = new double[encoder.Dimension];
        var touched = new List<int>();
        var isTouched = new bool[encoder.Dimension];
        var relevantGroups = new List<int>();
        for (int q = 0; q + 1 < groups.Length; q++)
        {
            for (int r = groups[q]; r < groups[q + 1]; r++)
            {
                if (labels[r] > 0)
                {
                    relevantGroups.Add(q);
                    break;
                }
            }
        }
        var order = relevantGroups.ToArray();
        var random = new Random(Options.Seed);
        var stopping = new EarlyStopping(Options.Patience);
        float[] best = (float[])_w.Clone();
        BestEpoch = 0;
        BestValidNdcg = double.NaN;
        KeptGainZ = double.NaN;
        double[] startNdcgs = [], passNdcgs = [], bestNdcgs = [];
        if (valid is not null)
        {
            startNdcgs = new double[valid.GroupOffsets!.Length - 1];
            passNdcgs = new double[startNdcgs.Length];
            bestNdcgs = new double[startNdcgs.Length];
            BestValidNdcg = ValidNdcg(valid, validIdeal!, startNdcgs);
            startNdcgs.CopyTo(bestNdcgs, 0);
            stopping.Report(0, -BestValidNdcg);
        }
        var buffers = new GroupBuffers(encoder.Width);
        long step = 0;
        for (int epoch = 1; epoch <= Options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RankerMath.Shuffle(order, random);
            double loss = 0;
            for (int b = 0; b < order.Length; b += Options.Batch)
            {
                int end = Math.Min(order.Length, b + Options.Batch);
                for (int i = b; i < end; i++)
                {
                    loss += Accumulate(train, labels, groups[order[i]], groups[order[i] + 1], buffers, gradient, touched, isTouched);
                }
                step++;
                Apply(gradient, touched, isTouched, first, second, start, end - b, step);
            }
            double trainLoss = order.Length > 0 ? loss / order.Length : double.NaN;
            if (valid is null)
            {
                BestEpoch = epoch;
                progress?.Report(new RankerProgress(epoch, Options.Epochs, trainLoss, double.NaN, $"ndcg@{Options.NdcgAt}"));
                continue;
            }
            double ndcg = ValidNdcg(valid, validIdeal!, passNdcgs);
            progress?.Report(new RankerProgress(epoch, Options.Epochs, trainLoss, ndcg, $"ndcg@{Options.NdcgAt}"));
            if (stopping.Report(epoch, -ndcg))
            {
                Array.Copy(_w, best, _w.Length);
                passNdcgs.CopyTo(bestNdcgs, 0);
                BestEpoch = epoch;
                BestValidNdcg = ndcg;
            }
            else if (stopping.ShouldStop)
            {
                break;
            }
        }
        if (valid is not null)
        {
            _w = best;
            KeptGainZ = GroupNdcg.PairedGainZ(bestNdcgs, startNdcgs);
            if (BestEpoch > 0 && KeptGainZ < Options.MinGainZ)
            {
                _w = start;
                BestEpoch = 0;
                BestValidNdcg = GroupNdcg.Mean(startNdcgs);
            }
        }
    }

    /// <summary>
    /// How many standard errors the best learned pass's validation nDCG@k was ahead of the starting weights', paired
    /// over the validation groups, in the last fit (NaN without validation groups; not saved with the model). When it
    /// is below <see cref="ListNetOptions.MinGainZ"/> the starting weights were kept.
    /// </summary>
    public double KeptGainZ { get; private set; } = double.NaN;

    /// <inheritdoc />
    public void Predict(RankingDataset data, Span<float> scores)
    {
        var encoder = Fitted();
        encoder.CheckSchema(data, nameof(data));
        if (scores.Length != data.Rows)
        {
            throw new ArgumentException($"scores has {scores.Length} entries for {data.Rows} rows.", nameof(scores));
        }
        Span<int> index = stackalloc int[encoder.Width];
        Span<float> value = stackalloc float[encoder.Width];
        var w = _w;
        for (int r = 0; r < data.Rows; r++)
        {
            encoder.Encode(data, r, index, value);
            scores[r] = (float)Margin(w, index, value);
        }
    }

    /// <inheritdoc />
    public void Save(Stream stream)
    {
        var encoder = Fitted();
        ModelFile.Write(stream, KindName, PayloadVersion, writer =>
        {
            Options.WriteTo(writer);
            encoder.WriteTo(writer);
            writer.Write(BestEpoch);
            writer.Write(BestValidNdcg);
            ArrayIo.Write(writer, _w);
        });
    }

    /// <summary>Reads the payload of a "listnet" model file (for the ranker catalog).</summary>
    /// <param name="reader">Positioned at the payload.</param>
    /// <param name="version">The payload version from the file header.</param>
    /// <exception cref="InvalidDataException">An unknown version or inconsistent content.</exception>
    public static ListNetRanker ReadFrom(BinaryReader reader, ushort version)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (version is < 1 or > PayloadVersion)
        {
            throw new InvalidDataException($"listnet payload version {version} is not supported; this build reads versions 1 to {PayloadVersion}.");
        }
        var model = new ListNetRanker(ListNetOptions.ReadFrom(reader, version));
        var encoder = SparseEncoder.ReadFrom(reader);
        model.BestEpoch = reader.ReadInt32();
        model.BestValidNdcg = reader.ReadDouble();
        model._w = ArrayIo.ReadSingles(reader, encoder.Dimension);
        foreach (float w in model._w)
        {
            if (!float.IsFinite(w))
            {
                throw new InvalidDataException("listnet weights hold a NaN or infinite value.");
            }
        }
        model._encoder = encoder;
        return model;
    }

    /// <summary>Loads a "listnet" model file.</summary>
    /// <param name="stream">A stream at the start of the file.</param>
    /// <exception cref="InvalidDataException">Not an intact "listnet" model file.</exception>
    public static ListNetRanker Load(Stream stream) => ModelFile.ReadPayload(stream, KindName, ReadFrom);

    /// <summary>
    /// Adds one group's ListNet gradient to <paramref name="gradient"/>: for row i, (softmax(s)_i − y_i / Σy)·x_i;
    /// returns the group's loss −Σ (y_i / Σy)·log softmax(s)_i.
    /// </summary>
    private double Accumulate(RankingDataset train, float[] labels, int from, int to, GroupBuffers buffers,
        double[] gradient, List<int> touched, bool[] isTouched)
    {
        var encoder = _encoder!;
        int size = to - from, width = encoder.Width;
        buffers.Ensure(size);
        double labelSum = 0, top = double.NegativeInfinity;
        for (int i = 0; i < size; i++)
        {
            var index = buffers.Index.AsSpan(i * width, width);
            var value = buffers.Value.AsSpan(i * width, width);
            encoder.Encode(train, from + i, index, value);
            double s = Margin(_w, index, value);
            buffers.Score[i] = s;
            top = Math.Max(top, s);
            labelSum += Math.Max(0, labels[from + i]);
        }
        double normaliser = 0;
        for (int i = 0; i < size; i++)
        {
            normaliser += Math.Exp(buffers.Score[i] - top);
        }
        double logNormaliser = top + Math.Log(normaliser);
        double loss = 0;
        for (int i = 0; i < size; i++)
        {
            double target = Math.Max(0, labels[from + i]) / labelSum;
            double p = Math.Exp(buffers.Score[i] - logNormaliser);
            if (target > 0)
            {
                loss -= target * (buffers.Score[i] - logNormaliser);
            }
            double g = p - target;
            var index = buffers.Index.AsSpan(i * width, width);
            var value = buffers.Value.AsSpan(i * width, width);
            for (int k = 0; k < width; k++)
            {
                int j = index[k];
                gradient[j] += g * value[k];
                if (!isTouched[j])
                {
                    isTouched[j] = true;
                    touched.Add(j);
                }
            }
        }
        return loss;
    }

    /// <summary>One sparse Adam step on the coordinates the mini-batch touched, then clears the accumulator.</summary>
    private void Apply(double[] gradient, List<int> touched, bool[] isTouched, double[] first, double[] second, float[] start, int groups, long step)
    {
        double correction1 = 1 - Math.Pow(Beta1, step), correction2 = 1 - Math.Pow(Beta2, step);
        foreach (int j in touched)
        {
            double g = (gradient[j] / groups) + (Options.L2 * (_w[j] - start[j]));
            first[j] = (Beta1 * first[j]) + ((1 - Beta1) * g);
            second[j] = (Beta2 * second[j]) + ((1 - Beta2) * g * g);
            double update = Options.LearningRate * (first[j] / correction1) / (Math.Sqrt(second[j] / correction2) + AdamEpsilon);
            _w[j] = (float)(_w[j] - update);
            gradient[j] = 0;
            isTouched[j] = false;
        }
        touched.Clear();
    }

    private double ValidNdcg(RankingDataset valid, double[] inverseIdeal, double[] perGroup)
    {
        var scores = new float[valid.Rows];
        Predict(valid, scores);
        var wide = new double[scores.Length];
        for (int i = 0; i < scores.Length; i++)
        {
            wide[i] = scores[i];
        }
        GroupNdcg.Ndcgs(wide, valid.Labels!, valid.GroupOffsets!, inverseIdeal, Options.NdcgAt, perGroup);
        return GroupNdcg.Mean(perGroup);
    }

    private static double Margin(float[] w, ReadOnlySpan<int> index, ReadOnlySpan<float> value)
    {
        double margin = 0;
        for (int k = 0; k < index.Length; k++)
        {
            margin += w[index[k]] * value[k];
        }
        return margin;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private SparseEncoder Fitted() => _encoder ?? throw new InvalidOperationException("The listnet ranker is not fitted; call Fit first.");

    /// <summary>Encoded rows and scores of one group, grown to the largest group seen.</summary>
    private sealed class GroupBuffers(int width)
    {
        public int[] Index { get; private set; } = [];

        public float[] Value { get; private set; } = [];

        public double[] Score { get; private set; } = [];

        public void Ensure(int rows)
        {
            if (Score.Length < rows)
            {
                Index = new int[rows * width];
                Value = new float[rows * width];
                Score = new double[rows];
            }
        }
    }
}
