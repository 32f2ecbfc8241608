using System.Diagnostics.CodeAnalysis;
using Cascade.Models.Serialization;
using Cascade.Ranking.Metrics;
using Cascade.Ranking.Neural.Dcn;

namespace Cascade.Ranking.Neural;

/// <summary>
/// Deep &amp; Cross Network v2 (Wang et al. 2021) for click-through prediction: field embeddings and numeric
/// features form x0; full-rank cross layers x_{l+1} = x0 ⊙ (W_l x_l + b_l) + x_l and a ReLU network (batch norm,
/// dropout) run in parallel or stacked; a sigmoid output is trained on log loss with Adam (lazy on embedding rows),
/// mini-batches split over threads, and early stopping on a validation set that keeps the best epoch.
/// </summary>
/// <remarks>
/// Gradients are derived by hand (docs/rankers-dcnv2.md) and checked against finite differences in the tests. A fit
/// is a function of the options and the data alone: the thread count changes speed, not the model.
/// </remarks>
public sealed class DeepCrossNetworkV2 : IRanker
{
    /// <summary>Kind name in model files and the ranker catalog.</summary>
    public const string KindName = "dcnv2";

    /// <summary>Payload version this build writes and reads.</summary>
    public const ushort PayloadVersion = 1;

    private readonly List<RankerProgress> _history = [];
    private DcnV2Network? _network;

    /// <summary>Creates an unfitted ranker.</summary>
    /// <param name="options">Hyper-parameters (defaults when null); validated here.</param>
    public DeepCrossNetworkV2(DcnV2Options? options = null)
    {
        Options = (options ?? new DcnV2Options()).Validate();
    }

    /// <summary>The hyper-parameters.</summary>
    public DcnV2Options Options { get; }

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    [MemberNotNullWhen(true, nameof(Schema))]
    public bool IsFitted => Schema is not null;

    /// <inheritdoc />
    public FeatureSchema? Schema { get; private set; }

    /// <inheritdoc />
    public bool OutputsProbability => true;

    /// <summary>Epochs the last fit ran (including those after the best one).</summary>
    public int EpochsRun { get; private set; }

    /// <summary>The epoch whose weights the model keeps (the best on validation, or the last without one).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>One entry per epoch of the last fit.</summary>
    public IReadOnlyList<RankerProgress> History => _history;

    /// <summary>Number of learned values (dense parameters and embedding table).</summary>
    public long ParameterCount => _network is null ? 0 : (long)_network.Parameters.Length + _network.Embeddings.Length;

    internal DcnV2Network? Network => _network;

