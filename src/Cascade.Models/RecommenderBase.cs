using System.Buffers;
using Cascade.Core;
using Cascade.Models.Serialization;

namespace Cascade.Models;

/// <summary>
/// Shared machinery of the recommenders: it keeps the fitted users' item lists (to exclude seen items and to feed
/// history-based scorers) and item popularity (the cold-start answer), selects top-k with <see cref="TopK"/>,
/// parallelises batches over users, and frames <see cref="Save"/> in the <see cref="ModelFile"/> container.
/// A model supplies <see cref="FitCore"/>, <see cref="ScoreCore"/>, <see cref="ScoreSimilarCore"/> and its payload.
/// </summary>
public abstract class RecommenderBase : IRecommender
{
    private int[] _historyPointers = [0];
    private int[] _historyItems = [];
    private float[] _historyValues = [];
    private float[] _popularity = [];

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The version of this model's payload layout, written in the file header.</summary>
    protected abstract ushort PayloadVersion { get; }

    /// <inheritdoc />
    public bool IsFitted { get; private set; }

    /// <inheritdoc />
    public int UserCount { get; private set; }

    /// <inheritdoc />
    public int ItemCount { get; private set; }

    /// <summary>Number of fitted users who interacted with each item (the cold-start score).</summary>
    protected ReadOnlySpan<float> Popularity => _popularity;

    /// <inheritdoc />
    public void Fit(CsrMatrix interactions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        if (interactions.Columns == 0)
        {
            throw new ArgumentException("The interaction matrix has no items (columns); there is nothing to recommend.", nameof(interactions));
        }
        IsFitted = false;
        UserCount = interactions.Rows;
        ItemCount = interactions.Columns;
        _historyPointers = (int[])interactions.RowPointers.Clone();
        _historyItems = (int[])interactions.ColumnIndices.Clone();
        _historyValues = (float[])interactions.Values.Clone();
        _popularity = new float[ItemCount];
        foreach (int item in _historyItems)
        {
            _popularity[item]++;
        }
        FitCore(interactions, cancellationToken);
        IsFitted = true;
    }

    /// <summary>Fits the model's own state; the history and popularity are already set.</summary>
    /// <param name="interactions">The training matrix.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    protected abstract void FitCore(CsrMatrix interactions, CancellationToken cancellationToken);

    /// <summary>The items of fitted user <paramref name="user"/> (ascending); empty for cold users.</summary>
    public ReadOnlySpan<int> HistoryItems(int user) =>
        (uint)user < (uint)UserCount ? _historyItems.AsSpan(_historyPointers[user], _historyPointers[user + 1] - _historyPointers[user]) : default;

    /// <summary>The interaction values matching <see cref="HistoryItems"/>.</summary>
    public ReadOnlySpan<float> HistoryValues(int user) =>
        (uint)user < (uint)UserCount ? _historyValues.AsSpan(_historyPointers[user], _historyPointers[user + 1] - _historyPointers[user]) : default;

    /// <summary>Offset of fitted user <paramref name="user"/>'s first entry in the flattened history (for per-entry model state).</summary>
    protected int HistoryStart(int user) => _historyPointers[user];

    /// <summary>Total number of fitted (user, item) entries.</summary>
    protected int HistoryLength => _historyItems.Length;

    /// <summary>True when <paramref name="user"/> is unknown or has no fitted interactions.</summary>
    public bool IsColdUser(int user) => (uint)user >= (uint)UserCount || _historyPointers[user + 1] == _historyPointers[user];

    /// <inheritdoc />
    public void Score(int user, Span<float> scores)
    {
        EnsureFitted();
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        if (scores.Length != ItemCount)
        {
            throw new ArgumentException($"scores has {scores.Length} entries; the model has {ItemCount} items.", nameof(scores));
        }
        if (IsColdUser(user))
        {
            ScoreColdUser(user, scores);
            return;
        }
        scores.Clear();
        ScoreCore(user, scores);
    }

    /// <summary>Writes the scores of a warm user (one with fitted interactions) into a zeroed <paramref name="scores"/>.</summary>
    /// <param name="user">A fitted user with at least one interaction.</param>
    /// <param name="scores">Length <see cref="ItemCount"/>, zeroed.</param>
    protected abstract void ScoreCore(int user, Span<float> scores);

    /// <summary>Scores for a cold user; item popularity unless overridden.</summary>
    /// <param name="user">The user id (possibly beyond <see cref="UserCount"/>).</param>
    /// <param name="scores">Length <see cref="ItemCount"/>.</param>
    protected virtual void ScoreColdUser(int user, Span<float> scores) => _popularity.CopyTo(scores);

