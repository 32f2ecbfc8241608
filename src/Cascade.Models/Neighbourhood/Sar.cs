using Cascade.Core;
using Cascade.Models.Serialization;

namespace Cascade.Models.Neighbourhood;

/// <summary>The co-occurrence similarity of <see cref="Sar"/>.</summary>
public enum SarSimilarity
{
    /// <summary>Raw co-occurrence counts c_ij.</summary>
    Cooccurrence = 0,

    /// <summary>c_ij / (c_ii + c_jj − c_ij).</summary>
    Jaccard = 1,

    /// <summary>c_ij / (c_ii · c_jj).</summary>
    Lift = 2,
}

/// <summary>Options of <see cref="Sar"/>; defaults (those of the Microsoft Recommenders benchmark) are defined here only.</summary>
public sealed record SarOptions
{
    /// <summary>Similarity on binary co-occurrence (default Jaccard).</summary>
    public SarSimilarity Similarity { get; init; } = SarSimilarity.Jaccard;

    /// <summary>Co-occurrence counts below this are zeroed (default 1: keep all).</summary>
    public int CooccurrenceThreshold { get; init; } = 1;

    /// <summary>Decay affinities with the age of each interaction (default true).</summary>
    public bool TimeDecay { get; init; } = true;

    /// <summary>Half-life of the decay (default 30 days).</summary>
    public TimeSpan HalfLife { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The reference time T in Unix milliseconds; null uses the newest timestamp in the fitted matrix (default).</summary>
    public long? ReferenceTimeMs { get; init; }

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public SarOptions Validate()
    {
        Guard.Defined(Similarity);
        Guard.Positive(CooccurrenceThreshold);
        Guard.Positive(HalfLife);
        return this;
    }
}

/// <summary>
/// Smart Adaptive Recommendations (SAR, Microsoft Recommenders): item–item similarity from binary co-occurrence
/// (Jaccard, lift or counts) and a user affinity a_ui = Σ value · 2^(−(T − t)/half-life); score(u) = a_u · S.
/// </summary>
/// <remarks>
/// The fitted matrix keeps one entry per (user, item) with its latest timestamp, so repeated events are decayed
/// as one; decay the weights per event before building the matrix when that matters.
/// </remarks>
public sealed class Sar : RecommenderBase
{
    /// <summary>The kind name in model files.</summary>
    public const string KindName = "sar";

    private SparseRows _similarity = new(0, 0, [0], [], []);
    private float[] _affinity = [];

    /// <summary>Creates the model.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public Sar(SarOptions? options = null)
    {
        Options = (options ?? new SarOptions()).Validate();
    }

    /// <summary>The options the model was built with.</summary>
    public SarOptions Options { get; }

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override ushort PayloadVersion => 1;

    /// <inheritdoc />
    protected override void FitCore(CsrMatrix interactions, CancellationToken cancellationToken)
    {
        CsrMatrix binary = ItemItem.Binary(interactions);
        CsrMatrix binaryT = binary.Transpose();
        var counts = new float[interactions.Columns];
        for (int i = 0; i < interactions.Columns; i++)
        {
            counts[i] = binaryT.RowLength(i);
        }
        SarSimilarity similarity = Options.Similarity;
        float threshold = Options.CooccurrenceThreshold;
        _similarity = ItemItem.Build(binaryT, binary, (i, row, touched) =>
        {
            foreach (int j in touched)
            {
                float c = row[j];
                if (c < threshold)
                {
                    row[j] = 0;
                    continue;
                }
                row[j] = similarity switch
                {
                    SarSimilarity.Jaccard => c / (counts[i] + counts[j] - c),
                    SarSimilarity.Lift => c / (counts[i] * counts[j]),
                    _ => c,
                };
            }
        }, int.MaxValue, keepSelf: true, cancellationToken);

        _affinity = new float[interactions.NonZeros];
        if (Options.TimeDecay && interactions.Timestamps is null)
        {
            throw new ArgumentException("SAR with time decay needs timestamps in the interaction matrix; set TimeDecay = false or build the matrix with times.", nameof(interactions));
        }
        long reference = Options.ReferenceTimeMs ?? MaxTimestamp(interactions);
        double halfLifeMs = Options.HalfLife.TotalMilliseconds;
        for (int n = 0; n < interactions.NonZeros; n++)
        {
            double weight = interactions.Values[n];
            if (Options.TimeDecay)
            {
                weight *= Math.Pow(2, -(reference - interactions.Timestamps![n]) / halfLifeMs);
            }
            _affinity[n] = (float)weight;
        }
    }

    private static long MaxTimestamp(CsrMatrix m)
    {
        long max = long.MinValue;
        if (m.Timestamps is not null)
        {
            foreach (long t in m.Timestamps)
            {
                max = Math.Max(max, t);
            }
        }
        return max == long.MinValue ? 0 : max;
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        ReadOnlySpan<int> items = HistoryItems(user);
        int start = HistoryStart(user);
        for (int a = 0; a < items.Length; a++)
        {
            _similarity.AddScaledRow(items[a], _affinity[start + a], scores);
        }
    }

    /// <inheritdoc />
    protected override void ScoreSimilarCore(int item, Span<float> scores) => _similarity.Scatter(item, scores);

    /// <inheritdoc />
    protected override void WriteOptions(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write((int)Options.Similarity);
        writer.Write(Options.CooccurrenceThreshold);
        writer.Write(Options.TimeDecay);
        writer.Write(Options.HalfLife.Ticks);
        writer.Write(Options.ReferenceTimeMs.HasValue);
        writer.Write(Options.ReferenceTimeMs ?? 0);
    }

    /// <inheritdoc />
    protected override void WriteState(BinaryWriter writer)
    {
        _similarity.Write(writer);
        writer.WriteArray(_affinity);
    }

    internal static Sar ReadFrom(BinaryReader reader, int version)
    {
        CheckPayloadVersion(KindName, version, 1);
        var similarity = (SarSimilarity)reader.ReadInt32();
        int threshold = reader.ReadInt32();
        bool decay = reader.ReadBoolean();
        var halfLife = TimeSpan.FromTicks(reader.ReadInt64());
        bool hasReference = reader.ReadBoolean();
        long reference = reader.ReadInt64();
        var model = new Sar(new SarOptions
        {
            Similarity = similarity,
            CooccurrenceThreshold = threshold,
            TimeDecay = decay,
            HalfLife = halfLife,
            ReferenceTimeMs = hasReference ? reference : null,
        });
        model.ReadCommonState(reader);
        model._similarity = SparseRows.Read(reader);
        model._affinity = reader.ReadSingleArray();
        if (model._similarity.Rows != model.ItemCount || model._affinity.Length != model.HistoryLength)
        {
            throw new InvalidDataException("SAR similarity or affinity sizes do not match the fitted users and items.");
        }
        return model;
    }
}
