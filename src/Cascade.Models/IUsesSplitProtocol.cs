namespace Cascade.Models;

/// <summary>
/// A recommender that carves a validation split of its own while fitting (model selection) and mirrors the protocol
/// of the test it is judged on, as <c>cascade tune</c> does: offline evaluation tells it, before
/// <see cref="IRecommender.Fit"/>, whether the test rows are each user's newest interactions or a random share of them.
/// </summary>
public interface IUsesSplitProtocol
{
    /// <summary>Receives the test protocol.</summary>
    /// <param name="testIsNewest">True when the test rows are each user's newest (a time-aware split); false for a random split.</param>
    void UseSplitProtocol(bool testIsNewest);
}
