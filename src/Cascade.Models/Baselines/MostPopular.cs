using Cascade.Core;

namespace Cascade.Models.Baselines;

/// <summary>Options of <see cref="MostPopular"/>.</summary>
public sealed record MostPopularOptions
{
    /// <summary>Rank by the sum of interaction values instead of the number of users (default false: count users).</summary>
    public bool WeightByValue { get; init; }

    /// <summary>Checks the options; returns them for chaining.</summary>
    public MostPopularOptions Validate() => this;
}

/// <summary>
/// Recommends the items most users interacted with, the same list for everyone (minus what each has seen).
/// Similar items are the most popular other items. The floor every model must clear.
/// </summary>
public sealed class MostPopular : RecommenderBase
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "most-popular";

    private float[] _scores = [];

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public MostPopular(MostPopularOptions? options = null)
    {
        Options = (options ?? new MostPopularOptions()).Validate();
    }

    /// <summary>The options the model was built with.</summary>
    public MostPopularOptions Options { get; }

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 1;

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        _scores = new float[interactions.Columns];
        if (Options.WeightByValue)
        {
            for (int i = 0; i < interactions.NonZeros; i++)
            {
                _scores[interactions.ColumnIndices[i]] += interactions.Values[i];
            }
        }
        else
        {
            Popularity.CopyTo(_scores);
        }
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores) => _scores.CopyTo(scores);

    /// <inheritdoc />
    protected override void ScoreColdUser(int user, Span<float> scores) => _scores.CopyTo(scores);

    /// <inheritdoc />
    protected override void ScoreSimilarCore(int item, Span<float> scores) => _scores.CopyTo(scores);

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Options.WeightByValue);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Serialization.BinaryExtensions.WriteArray(writer, _scores);
    }

    internal static MostPopular ReadFrom(BinaryReader reader, int version)
    {
        CheckPayloadVersion(KindName, version, 1);
        var model = new MostPopular(new MostPopularOptions { WeightByValue = reader.ReadBoolean() });
        model.ReadCommonState(reader);
        model._scores = Serialization.BinaryExtensions.ReadSingleArray(reader);
        if (model._scores.Length != model.ItemCount)
        {
            throw new InvalidDataException($"Popularity scores have {model._scores.Length} entries for {model.ItemCount} items.");
        }
        return model;
    }
}
