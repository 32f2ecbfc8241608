using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Cascade.Core;
using Cascade.Models.Embeddings;
using Cascade.Models.Serialization;

namespace Cascade.Models.Factorisation;

/// <summary>
/// Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren and Volinsky 2008). Every observed
/// entry is a preference of 1 with confidence c = 1 + α·v (v = 1 unless <see cref="ImplicitAlsOptions.UseValues"/>);
/// every unobserved entry is a preference of 0 with confidence 1. Minimises Σ c_ui (p_ui − x_uᵀy_i)² + λ(Σ‖x_u‖² + Σ‖y_i‖²)
/// by solving, in turn, every user row and every item row of
/// (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = YᵀC_u p_u, where YᵀY is shared by all rows so each row costs only its own entries.
/// </summary>
/// <remarks>
/// The solver is a few warm-started conjugate-gradient steps (Takács, Pilászy and Tikk 2011; the implicit library) or,
/// as the reference, an exact Cholesky solve. Rows are solved in parallel; each row reads only the other side's
/// factors, and the shared Gram matrix is summed in a fixed block order, so the result does not depend on the number
/// of threads. Scores are x_uᵀy_i; similar items are ranked by the cosine of item factors.
/// </remarks>
public sealed class ImplicitAls : EmbeddingRecommenderBase
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "implicit-als";

    private const int GramBlocks = 16;
    private float[] _userVectors = [];
    private double[]? _itemGram;

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public ImplicitAls(ImplicitAlsOptions? options = null)
    {
        Options = (options ?? new ImplicitAlsOptions()).Validate();
    }

    /// <summary>The options the model was built with.</summary>
    public ImplicitAlsOptions Options { get; }

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 1;

    /// <inheritdoc />
    public override int EmbeddingDimension => Options.Factors;

    /// <summary>Sweeps the final model was trained for (chosen on validation when early stopping is on).</summary>
    public int FittedIterations { get; private set; }

    /// <summary>Best validation nDCG@10 seen by early stopping, or NaN when it was off.</summary>
    public double ValidationNdcg { get; private set; } = double.NaN;

    /// <summary>The user factors, UserCount × Factors, row-major.</summary>
    public ReadOnlyMemory<float> UserEmbeddings => _userVectors;

    private int Threads => Options.Threads == 0 ? Environment.ProcessorCount : Options.Threads;

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        int iterations = Options.Iterations;
        ValidationNdcg = double.NaN;
        if (Options.ValidationFraction > 0 && iterations > 0)
        {
            var holdout = ValidationHoldout.Create(interactions, Options.ValidationFraction, Options.Seed);
            var (users, items) = Initialise(interactions.Rows, interactions.Columns);
            double best = double.NegativeInfinity;
            int bestIteration = 0;
            Train(holdout.Train, users, items, iterations, iteration =>
            {
                int f = Options.Factors;
                double ndcg = holdout.Ndcg(10, (u, buffer) => EmbeddingMath.ScoreAll(users.AsSpan(u * f, f), items, buffer), Threads);
                if (ndcg > best)
                {
                    (best, bestIteration) = (ndcg, iteration);
                }
                return iteration - bestIteration < Options.Patience;
            }, cancellationToken);
            iterations = bestIteration;
            ValidationNdcg = best;
        }
        var (userVectors, itemVectors) = Initialise(interactions.Rows, interactions.Columns);
        Train(interactions, userVectors, itemVectors, iterations, null, cancellationToken);
        _userVectors = userVectors;
        _itemGram = null;
        SetItemVectors(itemVectors);
        FittedIterations = iterations;
    }

    private (float[] Users, float[] Items) Initialise(int users, int items)
    {
        var random = new Random(Options.Seed);
        var userVectors = new float[(long)users * Options.Factors];
        var itemVectors = new float[(long)items * Options.Factors];
        EmbeddingMath.FillNormal(random, userVectors, Options.InitStd);
        EmbeddingMath.FillNormal(random, itemVectors, Options.InitStd);
        return (userVectors, itemVectors);
    }

    /// <summary>Runs <paramref name="iterations"/> sweeps; <paramref name="afterIteration"/> (1-based) returns false to stop.</summary>
    private void Train(CsrMatrix byUser, float[] users, float[] items, int iterations, Func<int, bool>? afterIteration, CancellationToken cancellationToken)
    {
        CsrMatrix byItem = byUser.Transpose();
        for (int iteration = 1; iteration <= iterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SolveRows(byUser, items, users, Options, Threads, cancellationToken);
            SolveRows(byItem, users, items, Options, Threads, cancellationToken);
            if (afterIteration is not null && !afterIteration(iteration))
            {
                break;
            }
        }
    }

    /// <summary>
    /// One half-sweep: solves every row of <paramref name="target"/> given the fixed other side. Exposed for the
    /// solver-agreement tests and the speed benchmark.
    /// </summary>
    /// <param name="rows">Rows of the side being solved (users × items for the user half-sweep).</param>
    /// <param name="fixedVectors">The other side's factors, rows.Columns × f.</param>
    /// <param name="target">This side's factors, rows.Rows × f; read as the CG warm start, overwritten.</param>
    /// <param name="options">Factors, λ, α, solver and CG steps.</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="cancellationToken">Checked per block of rows.</param>
    internal static void SolveRows(CsrMatrix rows, float[] fixedVectors, float[] target, ImplicitAlsOptions options, int threads, CancellationToken cancellationToken)
    {
        int f = options.Factors;
        double[] gram = Gram(fixedVectors, f, options.Regularisation, threads);
        var gramSingle = new float[gram.Length];
        for (int i = 0; i < gram.Length; i++)
        {
            gramSingle[i] = (float)gram[i];
        }
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken };
        int chunk = Math.Max(16, rows.Rows / (Math.Max(1, threads) * 32));
        Parallel.ForEach(Partitioner.Create(0, rows.Rows, chunk), parallel, () => new Scratch(f), (range, _, scratch) =>
        {
            for (int row = range.Item1; row < range.Item2; row++)
            {
                Span<float> x = target.AsSpan(row * f, f);
                if (rows.RowLength(row) == 0)
                {
                    x.Clear(); // no entries: b = 0, so x = 0 exactly
                    continue;
                }
                if (options.Solver == AlsSolver.Cholesky)
                {
                    SolveCholesky(rows.RowIndices(row), rows.RowValues(row), fixedVectors, gram, options, x, scratch);
                }
                else
                {
                    SolveConjugateGradient(rows.RowIndices(row), rows.RowValues(row), fixedVectors, gramSingle, options, x, scratch);
                }
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>YᵀY + λI in double, summed over fixed blocks of rows so the result is independent of scheduling.</summary>
    internal static double[] Gram(float[] vectors, int f, double regularisation, int threads)
    {
        int n = vectors.Length / f;
        var partial = new double[GramBlocks][];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        Parallel.For(0, GramBlocks, parallel, block =>
        {
            var sum = new double[f * f];
            var y = new double[f];
            int start = (int)((long)n * block / GramBlocks), end = (int)((long)n * (block + 1) / GramBlocks);
            for (int i = start; i < end; i++)
            {
                ReadOnlySpan<float> row = vectors.AsSpan(i * f, f);
                for (int a = 0; a < f; a++)
                {
                    y[a] = row[a];
                }
                for (int a = 0; a < f; a++)
                {
                    Span<double> target = sum.AsSpan(a * f, a + 1);
                    TensorPrimitives.MultiplyAdd(y.AsSpan(0, a + 1), y[a], target, target);
                }
            }
            partial[block] = sum;
        });
        var gram = new double[f * f];
        foreach (double[] block in partial)
        {
            TensorPrimitives.Add(gram, block, gram);
        }
        for (int a = 0; a < f; a++)
        {
            gram[(a * f) + a] += regularisation;
            for (int b = 0; b < a; b++)
            {
                gram[(b * f) + a] = gram[(a * f) + b];
            }
        }
        return gram;
    }

    private static float Confidence(ImplicitAlsOptions options, float value) => (float)(1 + (options.Alpha * (options.UseValues ? value : 1f)));

    private static void SolveConjugateGradient(ReadOnlySpan<int> columns, ReadOnlySpan<float> values, float[] fixedVectors, float[] gram,
        ImplicitAlsOptions options, Span<float> x, Scratch scratch)
    {
        int f = options.Factors;
        Span<float> r = scratch.R, p = scratch.P, ap = scratch.Ap;
        // r = b − A x, with b = Σ c_i y_i and A x = (YᵀY + λI) x + Σ (c_i − 1)(y_iᵀx) y_i.
        MatVec(gram, x, r, f);
        TensorPrimitives.Negate(r, r);
        for (int a = 0; a < columns.Length; a++)
        {
            ReadOnlySpan<float> y = fixedVectors.AsSpan(columns[a] * f, f);
            float c = Confidence(options, values[a]);
            TensorPrimitives.MultiplyAdd(y, c - ((c - 1) * TensorPrimitives.Dot(y, x)), r, r);
        }
        r.CopyTo(p);
        float rsOld = TensorPrimitives.Dot(r, r);
        for (int step = 0; step < options.CgSteps && rsOld > 1e-20f; step++)
        {
            MatVec(gram, p, ap, f);
            for (int a = 0; a < columns.Length; a++)
            {
                ReadOnlySpan<float> y = fixedVectors.AsSpan(columns[a] * f, f);
                float c = Confidence(options, values[a]);
                TensorPrimitives.MultiplyAdd(y, (c - 1) * TensorPrimitives.Dot(y, p), ap, ap);
            }
            float pAp = TensorPrimitives.Dot(p, ap);
            if (!(pAp > 0))
            {
                break;
            }
            float alpha = rsOld / pAp;
            TensorPrimitives.MultiplyAdd(p, alpha, x, x);
            TensorPrimitives.MultiplyAdd(ap, -alpha, r, r);
            float rsNew = TensorPrimitives.Dot(r, r);
            TensorPrimitives.MultiplyAdd(p, rsNew / rsOld, r, p);
            rsOld = rsNew;
        }
    }

    private static void MatVec(float[] matrix, ReadOnlySpan<float> vector, Span<float> result, int f)
    {
        for (int a = 0; a < f; a++)
        {
            result[a] = TensorPrimitives.Dot(matrix.AsSpan(a * f, f), vector);
        }
    }

    private static void SolveCholesky(ReadOnlySpan<int> columns, ReadOnlySpan<float> values, float[] fixedVectors, double[] gram,
        ImplicitAlsOptions options, Span<float> x, Scratch scratch)
    {
        int f = options.Factors;
        Span<double> a = scratch.Matrix, b = scratch.Rhs, y = scratch.Y;
        gram.CopyTo(a);
        b.Clear();
        for (int e = 0; e < columns.Length; e++)
        {
            ReadOnlySpan<float> row = fixedVectors.AsSpan(columns[e] * f, f);
            for (int k = 0; k < f; k++)
            {
                y[k] = row[k];
            }
            double c = Confidence(options, values[e]);
            for (int k = 0; k < f; k++)
            {
                Span<double> target = a.Slice(k * f, k + 1); // lower triangle only; the solver reads no more
                TensorPrimitives.MultiplyAdd(y[..(k + 1)], (c - 1) * y[k], target, target);
            }
            TensorPrimitives.MultiplyAdd(y, c, b, b);
        }
        DenseCholesky.Solve(a, f, b);
        for (int k = 0; k < f; k++)
        {
            x[k] = (float)b[k];
        }
    }

    /// <summary>
    /// The factors of a user who is not in the fitted matrix (or whose history changed) from an item history, by one exact
    /// least-squares solve against the fitted item factors: a new user is served without retraining.
    /// </summary>
    /// <param name="items">Dense item ids of the history (each below <see cref="IRecommender.ItemCount"/>).</param>
    /// <param name="values">Their values (used when <see cref="ImplicitAlsOptions.UseValues"/>); empty means all 1.</param>
    /// <param name="destination">Receives the user vector, length <see cref="EmbeddingDimension"/>.</param>
    public void EmbedHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> values, Span<float> destination)
    {
        EnsureFitted();
        int f = Options.Factors;
        if (destination.Length != f)
        {
            throw new ArgumentException($"destination has {destination.Length} entries; the model has {f} factors.", nameof(destination));
        }
        if (!values.IsEmpty && values.Length != items.Length)
        {
            throw new ArgumentException($"values has {values.Length} entries for {items.Length} items.", nameof(values));
        }
        foreach (int item in items)
        {
            if ((uint)item >= (uint)ItemCount)
            {
                throw new ArgumentOutOfRangeException(nameof(items), item, $"The model has {ItemCount} items.");
            }
        }
        destination.Clear();
        if (items.IsEmpty)
        {
            return;
        }
        double[] gram = LazyInitializer.EnsureInitialized(ref _itemGram, () => Gram(ItemVectors, f, Options.Regularisation, Threads));
        float[] ones = values.IsEmpty ? CreateOnes(items.Length) : values.ToArray();
        SolveCholesky(items, ones, ItemVectors, gram, Options, destination, new Scratch(f));
    }

    private static float[] CreateOnes(int n)
    {
        var ones = new float[n];
        Array.Fill(ones, 1f);
        return ones;
    }

    /// <inheritdoc />
    protected override bool UserEmbeddingCore(int user, Span<float> destination)
    {
        _userVectors.AsSpan(user * Options.Factors, Options.Factors).CopyTo(destination);
        return true;
    }

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Options.Factors);
        writer.Write(Options.Iterations);
        writer.Write(Options.Regularisation);
        writer.Write(Options.Alpha);
        writer.Write(Options.UseValues);
        writer.Write((int)Options.Solver);
        writer.Write(Options.CgSteps);
        writer.Write(Options.InitStd);
        writer.Write(Options.Seed);
        writer.Write(Options.Threads);
        writer.Write(Options.ValidationFraction);
        writer.Write(Options.Patience);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FittedIterations);
        writer.Write(ValidationNdcg);
        writer.WriteArray(_userVectors);
        WriteItemVectors(writer);
    }

    internal static ImplicitAls ReadFrom(BinaryReader reader, int version)
    {
        CheckPayloadVersion(KindName, version, 1);
        var model = new ImplicitAls(new ImplicitAlsOptions
        {
            Factors = reader.ReadInt32(),
            Iterations = reader.ReadInt32(),
            Regularisation = reader.ReadDouble(),
            Alpha = reader.ReadDouble(),
            UseValues = reader.ReadBoolean(),
            Solver = (AlsSolver)reader.ReadInt32(),
            CgSteps = reader.ReadInt32(),
            InitStd = reader.ReadDouble(),
            Seed = reader.ReadInt32(),
            Threads = reader.ReadInt32(),
            ValidationFraction = reader.ReadDouble(),
            Patience = reader.ReadInt32(),
        });
        model.ReadCommonState(reader);
        model.FittedIterations = reader.ReadInt32();
        model.ValidationNdcg = reader.ReadDouble();
        model._userVectors = reader.ReadSingleArray();
        if (model._userVectors.Length != (long)model.UserCount * model.Options.Factors)
        {
            throw new InvalidDataException($"The implicit-als user matrix has {model._userVectors.Length} values; {model.UserCount} users × {model.Options.Factors} factors need {(long)model.UserCount * model.Options.Factors}.");
        }
        model.ReadItemVectors(reader);
        return model;
    }

    private sealed class Scratch(int f)
    {
        public float[] R { get; } = new float[f];
        public float[] P { get; } = new float[f];
        public float[] Ap { get; } = new float[f];
        public double[] Matrix { get; } = new double[f * f];
        public double[] Rhs { get; } = new double[f];
        public double[] Y { get; } = new double[f];
    }
}
