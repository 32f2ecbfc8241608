namespace Cascade.Models;

/// <summary>
/// A recommender that joins data kept outside the interaction matrix (item attributes read from a file, say) by the
/// items' external ids. Offline evaluation hands it the external id of every matrix column before <see cref="IRecommender.Fit"/>.
/// </summary>
public interface IUsesItemIds
{
    /// <summary>Receives the external id of every item column, by dense index.</summary>
    /// <param name="itemIds">Entry i is the external id of column i; at least as many entries as the matrix has columns.</param>
    void UseItemIds(IReadOnlyList<string> itemIds);
}
