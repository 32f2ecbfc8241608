using System.Buffers;
using Cascade.Core;
using Cascade.Models.Embeddings;
using Cascade.Models.Serialization;

namespace Cascade.Models.Neural;

/// <summary>
/// A two-tower retrieval network (Yi et al. 2019; Covington et al. 2016). The user tower pools the user-id embedding,
/// the embeddings of the user's most recent items and of the user's attributes, then projects them; the item tower pools
/// the item-id embedding and the embeddings of the item's categories, tags and hashed title tokens, then projects them.
/// Trained with an in-batch sampled softmax (the batch's other positives are the negatives) with logQ correction, by
/// Adam on mini-batches; gradients are derived by hand (see <see cref="TwoTowerNetwork"/>) and checked by finite differences.
/// </summary>
/// <remarks>
/// The user vector is computed at request time from the history, so a user unknown at training time is served from
/// their history and attributes (<see cref="EmbedUser"/>) without retraining, and a new item gets a vector from its
/// features alone (<see cref="EmbedItem"/>). Side features are optional: without them the towers are ids and history.
/// Against over-fitting and for harder training signals the options add history dropout, uniformly sampled extra
/// negatives (mixed negatives), unit-length tower outputs and a pooling exponent (see <see cref="TwoTowerOptions"/>).
/// Training is single-threaded, so a seed fixes the model.
/// </remarks>
public sealed partial class TwoTower : EmbeddingRecommenderBase
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "two-tower";

    private TwoTowerNetwork? _network;
    private SideFeatures _userFeatures;
    private SideFeatures _itemFeatures;
    private int[] _recentPointers = [0];
    private int[] _recentItems = [];

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    /// <param name="userFeatures">Attributes of user u (dense id) as feature ids; none when null.</param>
    /// <param name="itemFeatures">Categories, tags and hashed title tokens of item i as feature ids; none when null.</param>
    public TwoTower(TwoTowerOptions? options = null, SideFeatures? userFeatures = null, SideFeatures? itemFeatures = null)
    {
        Options = (options ?? new TwoTowerOptions()).Validate();
        _userFeatures = userFeatures ?? SideFeatures.Empty;
        _itemFeatures = itemFeatures ?? SideFeatures.Empty;
    }

    /// <summary>The options the model was built with.</summary>
    public TwoTowerOptions Options { get; }

    /// <summary>The user attributes the model uses.</summary>
    public SideFeatures UserFeatures => _userFeatures;

    /// <summary>The item features the model uses.</summary>
    public SideFeatures ItemFeatures => _itemFeatures;

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 2;

    /// <inheritdoc />
    public override int EmbeddingDimension => Options.Dimension + 1;

    /// <inheritdoc />
    protected override int SimilarityComponents => Options.Dimension;

    /// <summary>Epochs the final model was trained for (chosen on validation when early stopping is on).</summary>
    public int FittedEpochs { get; private set; }

    /// <summary>Best validation nDCG@10 seen by early stopping, or NaN when it was off.</summary>
    public double ValidationNdcg { get; private set; } = double.NaN;

    /// <summary>Training examples processed per second in the last fit (0 when nothing was trained).</summary>
    public double ExamplesPerSecond { get; private set; }

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount => _network is null ? 0 : _network.Blocks.Sum(b => (long)b.Values.Length);

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        int epochs = Options.Epochs;
        ValidationNdcg = double.NaN;
        if (Options.ValidationFraction > 0 && epochs > 0)
        {
            var holdout = ValidationHoldout.Create(interactions, Options.ValidationFraction, Options.Seed);
            var (pointers, items) = RecentHistory(holdout.Train, Options.MaxHistory);
            double best = double.NegativeInfinity;
            int bestEpoch = 0;
            Train(holdout.Train, pointers, items, epochs, (epoch, network, context) =>
            {
                float[] itemVectors = ItemVectorsOf(network, _itemFeatures, interactions.Columns, Options.NormaliseOutputs);
                int d = Options.Dimension;
                double ndcg = holdout.Ndcg(10, (u, buffer) =>
                {
                    var h = new float[d];
                    var vector = new float[d + 1];
                    network.UserInput(u, Options.UserIdDropout < 1, context.HistoryOf(u), -1, _userFeatures.Of(u), h);
                    TwoTowerNetwork.Project(network.UserProjection, h, vector.AsSpan(0, d));
                    NormaliseIfAsked(vector.AsSpan(0, d));
                    vector[d] = 1;
                    EmbeddingMath.ScoreAll(vector, itemVectors, buffer);
                }, Environment.ProcessorCount);
                if (ndcg > best)
                {
                    (best, bestEpoch) = (ndcg, epoch);
                }
                return epoch - bestEpoch < Options.Patience;
            }, cancellationToken);
            epochs = bestEpoch;
            ValidationNdcg = best;
        }
        (_recentPointers, _recentItems) = RecentHistory(interactions, Options.MaxHistory);
        _network = Train(interactions, _recentPointers, _recentItems, epochs, null, cancellationToken);
        FittedEpochs = epochs;
        SetItemVectors(ItemVectorsOf(_network, _itemFeatures, interactions.Columns, Options.NormaliseOutputs));
    }

    private TwoTowerNetwork Train(CsrMatrix data, int[] recentPointers, int[] recentItems, int epochs,
        Func<int, TwoTowerNetwork, TwoTowerContext, bool>? afterEpoch, CancellationToken cancellationToken)
    {
        var random = new Random(Options.Seed);
        var network = new TwoTowerNetwork(data.Rows, data.Columns, _userFeatures.FeatureCount, _itemFeatures.FeatureCount, Options.Dimension, random, Options.InitStd)
        {
            PoolingExponent = Options.PoolingExponent,
        };
        var context = new TwoTowerContext(recentPointers, recentItems, _userFeatures, _itemFeatures,
            LogQ(data, Options.Negatives / (double)Options.BatchSize), Options.Temperature, Options.LogQCorrection, Options.NormaliseOutputs);
        var optimisers = new Adam[network.Blocks.Count];
        for (int n = 0; n < optimisers.Length; n++)
        {
            optimisers[n] = new Adam(network.Blocks[n].Values.Length, Options.LearningRate, Options.WeightDecay);
        }
        int nnz = data.NonZeros;
        var entryUser = new int[nnz];
        for (int u = 0; u < data.Rows; u++)
        {
            entryUser.AsSpan(data.RowPointers[u], data.RowLength(u)).Fill(u);
        }
        var order = new int[nnz];
        for (int e = 0; e < nnz; e++)
        {
            order[e] = e;
        }
        int batchSize = Options.BatchSize, step = 0;
        long examples = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            random.Shuffle(order);
            for (int start = 0; start + 2 <= nnz; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int size = Math.Min(batchSize, nnz - start);
                var batch = new Batch(new int[size], new int[size], new bool[size])
                {
                    Negatives = new int[Options.Negatives],
                    Histories = Options.HistoryDropout > 0 ? new int[size][] : null,
                };
                for (int a = 0; a < size; a++)
                {
                    int entry = order[start + a];
                    batch.Users[a] = entryUser[entry];
                    batch.Items[a] = data.ColumnIndices[entry];
                    batch.UseUserId[a] = random.NextDouble() >= Options.UserIdDropout;
                    if (batch.Histories is not null)
                    {
                        batch.Histories[a] = DropHistory(context.HistoryOf(batch.Users[a]), batch.Items[a], Options.HistoryDropout, random);
                    }
                }
                for (int n = 0; n < batch.Negatives.Length; n++)
                {
                    batch.Negatives[n] = random.Next(data.Columns);
                }
                network.BatchLoss(batch, context, accumulate: true);
                network.Step(optimisers, ++step);
                examples += size;
            }
            if (afterEpoch is not null && !afterEpoch(epoch, network, context))
            {
                break;
            }
        }
        ExamplesPerSecond = examples > 0 ? examples / clock.Elapsed.TotalSeconds : 0;
        return network;
    }

    /// <summary>The history items other than <paramref name="target"/>, each kept with probability 1 − <paramref name="dropout"/>.</summary>
    private static int[] DropHistory(ReadOnlySpan<int> history, int target, double dropout, Random random)
    {
        var kept = new List<int>(history.Length);
        foreach (int j in history)
        {
            if (j != target && random.NextDouble() >= dropout)
            {
                kept.Add(j);
            }
        }
        return [.. kept];
    }

    /// <summary>
    /// log q(i) up to a constant: log(p(i) + m/N), p(i) the share of training entries that are item i (items without
    /// entries count as one), m the uniform negatives per batch example and N the items — the expected count of i among
    /// a batch's candidates divided by the batch size.
    /// </summary>
    private static float[] LogQ(CsrMatrix data, double uniformPerExample)
    {
        var counts = new float[data.Columns];
        foreach (int item in data.ColumnIndices)
        {
            counts[item]++;
        }
        var logQ = new float[data.Columns];
        double total = Math.Max(1, data.NonZeros);
        for (int i = 0; i < logQ.Length; i++)
        {
            logQ[i] = (float)Math.Log((Math.Max(counts[i], 1) / total) + (uniformPerExample / Math.Max(1, data.Columns)));
        }
        return logQ;
    }

    /// <summary>Each user's <paramref name="max"/> most recent items (latest timestamps; ties to the lower item), ascending by item.</summary>
    private static (int[] Pointers, int[] Items) RecentHistory(CsrMatrix data, int max)
    {
        var pointers = new int[data.Rows + 1];
        var items = new List<int>(Math.Min(data.NonZeros, data.Rows * Math.Max(max, 1)));
        for (int u = 0; u < data.Rows; u++)
        {
            ReadOnlySpan<int> row = data.RowIndices(u);
            if (row.Length <= max)
            {
                foreach (int i in row)
                {
                    items.Add(i);
                }
            }
            else
            {
                long[] times = data.RowTimestamps(u).ToArray();
                var order = new int[row.Length];
                for (int a = 0; a < order.Length; a++)
                {
                    order[a] = a;
                }
                Array.Sort(order, (x, y) => times.Length == 0 ? y.CompareTo(x) : times[y] != times[x] ? times[y].CompareTo(times[x]) : x.CompareTo(y));
                var kept = new int[max];
                for (int a = 0; a < max; a++)
                {
                    kept[a] = row[order[a]];
                }
                Array.Sort(kept);
                items.AddRange(kept);
            }
            pointers[u + 1] = items.Count;
        }
        return (pointers, [.. items]);
    }

    /// <summary>The packed item vectors (v_i, β_i), so the user side (u, 1) scores u·v_i + β_i in one inner product.</summary>
    private static float[] ItemVectorsOf(TwoTowerNetwork network, SideFeatures features, int items, bool normalise)
    {
        int d = network.Dimension, width = d + 1;
        var vectors = new float[(long)items * width];
        var h = new float[d];
        for (int i = 0; i < items; i++)
        {
            network.ItemInput(i, features.Of(i), h);
            TwoTowerNetwork.Project(network.ItemProjection, h, vectors.AsSpan(i * width, d));
            if (normalise)
            {
                TwoTowerNetwork.NormaliseInPlace(vectors.AsSpan(i * width, d));
            }
            vectors[(i * width) + d] = network.ItemBias.Values[i];
        }
        return vectors;
    }

    private void NormaliseIfAsked(Span<float> vector)
    {
        if (Options.NormaliseOutputs)
        {
            TwoTowerNetwork.NormaliseInPlace(vector);
        }
    }

    private TwoTowerNetwork Network => _network ?? throw new InvalidOperationException($"The {Name} model is not fitted: call Fit or load it from a file first.");

    /// <inheritdoc />
    protected override bool UserEmbeddingCore(int user, Span<float> destination)
    {
        ReadOnlySpan<int> history = _recentItems.AsSpan(_recentPointers[user], _recentPointers[user + 1] - _recentPointers[user]);
        Embed(user, history, _userFeatures.Of(user), destination);
        return true;
    }

    private void Embed(int user, ReadOnlySpan<int> history, ReadOnlySpan<int> attributes, Span<float> destination)
    {
        int d = Options.Dimension;
        float[] buffer = ArrayPool<float>.Shared.Rent(d);
        try
        {
            Span<float> h = buffer.AsSpan(0, d);
            // With a dropout of 1 the id rows never train: leave them out rather than add their initial noise.
            Network.UserInput(user, Options.UserIdDropout < 1, history, -1, attributes, h);
            TwoTowerNetwork.Project(Network.UserProjection, h, destination[..d]);
            NormaliseIfAsked(destination[..d]);
            destination[d] = 1;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The vector of a user the model was not trained on, from their history (the last <see cref="TwoTowerOptions.MaxHistory"/>
    /// items are pooled) and attributes, at request time: cold start without retraining.
    /// </summary>
    /// <param name="history">Dense item ids, oldest first.</param>
    /// <param name="attributes">User feature ids (each below <see cref="UserFeatures"/>' feature count).</param>
    /// <param name="destination">Receives the packed vector (u, 1), length <see cref="EmbeddingDimension"/>.</param>
    public void EmbedUser(ReadOnlySpan<int> history, ReadOnlySpan<int> attributes, Span<float> destination)
    {
        EnsureFitted();
        CheckLength(destination);
        CheckIds(history, ItemCount, nameof(history));
        CheckIds(attributes, _userFeatures.FeatureCount, nameof(attributes));
        if (history.Length > Options.MaxHistory)
        {
            history = history[^Options.MaxHistory..];
        }
        Embed(-1, history, attributes, destination);
    }

    /// <summary>
    /// The packed vector (v, β) of an item the model was not trained on, from its features alone (categories, tags, hashed
    /// title tokens); its bias β is the mean bias of the trained items.
    /// </summary>
    /// <param name="features">Item feature ids (each below <see cref="ItemFeatures"/>' feature count).</param>
    /// <param name="destination">Receives the vector, length <see cref="EmbeddingDimension"/>.</param>
    public void EmbedItem(ReadOnlySpan<int> features, Span<float> destination)
    {
        EnsureFitted();
        CheckLength(destination);
        CheckIds(features, _itemFeatures.FeatureCount, nameof(features));
        int d = Options.Dimension;
        var h = new float[d];
        Network.ItemInput(-1, features, h);
        TwoTowerNetwork.Project(Network.ItemProjection, h, destination[..d]);
        NormaliseIfAsked(destination[..d]);
        destination[d] = ItemCount > 0 ? Network.ItemBias.Values.Average() : 0f;
    }

    /// <summary>Top-k items for a user known only by a history and attributes, excluding the history; best first.</summary>
    /// <param name="history">Dense item ids, oldest first.</param>
    /// <param name="attributes">User feature ids.</param>
    /// <param name="k">Number of items wanted.</param>
    public Recommendation[] RecommendForHistory(ReadOnlySpan<int> history, ReadOnlySpan<int> attributes, int k)
    {
        var vector = new float[EmbeddingDimension];
        EmbedUser(history, attributes, vector);
        var scores = new float[ItemCount];
        EmbeddingMath.ScoreAll(vector, ItemVectors, scores);
        foreach (int item in history)
        {
            scores[item] = float.NegativeInfinity;
        }
        return TopK.Select(scores, k);
    }

    private void CheckLength(Span<float> destination)
    {
        if (destination.Length != EmbeddingDimension)
        {
            throw new ArgumentException($"destination has {destination.Length} entries; the model's embedding dimension is {EmbeddingDimension}.", nameof(destination));
        }
    }

    private static void CheckIds(ReadOnlySpan<int> ids, int count, string name)
    {
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)count)
            {
                throw new ArgumentOutOfRangeException(name, id, $"Id {id} is outside [0, {count}).");
            }
        }
    }

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Options.Dimension);
        writer.Write(Options.Epochs);
        writer.Write(Options.BatchSize);
        writer.Write(Options.LearningRate);
        writer.Write(Options.WeightDecay);
        writer.Write(Options.Temperature);
        writer.Write(Options.LogQCorrection);
        writer.Write(Options.MaxHistory);
        writer.Write(Options.UserIdDropout);
        writer.Write(Options.InitStd);
        writer.Write(Options.Seed);
        writer.Write(Options.ValidationFraction);
        writer.Write(Options.Patience);
        writer.Write(Options.Negatives);
        writer.Write(Options.NormaliseOutputs);
        writer.Write(Options.HistoryDropout);
        writer.Write(Options.PoolingExponent);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FittedEpochs);
        writer.Write(ValidationNdcg);
        _userFeatures.Write(writer);
        _itemFeatures.Write(writer);
        writer.WriteArray(_recentPointers);
        writer.WriteArray(_recentItems);
        Network.Write(writer);
    }

    internal static TwoTower ReadFrom(BinaryReader reader, int version)
    {
        if (version is not (1 or 2))
        {
            throw new InvalidDataException($"The {KindName} payload version {version} is not supported; this build reads versions 1 and 2.");
        }
        var options = new TwoTowerOptions
        {
            Dimension = reader.ReadInt32(),
            Epochs = reader.ReadInt32(),
            BatchSize = reader.ReadInt32(),
            LearningRate = reader.ReadDouble(),
            WeightDecay = reader.ReadDouble(),
            Temperature = reader.ReadDouble(),
            LogQCorrection = reader.ReadBoolean(),
            MaxHistory = reader.ReadInt32(),
            UserIdDropout = reader.ReadDouble(),
            InitStd = reader.ReadDouble(),
            Seed = reader.ReadInt32(),
            ValidationFraction = reader.ReadDouble(),
            Patience = reader.ReadInt32(),
        };
        if (version >= 2)
        {
            // Version 2 appends the options of mixed negatives, normalised outputs, history dropout and pooling exponent.
            options = options with { Negatives = reader.ReadInt32(), NormaliseOutputs = reader.ReadBoolean(), HistoryDropout = reader.ReadDouble(), PoolingExponent = reader.ReadDouble() };
        }
        var model = new TwoTower(options);
        model.ReadCommonState(reader);
        model.FittedEpochs = reader.ReadInt32();
        model.ValidationNdcg = reader.ReadDouble();
        model._userFeatures = SideFeatures.Read(reader);
        model._itemFeatures = SideFeatures.Read(reader);
        model._recentPointers = reader.ReadInt32Array();
        model._recentItems = reader.ReadInt32Array();
        // Reuse the CSR validation of Core for the recent-history lists.
        _ = new CsrMatrix(model.UserCount, model.ItemCount, model._recentPointers, model._recentItems, new float[model._recentItems.Length]);
        model._network = TwoTowerNetwork.Read(reader, model.UserCount, model.ItemCount, model._userFeatures.FeatureCount, model._itemFeatures.FeatureCount);
        model._network.PoolingExponent = options.PoolingExponent;
        if (model._network.Dimension != options.Dimension)
        {
            throw new InvalidDataException($"The two-tower network has dimension {model._network.Dimension}; the options say {options.Dimension}.");
        }
        model.SetItemVectors(ItemVectorsOf(model._network, model._itemFeatures, model.ItemCount, options.NormaliseOutputs));
        return model;
    }
}
