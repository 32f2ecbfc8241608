using System.Numerics.Tensors;
using Cascade.Core;
using Cascade.Models.Embeddings;
using Cascade.Models.Serialization;

namespace Cascade.Models.Factorisation;

/// <summary>
/// Bayesian personalised ranking (Rendle et al. 2009) with item biases, trained by SGD on (user, positive, negative)
/// triples as Cornac's BPR: x_uij = b_i − b_j + p_uᵀ(q_i − q_j), z = σ(−x_uij),
/// p_u += η(z(q_i − q_j) − λp_u), q_i += η(z·p_u − λq_i), q_j += η(−z·p_u − λq_j), b_i += η(z − λb_i), b_j += η(−z − λb_j).
/// Each epoch draws as many triples as there are entries: a uniformly chosen entry gives the user and positive item,
/// the negative is drawn uniformly or by popularity and redrawn while the user has it.
/// </summary>
/// <remarks>
/// Vectors are stored packed for inner-product retrieval: the user vector is (p_u, 1) and the item vector (q_i, b_i), so
/// score(u, i) = b_i + p_uᵀq_i is one dot product. Several threads update the shared vectors without locks (Hogwild!):
/// collisions are rare because each triple touches one user and two items. Similar items are ranked by the cosine of q.
/// </remarks>
public sealed class Bpr : EmbeddingRecommenderBase
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "bpr";

    private const int MaxNegativeDraws = 64;
    private float[] _userVectors = [];

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public Bpr(BprOptions? options = null)
    {
        Options = (options ?? new BprOptions()).Validate();
    }

    /// <summary>The options the model was built with.</summary>
    public BprOptions Options { get; }

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 1;

    /// <inheritdoc />
    public override int EmbeddingDimension => Options.Factors + 1;

    /// <inheritdoc />
    protected override int SimilarityComponents => Options.Factors;

    /// <summary>Epochs the final model was trained for (chosen on validation when early stopping is on).</summary>
    public int FittedEpochs { get; private set; }

    /// <summary>Best validation nDCG@10 seen by early stopping, or NaN when it was off.</summary>
    public double ValidationNdcg { get; private set; } = double.NaN;

    /// <summary>The packed user vectors (p_u, 1), UserCount × (Factors + 1), row-major.</summary>
    public ReadOnlyMemory<float> UserEmbeddings => _userVectors;

    private int Threads => Options.Threads == 0 ? Environment.ProcessorCount : Options.Threads;

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        int epochs = Options.Epochs;
        ValidationNdcg = double.NaN;
        int d = EmbeddingDimension;
        if (Options.ValidationFraction > 0 && epochs > 0)
        {
            var holdout = ValidationHoldout.Create(interactions, Options.ValidationFraction, Options.Seed);
            var (users, items) = Initialise(interactions.Rows, interactions.Columns);
            double best = double.NegativeInfinity;
            int bestEpoch = 0;
            Train(holdout.Train, users, items, epochs, epoch =>
            {
                if (epoch % Options.ValidateEvery != 0 && epoch != epochs)
                {
                    return true;
                }
                double ndcg = holdout.Ndcg(10, (u, buffer) => EmbeddingMath.ScoreAll(users.AsSpan(u * d, d), items, buffer), Threads);
                if (ndcg > best)
                {
                    (best, bestEpoch) = (ndcg, epoch);
                }
                return epoch - bestEpoch < Options.Patience * Options.ValidateEvery;
            }, cancellationToken);
            epochs = bestEpoch;
            ValidationNdcg = best;
        }
        var (userVectors, itemVectors) = Initialise(interactions.Rows, interactions.Columns);
        Train(interactions, userVectors, itemVectors, epochs, null, cancellationToken);
        _userVectors = userVectors;
        SetItemVectors(itemVectors);
        FittedEpochs = epochs;
    }

    /// <summary>Cornac's initialisation: factors uniform in (−0.5/f, 0.5/f), biases 0, the user's bias slot 1.</summary>
    private (float[] Users, float[] Items) Initialise(int users, int items)
    {
        int f = Options.Factors, d = f + 1;
        var random = new Random(Options.Seed);
        var userVectors = new float[(long)users * d];
        var itemVectors = new float[(long)items * d];
        for (int u = 0; u < users; u++)
        {
            Span<float> row = userVectors.AsSpan(u * d, d);
            for (int k = 0; k < f; k++)
            {
                row[k] = (float)((random.NextDouble() - 0.5) / f);
            }
            row[f] = 1;
        }
        for (int i = 0; i < items; i++)
        {
            Span<float> row = itemVectors.AsSpan(i * d, d);
            for (int k = 0; k < f; k++)
            {
                row[k] = (float)((random.NextDouble() - 0.5) / f);
            }
        }
        return (userVectors, itemVectors);
    }

    /// <summary>Runs up to <paramref name="epochs"/> epochs; <paramref name="afterEpoch"/> (1-based) returns false to stop.</summary>
    internal void Train(CsrMatrix data, float[] users, float[] items, int epochs, Func<int, bool>? afterEpoch, CancellationToken cancellationToken)
    {
        int nnz = data.NonZeros;
        if (nnz == 0)
        {
            return;
        }
        var entryUser = new int[nnz];
        for (int u = 0; u < data.Rows; u++)
        {
            entryUser.AsSpan(data.RowPointers[u], data.RowLength(u)).Fill(u);
        }
        AliasTable? popularity = Options.Sampling == NegativeSampling.Popularity ? AliasTable.FromPopularity(data, Options.PopularityExponent) : null;
        int threads = Threads;
        var randoms = new Random[threads];
        for (int t = 0; t < threads; t++)
        {
            randoms[t] = new Random(unchecked((Options.Seed * 7919) + t + 1));
        }
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (threads == 1)
            {
                RunSamples(data, entryUser, popularity, users, items, randoms[0], nnz);
            }
            else
            {
                Parallel.For(0, threads, parallel, t =>
                    RunSamples(data, entryUser, popularity, users, items, randoms[t], (int)(((long)nnz * (t + 1) / threads) - ((long)nnz * t / threads))));
            }
            if (afterEpoch is not null && !afterEpoch(epoch))
            {
                break;
            }
        }
    }

    private void RunSamples(CsrMatrix data, int[] entryUser, AliasTable? popularity, float[] users, float[] items, Random random, int samples)
    {
        int f = Options.Factors, d = f + 1, itemCount = data.Columns;
        float lr = (float)Options.LearningRate, reg = (float)Options.Regularisation, decay = 1 - (lr * reg);
        Span<float> diff = stackalloc float[f];
        for (int s = 0; s < samples; s++)
        {
            int entry = random.Next(entryUser.Length);
            int u = entryUser[entry], i = data.ColumnIndices[entry];
            ReadOnlySpan<int> seen = data.RowIndices(u);
            if (seen.Length == itemCount)
            {
                continue; // the user has every item: no negative exists
            }
            int j = -1;
            for (int draw = 0; draw < MaxNegativeDraws; draw++)
            {
                int candidate = popularity is null ? random.Next(itemCount) : popularity.Sample(random);
                if (seen.BinarySearch(candidate) < 0)
                {
                    j = candidate;
                    break;
                }
            }
            if (j < 0)
            {
                continue;
            }
            Span<float> pu = users.AsSpan(u * d, f);
            Span<float> qi = items.AsSpan(i * d, d), qj = items.AsSpan(j * d, d);
            Span<float> qiF = qi[..f], qjF = qj[..f];
            TensorPrimitives.Subtract(qiF, qjF, diff);
            float x = TensorPrimitives.Dot(pu, diff) + qi[f] - qj[f];
            float z = 1f / (1f + MathF.Exp(x));
            float step = lr * z;
            TensorPrimitives.Multiply(qiF, decay, qiF);
            TensorPrimitives.MultiplyAdd(pu, step, qiF, qiF);
            TensorPrimitives.Multiply(qjF, decay, qjF);
            TensorPrimitives.MultiplyAdd(pu, -step, qjF, qjF);
            TensorPrimitives.Multiply(pu, decay, pu);
            TensorPrimitives.MultiplyAdd(diff, step, pu, pu);
            qi[f] += lr * (z - (reg * qi[f]));
            qj[f] += lr * (-z - (reg * qj[f]));
        }
    }

    /// <inheritdoc />
    protected override bool UserEmbeddingCore(int user, Span<float> destination)
    {
        _userVectors.AsSpan(user * EmbeddingDimension, EmbeddingDimension).CopyTo(destination);
        return true;
    }

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Options.Factors);
        writer.Write(Options.Epochs);
        writer.Write(Options.LearningRate);
        writer.Write(Options.Regularisation);
        writer.Write((int)Options.Sampling);
        writer.Write(Options.PopularityExponent);
        writer.Write(Options.Seed);
        writer.Write(Options.Threads);
        writer.Write(Options.ValidationFraction);
        writer.Write(Options.ValidateEvery);
        writer.Write(Options.Patience);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FittedEpochs);
        writer.Write(ValidationNdcg);
        writer.WriteArray(_userVectors);
        WriteItemVectors(writer);
    }

    internal static Bpr ReadFrom(BinaryReader reader, int version)
    {
        CheckPayloadVersion(KindName, version, 1);
        var model = new Bpr(new BprOptions
        {
            Factors = reader.ReadInt32(),
            Epochs = reader.ReadInt32(),
            LearningRate = reader.ReadDouble(),
            Regularisation = reader.ReadDouble(),
            Sampling = (NegativeSampling)reader.ReadInt32(),
            PopularityExponent = reader.ReadDouble(),
            Seed = reader.ReadInt32(),
            Threads = reader.ReadInt32(),
            ValidationFraction = reader.ReadDouble(),
            ValidateEvery = reader.ReadInt32(),
            Patience = reader.ReadInt32(),
        });
        model.ReadCommonState(reader);
        model.FittedEpochs = reader.ReadInt32();
        model.ValidationNdcg = reader.ReadDouble();
        model._userVectors = reader.ReadSingleArray();
        if (model._userVectors.Length != (long)model.UserCount * model.EmbeddingDimension)
        {
            throw new InvalidDataException($"The bpr user matrix has {model._userVectors.Length} values; {model.UserCount} users × {model.EmbeddingDimension} components need {(long)model.UserCount * model.EmbeddingDimension}.");
        }
        model.ReadItemVectors(reader);
        return model;
    }
}
