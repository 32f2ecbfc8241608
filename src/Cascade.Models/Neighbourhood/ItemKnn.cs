using Cascade.Core;

namespace Cascade.Models.Neighbourhood;

/// <summary>The item–item similarity of <see cref="ItemKnn"/>.</summary>
public enum ItemSimilarity
{
    /// <summary>c_ij / (‖x_i‖·‖x_j‖ + shrink).</summary>
    Cosine = 0,

    /// <summary>c_ij / (‖x_i‖^(2α)·‖x_j‖^(2(1−α)) + shrink); α = 0.5 is cosine.</summary>
    AsymmetricCosine = 1,
}

/// <summary>Options of <see cref="ItemKnn"/>; defaults are defined here only, chosen across data sets (docs/benchmarks.md, "Model defaults across data sets").</summary>
public sealed record ItemKnnOptions
{
    /// <summary>Similarity function (default asymmetric cosine).</summary>
    public ItemSimilarity Similarity { get; init; } = ItemSimilarity.AsymmetricCosine;

    /// <summary>Neighbours kept per target item (default 200).</summary>
    public int Neighbours { get; init; } = 200;

    /// <summary>Shrinkage added to the denominator, damping similarities built on few co-occurrences (default 10).</summary>
    public float Shrink { get; init; } = 10f;

    /// <summary>Asymmetry α of <see cref="ItemSimilarity.AsymmetricCosine"/>, in [0, 1] (default 0.3).</summary>
    public float Alpha { get; init; } = 0.3f;

    /// <summary>Treat every interaction as 1 (default true: implicit feedback).</summary>
    public bool Binarize { get; init; } = true;

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public ItemKnnOptions Validate()
    {
        Guard.Positive(Neighbours);
        Guard.NonNegative(Shrink);
        Guard.Probability(Alpha);
        Guard.Defined(Similarity);
        return this;
    }
}

/// <summary>
/// Item-based k-nearest-neighbours: score(u, j) = Σ_{i ∈ history(u)} x_ui · s(j, i) over the <see cref="ItemKnnOptions.Neighbours"/>
/// items i most similar to each target j (Sarwar et al. 2001; Dacrema et al. 2019's tuned baseline).
/// </summary>
public sealed class ItemKnn : RecommenderBase
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "item-knn";

    // Rows are history items i, columns target items j, so a user's history scatters into scores directly.
    private SparseRows _weights = new(0, 0, [0], [], []);
    private SparseRows _similar = new(0, 0, [0], [], []);

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public ItemKnn(ItemKnnOptions? options = null)
    {
        Options = (options ?? new ItemKnnOptions()).Validate();
    }

    /// <summary>The options the model was built with.</summary>
    public ItemKnnOptions Options { get; }

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 1;

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        CsrMatrix x = Options.Binarize ? ItemItem.Binary(interactions) : interactions;
        CsrMatrix xt = x.Transpose();
        var squaredNorms = new float[x.Columns];
        for (int i = 0; i < x.NonZeros; i++)
        {
            squaredNorms[x.ColumnIndices[i]] += x.Values[i] * x.Values[i];
        }
        float alpha = Options.Similarity == ItemSimilarity.Cosine ? 0.5f : Options.Alpha;
        float shrink = Options.Shrink;
        // Row j (target) holds s(j, i) for candidate neighbours i; keep the strongest per target.
        _similar = ItemItem.Build(xt, x, (j, row, touched) =>
        {
            float left = MathF.Pow(squaredNorms[j], alpha);
            foreach (int i in touched)
            {
                float denominator = (left * MathF.Pow(squaredNorms[i], 1 - alpha)) + shrink;
                row[i] = denominator > 0 ? row[i] / denominator : 0;
            }
        }, Options.Neighbours, keepSelf: false, cancellationToken);
        _weights = _similar.Transpose();
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        ReadOnlySpan<int> items = HistoryItems(user);
        ReadOnlySpan<float> values = HistoryValues(user);
        for (int a = 0; a < items.Length; a++)
        {
            _weights.AddScaledRow(items[a], Options.Binarize ? 1f : values[a], scores);
        }
    }

    /// <inheritdoc />
    protected override void ScoreSimilarCore(int item, Span<float> scores) => _similar.Scatter(item, scores);

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write((int)Options.Similarity);
        writer.Write(Options.Neighbours);
        writer.Write(Options.Shrink);
        writer.Write(Options.Alpha);
        writer.Write(Options.Binarize);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer) => _similar.Write(writer);

    internal static ItemKnn ReadFrom(BinaryReader reader, int version)
    {
        CheckPayloadVersion(KindName, version, 1);
        var options = new ItemKnnOptions
        {
            Similarity = (ItemSimilarity)reader.ReadInt32(),
            Neighbours = reader.ReadInt32(),
            Shrink = reader.ReadSingle(),
            Alpha = reader.ReadSingle(),
            Binarize = reader.ReadBoolean(),
        };
        var model = new ItemKnn(options);
        model.ReadCommonState(reader);
        model._similar = SparseRows.Read(reader);
        if (model._similar.Rows != model.ItemCount || model._similar.Columns != model.ItemCount)
        {
            throw new InvalidDataException($"Similarity matrix is {model._similar.Rows} × {model._similar.Columns}; the model has {model.ItemCount} items.");
        }
        model._weights = model._similar.Transpose();
        return model;
    }
}
