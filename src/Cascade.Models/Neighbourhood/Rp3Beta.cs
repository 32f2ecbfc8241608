using Cascade.Core;

namespace Cascade.Models.Neighbourhood;

/// <summary>Options of <see cref="Rp3Beta"/>; defaults are defined here only, chosen across data sets (docs/benchmarks.md, "Model defaults across data sets").</summary>
public sealed record Rp3BetaOptions
{
    /// <summary>Exponent α applied to the transition probabilities (default 0.8).</summary>
    public float Alpha { get; init; } = 0.8f;

    /// <summary>Popularity penalty β: weights into item j are divided by degree(j)^β (default 0.3).</summary>
    public float Beta { get; init; } = 0.3f;

    /// <summary>Strongest neighbours kept per item (default 200).</summary>
    public int Neighbours { get; init; } = 200;

    /// <summary>Scale each kept row to sum to 1 (default true).</summary>
    public bool NormaliseRows { get; init; } = true;

    /// <summary>Treat every interaction as 1 (default true: implicit feedback).</summary>
    public bool Binarize { get; init; } = true;

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public Rp3BetaOptions Validate()
    {
        Guard.Positive(Alpha);
        Guard.NonNegative(Beta);
        Guard.Positive(Neighbours);
        return this;
    }
}

/// <summary>
/// RP3beta (Paudel et al. 2017; Dacrema et al. 2019): a three-step random walk item → user → item with transition
/// probabilities raised to α, the arrival item's weight divided by its degree^β; W[i, j] = Σ_u P(u|i)^α P(j|u)^α / deg(j)^β,
/// pruned to the strongest neighbours, and score(u) = x_u · W.
/// </summary>
public sealed class Rp3Beta : RecommenderBase
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "rp3beta";

    private SparseRows _weights = new(0, 0, [0], [], []);

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public Rp3Beta(Rp3BetaOptions? options = null)
    {
        Options = (options ?? new Rp3BetaOptions()).Validate();
    }

    /// <summary>The options the model was built with.</summary>
    public Rp3BetaOptions Options { get; }

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 1;

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        CsrMatrix x = Options.Binarize ? ItemItem.Binary(interactions) : interactions;
        CsrMatrix userToItem = ItemItem.RowNormalisedPower(x, Options.Alpha);
        CsrMatrix itemToUser = ItemItem.RowNormalisedPower(x.Transpose(), Options.Alpha);
        var penalty = new float[x.Columns];
        for (int j = 0; j < x.Columns; j++)
        {
            float degree = itemToUser.RowLength(j);
            penalty[j] = degree > 0 ? 1f / MathF.Pow(degree, Options.Beta) : 0f;
        }
        bool normalise = Options.NormaliseRows;
        _weights = ItemItem.Build(itemToUser, userToItem, (_, row, touched) =>
        {
            foreach (int j in touched)
            {
                row[j] *= penalty[j];
            }
        }, Options.Neighbours, keepSelf: false, cancellationToken);
        if (normalise)
        {
            for (int i = 0; i < _weights.Rows; i++)
            {
                Span<float> values = _weights.Values.AsSpan(_weights.Pointers[i], _weights.Pointers[i + 1] - _weights.Pointers[i]);
                float sum = 0;
                foreach (float v in values)
                {
                    sum += v;
                }
                if (sum > 0)
                {
                    foreach (ref float v in values)
                    {
                        v /= sum;
                    }
                }
            }
        }
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
    protected override void ScoreSimilarCore(int item, Span<float> scores) => _weights.Scatter(item, scores);

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Options.Alpha);
        writer.Write(Options.Beta);
        writer.Write(Options.Neighbours);
        writer.Write(Options.NormaliseRows);
        writer.Write(Options.Binarize);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer) => _weights.Write(writer);

    internal static Rp3Beta ReadFrom(BinaryReader reader, int version)
    {
        CheckPayloadVersion(KindName, version, 1);
        var model = new Rp3Beta(new Rp3BetaOptions
        {
            Alpha = reader.ReadSingle(),
            Beta = reader.ReadSingle(),
            Neighbours = reader.ReadInt32(),
            NormaliseRows = reader.ReadBoolean(),
            Binarize = reader.ReadBoolean(),
        });
        model.ReadCommonState(reader);
        model._weights = SparseRows.Read(reader);
        if (model._weights.Rows != model.ItemCount || model._weights.Columns != model.ItemCount)
        {
            throw new InvalidDataException($"RP3beta weights are {model._weights.Rows} × {model._weights.Columns}; the model has {model.ItemCount} items.");
        }
        return model;
    }
}
