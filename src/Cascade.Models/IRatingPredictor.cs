namespace Cascade.Models;

/// <summary>A recommender that also predicts explicit ratings (evaluated with RMSE and MAE).</summary>
public interface IRatingPredictor : IRecommender
{
    /// <summary>The predicted rating of <paramref name="item"/> by <paramref name="user"/>, clipped to the fitted rating range.</summary>
    /// <param name="user">Dense user id; cold users get the item's (or the global) baseline.</param>
    /// <param name="item">Dense item id; cold items get the user's (or the global) baseline.</param>
    float PredictRating(int user, int item);
}
