namespace Cascade.Core.Domain;

/// <summary>What a feedback event says about the user's interest in the item.</summary>
public enum EventRole
{
    /// <summary>The user showed interest (click, like, purchase, rating).</summary>
    Positive = 1,

    /// <summary>The user showed disinterest (dislike, skip).</summary>
    Negative = 2,

    /// <summary>The item was shown or read; neither interest nor disinterest on its own.</summary>
    Impression = 3,
}
