using Cascade.Core;
using Cascade.Models.Serialization;

namespace Cascade.Models.Factorisation;

/// <summary>Options of <see cref="BiasedMatrixFactorisation"/>; defaults (those of Surprise's SVD) are defined here only.</summary>
public sealed record BiasedMatrixFactorisationOptions
{
    /// <summary>Number of latent factors (default 100).</summary>
    public int Factors { get; init; } = 100;

    /// <summary>Passes of SGD over the ratings (default 20).</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>SGD learning rate for biases and factors (default 0.005).</summary>
    public double LearningRate { get; init; } = 0.005;

    /// <summary>L2 regularisation for biases and factors (default 0.02).</summary>
    public double Regularisation { get; init; } = 0.02;

    /// <summary>Standard deviation of the normal initialisation of factors, mean 0 (default 0.1).</summary>
    public double InitStd { get; init; } = 0.1;

    /// <summary>Learn user and item biases (default true; false gives plain MF).</summary>
    public bool Biased { get; init; } = true;

    /// <summary>Seed of the initialisation (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public BiasedMatrixFactorisationOptions Validate()
    {
        Guard.Positive(Factors);
        Guard.NonNegative(Epochs);
        Guard.Positive(LearningRate);
        Guard.NonNegative(Regularisation);
        Guard.NonNegative(InitStd);
        return this;
    }
}