    /// <summary>Writes the similarity of every item to <paramref name="item"/> into a zeroed <paramref name="scores"/>.</summary>
    /// <param name="item">An item with fitted interactions.</param>
    /// <param name="scores">Length <see cref="ItemCount"/>, zeroed.</param>
    protected abstract void ScoreSimilarCore(int item, Span<float> scores);

    /// <inheritdoc />
    public Recommendation[] Recommend(int user, int k, bool excludeSeen = true)
    {
        EnsureFitted();
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        float[] buffer = ArrayPool<float>.Shared.Rent(ItemCount);
        try
        {
            return RecommendInto(user, k, excludeSeen, buffer.AsSpan(0, ItemCount));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public Recommendation[][] RecommendBatch(ReadOnlySpan<int> users, int k, bool excludeSeen = true, CancellationToken cancellationToken = default)
    {
        EnsureFitted();
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        int[] ids = users.ToArray();
        foreach (int u in ids)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(u, nameof(users));
        }
        var results = new Recommendation[ids.Length][];
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, ids.Length, options, () => new float[ItemCount], (i, _, buffer) =>
        {
            results[i] = RecommendInto(ids[i], k, excludeSeen, buffer);
            return buffer;
        }, _ => { });
        return results;
    }

    private Recommendation[] RecommendInto(int user, int k, bool excludeSeen, Span<float> scores)
    {
        Score(user, scores);
        if (excludeSeen)
        {
            foreach (int item in HistoryItems(user))
            {
                scores[item] = float.NegativeInfinity;
            }
        }
        return TopK.Select(scores, k);
    }

    /// <inheritdoc />
    public Recommendation[] SimilarItems(int item, int k)
    {
        EnsureFitted();
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if ((uint)item >= (uint)ItemCount)
        {
            throw new ArgumentOutOfRangeException(nameof(item), item, $"The model has {ItemCount} items.");
        }
        float[] buffer = ArrayPool<float>.Shared.Rent(ItemCount);
        try
        {
            Span<float> scores = buffer.AsSpan(0, ItemCount);
            if (_popularity[item] == 0)
            {
                _popularity.CopyTo(scores); // an item nobody touched has no neighbours: answer with popular items
            }
            else
            {
                scores.Clear();
                ScoreSimilarCore(item, scores);
            }
            scores[item] = float.NegativeInfinity;
            return TopK.Select(scores, k);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public void Save(Stream stream)
    {
        EnsureFitted();
        ModelFile.Write(stream, Name, PayloadVersion, writer =>
        {
            WriteOptions(writer);
            writer.Write(UserCount);
            writer.Write(ItemCount);
            writer.WriteArray(_historyPointers);
            writer.WriteArray(_historyItems);
            writer.WriteArray(_historyValues);
            writer.WriteArray(_popularity);
            WriteState(writer);
        });
    }

    /// <summary>Writes the model's options, first in the payload (so a loader can construct the model).</summary>
    /// <param name="writer">The payload writer.</param>
    protected abstract void WriteOptions(BinaryWriter writer);

    /// <summary>Writes the model's fitted state, after the common section.</summary>
    /// <param name="writer">The payload writer.</param>
    protected abstract void WriteState(BinaryWriter writer);

    /// <summary>Reads the common section written by <see cref="Save"/> and marks the model fitted.</summary>
    /// <param name="reader">The payload reader, positioned after the model's options.</param>
    protected void ReadCommonState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int users = reader.ReadInt32();
        int items = reader.ReadInt32();
        int[] pointers = reader.ReadInt32Array();
        int[] historyItems = reader.ReadInt32Array();
        float[] values = reader.ReadSingleArray();
        float[] popularity = reader.ReadSingleArray();
        // Reuse the CSR validation of Core to refuse inconsistent histories.
        _ = new CsrMatrix(users, items, pointers, historyItems, values);
        if (popularity.Length != items)
        {
            throw new InvalidDataException($"Popularity has {popularity.Length} entries for {items} items.");
        }
        UserCount = users;
        ItemCount = items;
        _historyPointers = pointers;
        _historyItems = historyItems;
        _historyValues = values;
        _popularity = popularity;
        IsFitted = true;
    }

    /// <summary>Throws when the model has not been fitted.</summary>
    protected void EnsureFitted()
    {
        if (!IsFitted)
        {
            throw new InvalidOperationException($"The {Name} model is not fitted: call Fit or load it from a file first.");
        }
    }

    /// <summary>Throws <see cref="InvalidDataException"/> when a loaded payload version is not <paramref name="expected"/>.</summary>
    /// <param name="kind">The model kind.</param>
    /// <param name="version">The version found.</param>
    /// <param name="expected">The version this build reads.</param>
    protected static void CheckPayloadVersion(string kind, int version, int expected)
    {
        if (version != expected)
        {
            throw new InvalidDataException($"The {kind} payload version {version} is not supported; this build reads version {expected}.");
        }
    }
}