    /// <inheritdoc />
    public void Fit(RankingDataset train, RankingDataset? valid = null, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckLabelled(train, nameof(train));
        if (valid is not null)
        {
            if (!valid.Schema.Equals(train.Schema))
            {
                throw new ArgumentException("The validation set's schema differs from the training set's.", nameof(valid));
            }
            CheckLabelled(valid, nameof(valid));
        }
        var o = Options;
        var network = new DcnV2Network(train.Schema, o.EmbeddingDimension, o.CrossLayers, o.HiddenUnits, o.BatchNorm, o.Structure);
        var random = new Random(o.Seed);
        network.Initialise(random, o.EmbeddingInitStd);
        network.FitNumericScaling(train);
        var best = new DcnV2Network(train.Schema, o.EmbeddingDimension, o.CrossLayers, o.HiddenUnits, o.BatchNorm, o.Structure);
        network.CopyTo(best);
        var adam = new LazyAdam(network.Parameters.Length, network.Embeddings.Length, o.LearningRate, o.WeightDecay, o.EmbeddingTableL2);
        int batchSize = Math.Min(o.BatchSize, train.Rows);
        var activations = new DcnV2Activations(network, batchSize, o.Dropout);
        var gradients = new DcnV2Gradients(network);
        int[] order = new int[train.Rows];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        bool[]? validLabels = valid?.BinaryLabels();
        var metric = o.StoppingMetric;
        if (validLabels is not null && metric == DcnStoppingMetric.Auc && (Array.IndexOf(validLabels, true) < 0 || Array.IndexOf(validLabels, false) < 0))
        {
            metric = DcnStoppingMetric.LogLoss; // AUC is undefined with one class
        }
        string metricName = metric == DcnStoppingMetric.Auc ? "auc" : "logloss";
        float[] validScores = valid is null ? [] : new float[valid.Rows];
        double bestMetric = double.NaN;
        int sinceBest = 0;
        _history.Clear();
        EpochsRun = 0;
        BestEpoch = 0;
        Schema = null;
        _network = null;

        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            random.Shuffle(order);
            double lossSum = 0;
            int batches = 0;
            for (int start = 0; start < order.Length; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rows = order.AsSpan(start, Math.Min(batchSize, order.Length - start));
                ulong dropoutSeed = ((ulong)(uint)o.Seed * 0x9E3779B97F4A7C15UL) + ((ulong)(adam.Step + 1) * 0xD1B54A32D192ED03UL);
                lossSum += network.ComputeGradients(train, rows, activations, gradients, o.Dropout, o.EmbeddingL2, dropoutSeed, o.Threads, updateRunningStats: true);
                adam.Apply(network, gradients, o.Threads);
                batches++;
            }
            network.PrepareInference();
            EpochsRun = epoch;
            double trainLoss = lossSum / batches;
            double validMetric = double.NaN;
            bool improved;
            if (valid is not null)
            {
                network.Predict(valid, validScores, o.Threads);
                validMetric = metric == DcnStoppingMetric.Auc ? ScoreMetrics.Auc(validLabels!, validScores) : ScoreMetrics.LogLoss(validLabels!, validScores);
                improved = double.IsNaN(bestMetric) || (metric == DcnStoppingMetric.Auc ? validMetric > bestMetric : validMetric < bestMetric);
            }
            else
            {
                improved = true;
            }
            var report = new RankerProgress(epoch, o.Epochs, trainLoss, validMetric, valid is null ? "" : metricName);
            _history.Add(report);
            progress?.Report(report);
            if (improved)
            {
                bestMetric = validMetric;
                BestEpoch = epoch;
                sinceBest = 0;
                network.CopyTo(best);
            }
            else
            {
                if (++sinceBest >= o.Patience)
                {
                    break;
                }
                adam.LearningRate *= o.LearningRateDecay;
            }
        }
        best.PrepareInference();
        _network = best;
        Schema = train.Schema;
    }

    /// <inheritdoc />
    public void Predict(RankingDataset data, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(data);
        var network = _network;
        if (network is null || Schema is null)
        {
            throw new InvalidOperationException("The DCN-v2 ranker is not fitted; call Fit or load a model first.");
        }
        if (!ReferenceEquals(data.Schema, Schema) && !data.Schema.Equals(Schema))
        {
            throw new ArgumentException($"The data's schema ({Describe(data.Schema)}) differs from the one the model was fitted on ({Describe(Schema)}).", nameof(data));
        }
        if (scores.Length != data.Rows)
        {
            throw new ArgumentException($"scores has {scores.Length} entries for {data.Rows} rows.", nameof(scores));
        }
        network.Predict(data, scores, Options.Threads);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Payload v1: the feature schema; embedding dimension, cross layers, hidden layer count and widths (int32 each),
    /// batch norm (bool), structure (int32); then, each as an int32 count and float32 values, the dense parameters, the
    /// embedding table, the batch-norm running means and variances, and the numeric means and scales (docs/rankers-dcnv2.md).
    /// </remarks>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var network = _network;
        if (network is null || Schema is null)
        {
            throw new InvalidOperationException("The DCN-v2 ranker is not fitted; there is nothing to save.");
        }
        var schema = Schema;
        ModelFile.Write(stream, KindName, PayloadVersion, writer =>
        {
            schema.WriteTo(writer);
            writer.Write(network.EmbeddingDimension);
            writer.Write(network.CrossLayers);
            writer.Write(network.Hidden.Length);
            foreach (int width in network.Hidden)
            {
                writer.Write(width);
            }
            writer.Write(network.BatchNorm);
            writer.Write((int)network.Structure);
            network.WriteArrays(writer);
        });
    }

    /// <summary>
    /// Writes the fitted model as an ONNX graph (opset 13): inputs <c>categorical</c> (int64 [N, fields], the same codes
    /// as the data) and <c>numeric</c> (float [N, numeric], NaN = missing), output <c>probability</c> (float [N]). The
    /// default feature mapping of the <c>onnx</c> ranker is written in the model's metadata (docs/rankers-onnx.md).
    /// </summary>
    /// <param name="stream">Destination.</param>
    /// <exception cref="InvalidOperationException">The ranker is not fitted.</exception>
    public void ExportOnnx(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var network = _network;
        if (network is null || Schema is null)
        {
            throw new InvalidOperationException("The DCN-v2 ranker is not fitted; there is nothing to export.");
        }
        network.ToOnnx(Schema).WriteTo(stream);
    }

    /// <summary>Loads a model file written by <see cref="Save"/>.</summary>
    /// <param name="stream">A stream at the start of a model file.</param>
    /// <exception cref="InvalidDataException">The file is corrupt, of another kind, or inconsistent.</exception>
    public static DeepCrossNetworkV2 Load(Stream stream) => ModelFile.ReadPayload(stream, KindName, ReadFrom);

    /// <summary>Reads the payload of a "dcnv2" model file (the ranker catalog's reader).</summary>
    /// <param name="reader">Positioned at the payload's start.</param>
    /// <param name="version">The payload version from the container header.</param>
    /// <exception cref="InvalidDataException">Unknown version or inconsistent payload.</exception>
    public static DeepCrossNetworkV2 ReadFrom(BinaryReader reader, ushort version)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (version != PayloadVersion)
        {
            throw new InvalidDataException($"{KindName} payload version {version} is not supported; this build reads version {PayloadVersion}.");
        }
        var schema = FeatureSchema.ReadFrom(reader);
        int dimension = reader.ReadInt32(), cross = reader.ReadInt32(), layers = reader.ReadInt32();
        if (dimension is < 1 or > 4096 || cross is < 0 or > 64 || layers is < 0 or > 64)
        {
            throw new InvalidDataException($"{KindName} shape is out of range: embedding dimension {dimension}, {cross} cross layers, {layers} hidden layers.");
        }
        int[] hidden = new int[layers];
        for (int k = 0; k < layers; k++)
        {
            hidden[k] = reader.ReadInt32();
            if (hidden[k] is < 1 or > 1 << 16)
            {
                throw new InvalidDataException($"{KindName} hidden layer {k} has width {hidden[k]}.");
            }
        }
        bool batchNorm = reader.ReadBoolean();
        int structure = reader.ReadInt32();
        if (structure is not ((int)DcnStructure.Parallel or (int)DcnStructure.Stacked))
        {
            throw new InvalidDataException($"{KindName} structure code {structure} is unknown.");
        }
        long embeddingValues = (long)schema.TotalCardinality * dimension;
        long inputWidth = ((long)schema.FieldCount * dimension) + (2L * schema.NumericCount);
        if (embeddingValues > reader.BaseStream.Length || inputWidth * inputWidth * cross > reader.BaseStream.Length)
        {
            throw new InvalidDataException($"{KindName} shape needs more values than the payload's {reader.BaseStream.Length} bytes hold.");
        }
        DcnV2Options options;
        try
        {
            options = new DcnV2Options
            {
                EmbeddingDimension = dimension,
                CrossLayers = cross,
                HiddenUnits = hidden,
                BatchNorm = batchNorm,
                Structure = (DcnStructure)structure,
            }.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{KindName} shape is inconsistent: {e.Message}", e);
        }
        var network = new DcnV2Network(schema, dimension, cross, hidden, batchNorm, (DcnStructure)structure);
        network.ReadArrays(reader);
        var model = new DeepCrossNetworkV2(options) { _network = network, Schema = schema };
        return model;
    }

    private static void CheckLabelled(RankingDataset data, string name)
    {
        if (data.Rows == 0)
        {
            throw new ArgumentException($"The {name} set has no rows.", name);
        }
        var labels = data.Labels ?? throw new ArgumentException($"The {name} set has no labels; DCN-v2 trains on 0/1 click labels.", name);
        for (int i = 0; i < labels.Length; i++)
        {
            if (!(labels[i] >= 0 && labels[i] <= 1))
            {
                throw new ArgumentException($"The {name} set's label at row {i} is {labels[i]}; labels must lie in [0, 1].", name);
            }
        }
        if (data.Weights is { } weights)
        {
            for (int i = 0; i < weights.Length; i++)
            {
                if (!(weights[i] >= 0) || float.IsInfinity(weights[i]))
                {
                    throw new ArgumentException($"The {name} set's weight at row {i} is {weights[i]}; weights must be finite and ≥ 0.", name);
                }
            }
        }
    }

    private static string Describe(FeatureSchema schema) =>
        $"{schema.FieldCount} fields [{string.Join(", ", schema.Categorical.Select(f => $"{f.Name}:{f.Cardinality}"))}], {schema.NumericCount} numeric";
}
