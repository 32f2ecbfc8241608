using System.Numerics.Tensors;
using Cascade.Core;
using Cascade.Models.Serialization;

namespace Cascade.Models.Linear;

/// <summary>Options of <see cref="Ease"/>; defaults are defined here only.</summary>
public sealed record EaseOptions
{
    /// <summary>L2 regularisation λ added to the Gram matrix diagonal (default 500).</summary>
    public double Lambda { get; init; } = 500;

    /// <summary>Treat every interaction as 1 (default true: implicit feedback); false weighs it by its value (<see cref="ValueExponent"/>).</summary>
    public bool Binarize { get; init; } = true;

    /// <summary>
    /// With <see cref="Binarize"/> false, an interaction of value v counts as sign(v)·|v|^e, in fitting and in scoring. Default 0.5:
    /// on MovieLens' 1–5 ratings the square root beat both the raw rating and 1 (docs/benchmarks.md); 1 is the value itself.
    /// In [0, 4].
    /// </summary>
    public double ValueExponent { get; init; } = 0.5;

    /// <summary>Largest catalogue accepted; the model holds a dense items × items matrix (default 30,000 ≈ 3.6 GB of floats).</summary>
    public int MaxItems { get; init; } = 30_000;

    /// <summary>
    /// Dropout probability p of the denoising variants (Steck 2020): each item's Gram diagonal G_ii is also regularised by
    /// p/(1−p)·G_ii, so popular items are shrunk more than with λ alone. In [0, 1); default 0 (plain EASE^R).
    /// </summary>
    public double Dropout { get; init; }

    /// <summary>
    /// Keep diag(B) = 0 (default true: EASE^R, or EDLAE with <see cref="Dropout"/>); false solves without the constraint
    /// (DLAE: B = I − PΛ), where the dropout regulariser alone keeps B from the identity. False needs <see cref="Dropout"/> above 0.
    /// </summary>
    public bool ZeroDiagonal { get; init; } = true;

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public EaseOptions Validate()
    {
        Guard.Positive(Lambda);
        Guard.Positive(MaxItems);
        Guard.InRange(ValueExponent, 0, 4);
        if (!(Dropout is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "EASE dropout must be in [0, 1).");
        }
        if (!ZeroDiagonal && Dropout == 0)
        {
            throw new ArgumentException("EASE without the zero-diagonal constraint needs a dropout above 0: with λ alone B tends to the identity.", nameof(ZeroDiagonal));
        }
        return this;
    }
}

