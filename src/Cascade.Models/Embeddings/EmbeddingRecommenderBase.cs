using System.Buffers;
using System.Numerics.Tensors;
using Cascade.Models.Serialization;

namespace Cascade.Models.Embeddings;

/// <summary>
/// Shared machinery of the embedding models: scores are user · item inner products over a row-major item matrix,
/// similar items are ranked by cosine similarity of item vectors (on the first <see cref="SimilarityComponents"/>
/// components, so a folded-in bias does not dominate), and the item matrix is written and read with the model.
/// </summary>
public abstract class EmbeddingRecommenderBase : RecommenderBase, IEmbeddingModel
{
    private float[] _itemVectors = [];
    private float[] _itemNorms = [];

    /// <inheritdoc />
    public abstract int EmbeddingDimension { get; }

    /// <inheritdoc />
    public ReadOnlyMemory<float> ItemEmbeddings => _itemVectors;

    /// <summary>Components compared by <see cref="IRecommender.SimilarItems"/> (the factors without a bias; default all).</summary>
    protected virtual int SimilarityComponents => EmbeddingDimension;

    /// <summary>The item matrix as the model trains it.</summary>
    protected float[] ItemVectors => _itemVectors;

    /// <summary>Installs a new item matrix (after fitting or loading) and refreshes the cached norms.</summary>
    /// <param name="itemVectors">ItemCount × <see cref="EmbeddingDimension"/>, row-major.</param>
    protected void SetItemVectors(float[] itemVectors)
    {
        ArgumentNullException.ThrowIfNull(itemVectors);
        int d = EmbeddingDimension, s = SimilarityComponents;
        if (itemVectors.Length % d != 0)
        {
            throw new InvalidDataException($"The item matrix has {itemVectors.Length} values, not a multiple of the dimension {d}.");
        }
        int items = itemVectors.Length / d;
        var norms = new float[items];
        for (int i = 0; i < items; i++)
        {
            norms[i] = TensorPrimitives.Norm(itemVectors.AsSpan(i * d, s));
        }
        _itemVectors = itemVectors;
        _itemNorms = norms;
    }

    /// <inheritdoc />
    public bool TryGetUserEmbedding(int user, Span<float> destination)
    {
        EnsureFitted();
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        if (destination.Length != EmbeddingDimension)
        {
            throw new ArgumentException($"destination has {destination.Length} entries; the embedding dimension is {EmbeddingDimension}.", nameof(destination));
        }
        destination.Clear();
        return !IsColdUser(user) && UserEmbeddingCore(user, destination);
    }

    /// <summary>Writes the vector of a warm user into a zeroed <paramref name="destination"/>; false when the model has none.</summary>
    /// <param name="user">A fitted user with interactions.</param>
    /// <param name="destination">Length <see cref="EmbeddingDimension"/>, zeroed.</param>
    protected abstract bool UserEmbeddingCore(int user, Span<float> destination);

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        int d = EmbeddingDimension;
        float[] buffer = ArrayPool<float>.Shared.Rent(d);
        try
        {
            Span<float> vector = buffer.AsSpan(0, d);
            vector.Clear();
            if (!UserEmbeddingCore(user, vector))
            {
                ScoreColdUser(user, scores);
                return;
            }
            EmbeddingMath.ScoreAll(vector, _itemVectors, scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    protected override void ScoreSimilarCore(int item, Span<float> scores)
    {
        int d = EmbeddingDimension, s = SimilarityComponents;
        ReadOnlySpan<float> q = _itemVectors.AsSpan(item * d, s);
        float qNorm = _itemNorms[item];
        for (int j = 0; j < scores.Length; j++)
        {
            float norm = qNorm * _itemNorms[j];
            scores[j] = norm > 0 ? TensorPrimitives.Dot(q, _itemVectors.AsSpan(j * d, s)) / norm : 0f;
        }
    }

    /// <summary>Writes the item matrix (call from <see cref="RecommenderBase.WriteState"/>).</summary>
    /// <param name="writer">The payload writer.</param>
    protected void WriteItemVectors(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteArray(_itemVectors);
    }

    /// <summary>Reads the item matrix written by <see cref="WriteItemVectors"/> and checks its shape.</summary>
    /// <param name="reader">The payload reader.</param>
    protected void ReadItemVectors(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        float[] vectors = reader.ReadSingleArray();
        if (vectors.Length != (long)ItemCount * EmbeddingDimension)
        {
            throw new InvalidDataException($"The {Name} item matrix has {vectors.Length} values; {ItemCount} items × {EmbeddingDimension} components need {(long)ItemCount * EmbeddingDimension}.");
        }
        SetItemVectors(vectors);
    }
}
