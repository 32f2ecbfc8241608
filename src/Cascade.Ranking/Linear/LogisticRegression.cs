using Cascade.Models.Serialization;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Linear;

/// <summary>
/// Logistic regression trained with FTRL-proximal (McMahan et al., "Ad click prediction: a view from the trenches",
/// KDD 2013): per-coordinate adaptive learning rates (α, β) with L1 and L2, so rare features learn fast and L1 gives
/// exact zeros. Features are the one-hots of the categorical fields (code 0, missing or unknown, has its own weight)
/// and the numeric features standardised with the training mean and standard deviation, each with a "missing"
/// indicator (see docs/rankers.md). Kind name "lr".
/// </summary>
/// <remarks>
/// <see cref="IRanker.Fit"/> makes several shuffled passes and keeps the pass with the best validation logloss;
/// <see cref="Update"/> continues learning online from further labelled rows with the same per-coordinate state.
/// Predictions may run while an update is in progress: each weight is written atomically, so a prediction sees every
/// weight either before or after the update's step.
/// </remarks>
public sealed class LogisticRegression : IOnlineRanker
{
    /// <summary>The kind name in model files and <c>--models</c>.</summary>
    public const string KindName = "lr";

    private const ushort PayloadVersion = 1;

    private readonly Lock _gate = new();
    private SparseEncoder? _encoder;
    private double[] _z = [];
    private double[] _n = [];
    private float[] _w = [];

    /// <summary>Creates an unfitted model.</summary>
    /// <param name="options">Hyper-parameters (defaults when null).</param>
    public LogisticRegression(LogisticRegressionOptions? options = null)
    {
        Options = (options ?? new LogisticRegressionOptions()).Validate();
    }

    /// <summary>The hyper-parameters.</summary>
    public LogisticRegressionOptions Options { get; }

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public bool IsFitted => _encoder is not null;

    /// <inheritdoc />
    public FeatureSchema? Schema => _encoder?.Schema;

    /// <inheritdoc />
    public bool OutputsProbability => true;

    /// <summary>The pass whose state was kept by the last fit (0 before fitting).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Number of weights (features and bias) that are not exactly zero.</summary>
    public int NonZeroWeights
    {
        get
        {
            int count = 0;
            foreach (float w in _w)
            {
                count += w != 0 ? 1 : 0;
            }
            return count;
        }
    }

    /// <summary>The weight of code <paramref name="code"/> of categorical field <paramref name="field"/>.</summary>
    /// <param name="field">Field index.</param>
    /// <param name="code">Code in the field's vocabulary.</param>
    public float CategoricalWeight(int field, int code) => _w[Fitted().Schema.FieldOffset(field) + code];

    /// <summary>The weight of numeric feature <paramref name="feature"/> (on the standardised value).</summary>
    /// <param name="feature">Numeric feature index.</param>
    public float NumericWeight(int feature) => _w[Fitted().Schema.TotalCardinality + (2 * feature)];

    /// <summary>The intercept.</summary>
    public float Bias => _w[Fitted().Dimension];

    /// <inheritdoc />
    public void Fit(RankingDataset train, RankingDataset? valid = null, IProgress<RankerProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var labels = RankerMath.RequireLabels(train, nameof(train));
        var encoder = SparseEncoder.Fit(train);
        if (valid is not null)
        {
            encoder.CheckSchema(valid, nameof(valid));
            RankerMath.RequireLabels(valid, nameof(valid));
        }
        lock (_gate)
        {
            _encoder = encoder;
            _z = new double[encoder.Dimension + 1];
            _n = new double[encoder.Dimension + 1];
            _w = new float[encoder.Dimension + 1];
            var random = new Random(Options.Seed);
            var order = RankerMath.Identity(train.Rows);
            var stopping = new EarlyStopping(Options.Patience);
            double[]? bestZ = null, bestN = null;
            Span<int> index = stackalloc int[encoder.Width];
            Span<float> value = stackalloc float[encoder.Width];
            for (int epoch = 1; epoch <= Options.Epochs; epoch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                RankerMath.Shuffle(order, random);
                double loss = 0, weightSum = 0;
                foreach (int r in order)
                {
                    float rowWeight = train.Weights?[r] ?? 1f;
                    encoder.Encode(train, r, index, value);
                    loss += rowWeight * Step(index, value, labels[r], rowWeight);
                    weightSum += rowWeight;
                }
                double trainLoss = weightSum > 0 ? loss / weightSum : double.NaN;
                if (valid is null)
                {
                    BestEpoch = epoch;
                    progress?.Report(new RankerProgress(epoch, Options.Epochs, trainLoss, double.NaN, "logloss"));
                    continue;
                }
                double validLoss = LogLoss(valid);
                progress?.Report(new RankerProgress(epoch, Options.Epochs, trainLoss, validLoss, "logloss"));
                if (stopping.Report(epoch, validLoss))
                {
                    bestZ = (double[])_z.Clone();
                    bestN = (double[])_n.Clone();
                    BestEpoch = epoch;
                }
                else if (stopping.ShouldStop)
                {
                    break;
                }
            }
            if (bestZ is not null && bestN is not null)
            {
                _z = bestZ;
                _n = bestN;
                for (int i = 0; i < _w.Length; i++)
                {
                    _w[i] = WeightOf(i);
                }
            }
        }
    }

