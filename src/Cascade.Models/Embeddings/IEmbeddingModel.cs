namespace Cascade.Models.Embeddings;

/// <summary>
/// A recommender whose scores are inner products of a user vector and an item vector: ALS, BPR and the two-tower
/// network. It exposes the item matrix (for item-to-item similarity and for export to an ANN index) and the user
/// vector of a request, so retrieval can be served by maximum-inner-product search instead of a full scan.
/// </summary>
/// <remarks>
/// score(user, item) = <see cref="TryGetUserEmbedding"/>(user) · item row of <see cref="ItemEmbeddings"/>, exactly the
/// score <see cref="IRecommender.Score"/> returns for a warm user. Biases are folded in as a component (the user side
/// holds 1), so an inner-product index over <see cref="ItemEmbeddings"/> ranks as the model does.
/// </remarks>
public interface IEmbeddingModel : IRecommender
{
    /// <summary>Number of components of every user and item vector.</summary>
    int EmbeddingDimension { get; }

    /// <summary>The item vectors, <see cref="IRecommender.ItemCount"/> × <see cref="EmbeddingDimension"/>, row-major (row = dense item id).</summary>
    ReadOnlyMemory<float> ItemEmbeddings { get; }

    /// <summary>Writes the vector of <paramref name="user"/> into <paramref name="destination"/>.</summary>
    /// <param name="user">Dense user id.</param>
    /// <param name="destination">Length <see cref="EmbeddingDimension"/>.</param>
    /// <returns>False (and zeros written) for a cold user the model has no vector for.</returns>
    bool TryGetUserEmbedding(int user, Span<float> destination);
}