/// <summary>
/// Biased matrix factorisation for explicit ratings trained by SGD, as Surprise's SVD (Funk; Koren et al. 2009):
/// r̂_ui = μ + b_u + b_i + q_iᵀp_u, each rating visited in matrix order per epoch with
/// b_u += γ(e − λb_u), b_i += γ(e − λb_i), p_u += γ(e·q_i − λp_u), q_i += γ(e·p_u − λq_i).
/// Ranking scores drop the user constant: b_i + q_iᵀp_u. Single-threaded, so a seed fixes the result.
/// </summary>
public sealed class BiasedMatrixFactorisation : RecommenderBase, IRatingPredictor
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "biased-mf";

    private double _mean;
    private float _minRating;
    private float _maxRating;
    private double[] _userBias = [];
    private double[] _itemBias = [];
    private double[] _userFactors = [];
    private double[] _itemFactors = [];

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public BiasedMatrixFactorisation(BiasedMatrixFactorisationOptions? options = null)
    {
        Options = (options ?? new BiasedMatrixFactorisationOptions()).Validate();
    }

    /// <summary>The options the model was built with.</summary>
    public BiasedMatrixFactorisationOptions Options { get; }

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 1;

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        int users = interactions.Rows, items = interactions.Columns, f = Options.Factors;
        _userBias = new double[users];
        _itemBias = new double[items];
        _userFactors = new double[(long)users * f];
        _itemFactors = new double[(long)items * f];
        var random = new Random(Options.Seed);
        FillNormal(random, _userFactors, Options.InitStd);
        FillNormal(random, _itemFactors, Options.InitStd);
        double sum = 0;
        _minRating = float.MaxValue;
        _maxRating = float.MinValue;
        foreach (float v in interactions.Values)
        {
            sum += v;
            _minRating = Math.Min(_minRating, v);
            _maxRating = Math.Max(_maxRating, v);
        }
        _mean = interactions.NonZeros > 0 ? sum / interactions.NonZeros : 0;
        if (interactions.NonZeros == 0)
        {
            _minRating = _maxRating = 0;
        }
        double lr = Options.LearningRate, reg = Options.Regularisation;
        bool biased = Options.Biased;
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int u = 0; u < users; u++)
            {
                Span<double> pu = _userFactors.AsSpan(u * f, f);
                ReadOnlySpan<int> its = interactions.RowIndices(u);
                ReadOnlySpan<float> rs = interactions.RowValues(u);
                for (int a = 0; a < its.Length; a++)
                {
                    int i = its[a];
                    Span<double> qi = _itemFactors.AsSpan(i * f, f);
                    double dot = 0;
                    for (int k = 0; k < f; k++)
                    {
                        dot += qi[k] * pu[k];
                    }
                    double error = rs[a] - (biased ? _mean + _userBias[u] + _itemBias[i] : 0) - dot;
                    if (biased)
                    {
                        _userBias[u] += lr * (error - (reg * _userBias[u]));
                        _itemBias[i] += lr * (error - (reg * _itemBias[i]));
                    }
                    for (int k = 0; k < f; k++)
                    {
                        double puk = pu[k], qik = qi[k];
                        pu[k] += lr * ((error * qik) - (reg * puk));
                        qi[k] += lr * ((error * puk) - (reg * qik));
                    }
                }
            }
        }
    }

    private static void FillNormal(Random random, double[] values, double std)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            // Box–Muller: two independent standard normals per pair of uniforms.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] = std * radius * Math.Cos(2 * Math.PI * u2);
            if (i + 1 < values.Length)
            {
                values[i + 1] = std * radius * Math.Sin(2 * Math.PI * u2);
            }
        }
    }

    /// <inheritdoc />
    public float PredictRating(int user, int item)
    {
        EnsureFitted();
        double prediction = _mean;
        bool knownUser = (uint)user < (uint)UserCount, knownItem = (uint)item < (uint)ItemCount;
        if (Options.Biased)
        {
            prediction += (knownUser ? _userBias[user] : 0) + (knownItem ? _itemBias[item] : 0);
        }
        else
        {
            prediction = 0;
        }
        if (knownUser && knownItem)
        {
            int f = Options.Factors;
            ReadOnlySpan<double> pu = _userFactors.AsSpan(user * f, f), qi = _itemFactors.AsSpan(item * f, f);
            for (int k = 0; k < f; k++)
            {
                prediction += pu[k] * qi[k];
            }
        }
        return (float)Math.Clamp(prediction, _minRating, _maxRating);
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        int f = Options.Factors;
        ReadOnlySpan<double> pu = _userFactors.AsSpan(user * f, f);
        for (int i = 0; i < ItemCount; i++)
        {
            ReadOnlySpan<double> qi = _itemFactors.AsSpan(i * f, f);
            double s = Options.Biased ? _itemBias[i] : 0;
            for (int k = 0; k < f; k++)
            {
                s += pu[k] * qi[k];
            }
            scores[i] = (float)s;
        }
    }

    /// <inheritdoc />
    protected override void ScoreSimilarCore(int item, Span<float> scores)
    {
        // Cosine similarity of item factor vectors.
        int f = Options.Factors;
        ReadOnlySpan<double> q = _itemFactors.AsSpan(item * f, f);
        double qNorm = Math.Sqrt(Dot(q, q));
        for (int j = 0; j < ItemCount; j++)
        {
            ReadOnlySpan<double> qj = _itemFactors.AsSpan(j * f, f);
            double norm = qNorm * Math.Sqrt(Dot(qj, qj));
            scores[j] = norm > 0 ? (float)(Dot(q, qj) / norm) : 0f;
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int k = 0; k < a.Length; k++)
        {
            s += a[k] * b[k];
        }
        return s;
    }

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Options.Factors);
        writer.Write(Options.Epochs);
        writer.Write(Options.LearningRate);
        writer.Write(Options.Regularisation);
        writer.Write(Options.InitStd);
        writer.Write(Options.Biased);
        writer.Write(Options.Seed);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(_mean);
        writer.Write(_minRating);
        writer.Write(_maxRating);
        writer.WriteArray(_userBias);
        writer.WriteArray(_itemBias);
        writer.WriteArray(_userFactors);
        writer.WriteArray(_itemFactors);
    }

    internal static BiasedMatrixFactorisation ReadFrom(BinaryReader reader, int version)
    {
        CheckPayloadVersion(KindName, version, 1);
        var model = new BiasedMatrixFactorisation(new BiasedMatrixFactorisationOptions
        {
            Factors = reader.ReadInt32(),
            Epochs = reader.ReadInt32(),
            LearningRate = reader.ReadDouble(),
            Regularisation = reader.ReadDouble(),
            InitStd = reader.ReadDouble(),
            Biased = reader.ReadBoolean(),
            Seed = reader.ReadInt32(),
        });
        model.ReadCommonState(reader);
        model._mean = reader.ReadDouble();
        model._minRating = reader.ReadSingle();
        model._maxRating = reader.ReadSingle();
        model._userBias = reader.ReadDoubleArray();
        model._itemBias = reader.ReadDoubleArray();
        model._userFactors = reader.ReadDoubleArray();
        model._itemFactors = reader.ReadDoubleArray();
        int f = model.Options.Factors;
        if (model._userBias.Length != model.UserCount || model._itemBias.Length != model.ItemCount
            || model._userFactors.Length != (long)model.UserCount * f || model._itemFactors.Length != (long)model.ItemCount * f)
        {
            throw new InvalidDataException("Biased MF biases or factors do not match the fitted users, items and factor count.");
        }
        return model;
    }
}