    /// <inheritdoc />
    public void Update(RankingDataset batch)
    {
        var encoder = Fitted();
        encoder.CheckSchema(batch, nameof(batch));
        var labels = RankerMath.RequireLabels(batch, nameof(batch));
        Span<int> index = stackalloc int[encoder.Width];
        Span<float> value = stackalloc float[encoder.Width];
        lock (_gate)
        {
            for (int r = 0; r < batch.Rows; r++)
            {
                encoder.Encode(batch, r, index, value);
                Step(index, value, labels[r], batch.Weights?[r] ?? 1f);
            }
        }
    }

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
        for (int r = 0; r < data.Rows; r++)
        {
            encoder.Encode(data, r, index, value);
            scores[r] = RankerMath.Probability(Margin(index, value));
        }
    }

    /// <inheritdoc />
    public void Save(Stream stream)
    {
        var encoder = Fitted();
        lock (_gate)
        {
            ModelFile.Write(stream, KindName, PayloadVersion, writer =>
            {
                Options.WriteTo(writer);
                encoder.WriteTo(writer);
                writer.Write(BestEpoch);
                ArrayIo.Write(writer, _z);
                ArrayIo.Write(writer, _n);
            });
        }
    }

    /// <summary>Reads the payload of an "lr" model file (for the ranker catalog).</summary>
    /// <param name="reader">Positioned at the payload.</param>
    /// <param name="version">The payload version from the file header.</param>
    /// <exception cref="InvalidDataException">An unknown version or inconsistent content.</exception>
    public static LogisticRegression ReadFrom(BinaryReader reader, ushort version)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (version != PayloadVersion)
        {
            throw new InvalidDataException($"Logistic regression payload version {version} is not supported; this build reads version {PayloadVersion}.");
        }
        var model = new LogisticRegression(LogisticRegressionOptions.ReadFrom(reader));
        var encoder = SparseEncoder.ReadFrom(reader);
        model.BestEpoch = reader.ReadInt32();
        model._z = ArrayIo.ReadDoubles(reader, encoder.Dimension + 1);
        model._n = ArrayIo.ReadDoubles(reader, encoder.Dimension + 1);
        model._w = new float[encoder.Dimension + 1];
        foreach (double n in model._n)
        {
            if (!(n >= 0))
            {
                throw new InvalidDataException("Logistic regression state holds a negative or NaN squared-gradient sum.");
            }
        }
        model._encoder = encoder;
        for (int i = 0; i < model._w.Length; i++)
        {
            model._w[i] = model.WeightOf(i);
        }
        return model;
    }

    /// <summary>Loads an "lr" model file.</summary>
    /// <param name="stream">A stream at the start of the file.</param>
    /// <exception cref="InvalidDataException">Not an intact "lr" model file.</exception>
    public static LogisticRegression Load(Stream stream) => ModelFile.ReadPayload(stream, KindName, ReadFrom);

    private double LogLoss(RankingDataset data)
    {
        var encoder = Fitted();
        var labels = data.Labels!;
        Span<int> index = stackalloc int[encoder.Width];
        Span<float> value = stackalloc float[encoder.Width];
        double loss = 0, weightSum = 0;
        for (int r = 0; r < data.Rows; r++)
        {
            encoder.Encode(data, r, index, value);
            double p = RankerMath.Probability(Margin(index, value));
            float rowWeight = data.Weights?[r] ?? 1f;
            loss -= rowWeight * ((labels[r] * Math.Log(p)) + ((1 - labels[r]) * Math.Log(1 - p)));
            weightSum += rowWeight;
        }
        return weightSum > 0 ? loss / weightSum : double.NaN;
    }

    private double Margin(ReadOnlySpan<int> index, ReadOnlySpan<float> value)
    {
        var w = _w;
        double margin = w[^1];
        for (int k = 0; k < index.Length; k++)
        {
            margin += w[index[k]] * value[k];
        }
        return margin;
    }

    /// <summary>One FTRL-proximal step on one row; returns the row's logloss before the step.</summary>
    private double Step(ReadOnlySpan<int> index, ReadOnlySpan<float> value, float label, float rowWeight)
    {
        double margin = Margin(index, value);
        double gradient = (RankerMath.Sigmoid(margin) - label) * rowWeight;
        for (int k = 0; k < index.Length; k++)
        {
            Coordinate(index[k], gradient * value[k]);
        }
        Coordinate(_w.Length - 1, gradient);
        return RankerMath.LogLossOfLogit(margin, label);
    }

    private void Coordinate(int i, double g)
    {
        double n = _n[i];
        double sigma = (Math.Sqrt(n + (g * g)) - Math.Sqrt(n)) / Options.Alpha;
        _z[i] += g - (sigma * _w[i]);
        _n[i] = n + (g * g);
        _w[i] = WeightOf(i);
    }

    /// <summary>The closed-form FTRL-proximal weight of coordinate <paramref name="i"/>; the bias has no L1.</summary>
    private float WeightOf(int i)
    {
        double z = _z[i];
        double l1 = i == _w.Length - 1 ? 0 : Options.L1;
        if (Math.Abs(z) <= l1)
        {
            return 0f;
        }
        double denominator = ((Options.Beta + Math.Sqrt(_n[i])) / Options.Alpha) + Options.L2;
        return (float)(-(z - (Math.Sign(z) * l1)) / denominator);
    }

    private SparseEncoder Fitted() => _encoder ?? throw new InvalidOperationException("The logistic regression is not fitted; call Fit first.");
}