/// <summary>
/// EASE^R (Steck 2019): the item–item weight matrix B minimising ‖X − XB‖² + λ‖B‖² subject to diag(B) = 0, in closed form:
/// P = (XᵀX + λI)⁻¹, B_ij = −P_ij / P_jj (i ≠ j), B_ii = 0; score(u) = x_u · B. With <see cref="EaseOptions.Dropout"/> p the
/// regulariser is Λ = λI + p/(1−p)·diag(XᵀX) (the denoising autoencoders of Steck 2020): P = (XᵀX + Λ)⁻¹, and either the same
/// zero-diagonal solution (EDLAE) or, with <see cref="EaseOptions.ZeroDiagonal"/> false, B = I − PΛ (DLAE).
/// </summary>
/// <remarks>
/// The inverse is our own SIMD kernel (<see cref="SymmetricInverse"/>, Gauss–Jordan in double precision, parallel over rows):
/// measured 5.7× faster than MathNet.Numerics' managed Cholesky solve on ML-100k's 1,682 items (docs/benchmarks.md), and the tests check it
/// against MathNet. B is kept in single precision, row-major, so scoring a user is one SIMD multiply-add of a row per history item.
/// </remarks>
public sealed class Ease : RecommenderBase
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "ease";

    private float[] _b = [];

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public Ease(EaseOptions? options = null)
    {
        Options = (options ?? new EaseOptions()).Validate();
    }

    /// <summary>The options the model was built with.</summary>
    public EaseOptions Options { get; }

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 3;

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        int n = interactions.Columns;
        if (n > Options.MaxItems)
        {
            throw new ArgumentException($"EASE holds a dense {n} × {n} matrix; {n} items exceed MaxItems = {Options.MaxItems}.", nameof(interactions));
        }
        CsrMatrix x = Options.Binarize ? ItemItem.Binary(interactions) : Weighted(interactions, Options.ValueExponent);
        CsrMatrix xt = x.Transpose();
        // Gram matrix G = XᵀX + Λ, row-major (symmetric, so row i is column i); Λ_ii = λ + p/(1−p)·G_ii.
        var gram = new double[(long)n * n];
        var regulariser = new double[n];
        double dropoutWeight = Options.Dropout / (1 - Options.Dropout);
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            Span<double> column = gram.AsSpan(i * n, n);
            ReadOnlySpan<int> users = xt.RowIndices(i);
            ReadOnlySpan<float> weights = xt.RowValues(i);
            for (int a = 0; a < users.Length; a++)
            {
                ReadOnlySpan<int> js = x.RowIndices(users[a]);
                ReadOnlySpan<float> vs = x.RowValues(users[a]);
                double w = weights[a];
                for (int b = 0; b < js.Length; b++)
                {
                    column[js[b]] += w * vs[b];
                }
            }
            regulariser[i] = Options.Lambda + (dropoutWeight * column[i]);
            column[i] += regulariser[i];
        });
        cancellationToken.ThrowIfCancellationRequested();
        SymmetricInverse.InvertInPlace(gram, n, cancellationToken);
        double[] pv = gram;
        var b = new float[(long)n * n];
        bool zeroDiagonal = Options.ZeroDiagonal;
        Parallel.For(0, n, i =>
        {
            Span<float> row = b.AsSpan(i * n, n);
            for (int j = 0; j < n; j++)
            {
                // P is symmetric: P_ij = pv[j*n + i] = pv[i*n + j].
                row[j] = zeroDiagonal
                    ? (i == j ? 0f : (float)(-pv[(j * n) + i] / pv[(j * n) + j]))
                    : (float)((i == j ? 1 : 0) - (pv[(j * n) + i] * regulariser[j]));
            }
        });
        _b = b;
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        int n = ItemCount;
        ReadOnlySpan<int> items = HistoryItems(user);
        ReadOnlySpan<float> values = HistoryValues(user);
        for (int a = 0; a < items.Length; a++)
        {
            float weight = Options.Binarize ? 1f : Weight(values[a], Options.ValueExponent);
            TensorPrimitives.MultiplyAdd(_b.AsSpan(items[a] * n, n), weight, scores, scores);
        }
    }

    // sign(v)·|v|^e: the weight of an interaction of value v.
    private static float Weight(float value, double exponent) => exponent == 1 ? value : MathF.CopySign(MathF.Pow(MathF.Abs(value), (float)exponent), value);

    private static CsrMatrix Weighted(CsrMatrix x, double exponent)
    {
        if (exponent == 1)
        {
            return x;
        }
        var values = new float[x.NonZeros];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Weight(x.Values[i], exponent);
        }
        return new CsrMatrix(x.Rows, x.Columns, x.RowPointers, x.ColumnIndices, values, x.Timestamps);
    }

    /// <inheritdoc />
    protected override void ScoreSimilarCore(int item, Span<float> scores) => _b.AsSpan(item * ItemCount, ItemCount).CopyTo(scores);

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Options.Lambda);
        writer.Write(Options.Binarize);
        writer.Write(Options.MaxItems);
        writer.Write(Options.Dropout);
        writer.Write(Options.ZeroDiagonal);
        writer.Write(Options.ValueExponent);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer) => writer.WriteArray(_b);

    internal static Ease ReadFrom(BinaryReader reader, int version)
    {
        // Version 1 (before the dropout variants) has no dropout fields: plain EASE^R; versions 1 and 2 (before the value
        // exponent) used values as they are.
        if (version is not (1 or 2))
        {
            CheckPayloadVersion(KindName, version, 3);
        }
        double lambda = reader.ReadDouble();
        bool binarize = reader.ReadBoolean();
        int maxItems = reader.ReadInt32();
        var model = new Ease(new EaseOptions
        {
            Lambda = lambda,
            Binarize = binarize,
            MaxItems = maxItems,
            Dropout = version >= 2 ? reader.ReadDouble() : 0,
            ZeroDiagonal = version < 2 || reader.ReadBoolean(),
            ValueExponent = version >= 3 ? reader.ReadDouble() : 1,
        });
        model.ReadCommonState(reader);
        model._b = reader.ReadSingleArray();
        if (model._b.Length != (long)model.ItemCount * model.ItemCount)
        {
            throw new InvalidDataException($"EASE weights hold {model._b.Length} values; {model.ItemCount} items need {(long)model.ItemCount * model.ItemCount}.");
        }
        return model;
    }
}
