using Cascade.Core;

namespace Cascade.Models;

/// <summary>
/// The contract every Cascade recommender honours: fit on a user × item interaction matrix of dense ids, then
/// recommend top-k items for a user (optionally excluding the items the user has in the fitted matrix), for many
/// users at once, find similar items, and persist to a versioned, checksummed file. Retrieval models added later
/// (ALS, BPR, two-tower) implement it too, and one contract test suite runs against every implementation.
/// </summary>
/// <remarks>
/// Users and items are dense integers: rows and columns of the fitted matrix. A user id at or beyond
/// <see cref="UserCount"/>, or a user with no interactions, is a cold user: the model answers from its cold-start
/// scores (item popularity unless the model knows better), never throws. Implementations are safe for concurrent
/// reads (Recommend, RecommendBatch, SimilarItems, Score) once fitted; Fit and Load are not concurrent with reads.
/// </remarks>
public interface IRecommender
{
    /// <summary>The model's kind name as written in model files, e.g. "ease".</summary>
    string Name { get; }

    /// <summary>True once <see cref="Fit"/> has completed (or the model was loaded).</summary>
    bool IsFitted { get; }

    /// <summary>Number of users (rows) of the fitted matrix.</summary>
    int UserCount { get; }

    /// <summary>Number of items (columns) of the fitted matrix.</summary>
    int ItemCount { get; }

    /// <summary>Fits the model on <paramref name="interactions"/> (rows users, columns items, values weights or ratings).</summary>
    /// <param name="interactions">The training matrix; the model keeps what it needs and does not mutate it.</param>
    /// <param name="cancellationToken">Stops a long fit between steps.</param>
    void Fit(CsrMatrix interactions, CancellationToken cancellationToken = default);

    /// <summary>Writes the model's score of every item for <paramref name="user"/> into <paramref name="scores"/>.</summary>
    /// <param name="user">Dense user id; cold users get cold-start scores.</param>
    /// <param name="scores">Length <see cref="ItemCount"/>; higher is better.</param>
    void Score(int user, Span<float> scores);

    /// <summary>The top <paramref name="k"/> items for <paramref name="user"/>, best first; ties broken by lower item id.</summary>
    /// <param name="user">Dense user id; cold users get cold-start recommendations.</param>
    /// <param name="k">Number of items wanted (fewer come back when fewer are eligible).</param>
    /// <param name="excludeSeen">Leave out the items <paramref name="user"/> has in the fitted matrix.</param>
    Recommendation[] Recommend(int user, int k, bool excludeSeen = true);

    /// <summary><see cref="Recommend"/> for many users, in parallel; result i belongs to <paramref name="users"/>[i].</summary>
    /// <param name="users">Dense user ids.</param>
    /// <param name="k">Number of items per user.</param>
    /// <param name="excludeSeen">Leave out each user's fitted items.</param>
    /// <param name="cancellationToken">Stops between users.</param>
    Recommendation[][] RecommendBatch(ReadOnlySpan<int> users, int k, bool excludeSeen = true, CancellationToken cancellationToken = default);

    /// <summary>The <paramref name="k"/> items most similar to <paramref name="item"/> by the model's own notion of similarity, excluding the item itself.</summary>
    /// <param name="item">Dense item id.</param>
    /// <param name="k">Number of items wanted.</param>
    Recommendation[] SimilarItems(int item, int k);

    /// <summary>Writes the fitted model to <paramref name="stream"/> in the Cascade model file format (docs/formats/models.md).</summary>
    /// <param name="stream">A writable stream; the model is written from its current position.</param>
    void Save(Stream stream);
}
