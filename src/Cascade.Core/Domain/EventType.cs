namespace Cascade.Core.Domain;

/// <summary>A configured feedback event type.</summary>
/// <param name="Name">The name clients send in an event's <c>type</c> field.</param>
/// <param name="Role">What the event says about interest.</param>
/// <param name="Weight">Weight of one such event in the interaction matrix (negative for negative roles).</param>
/// <param name="MinValue">Smallest accepted <c>value</c>, or null when any value is accepted.</param>
/// <param name="MaxValue">Largest accepted <c>value</c>, or null when any value is accepted.</param>
/// <param name="ValueRequired">Whether an event of this type must carry a value.</param>
/// <param name="ScaleByValue">Whether an event's weight is multiplied by its value (a 4-star rating weighs 4 × Weight).</param>
public sealed record EventType(string Name, EventRole Role, float Weight, double? MinValue = null, double? MaxValue = null, bool ValueRequired = false, bool ScaleByValue = false)
{
    /// <summary>The event types a new app starts with.</summary>
    public static IReadOnlyList<EventType> Defaults { get; } =
    [
        new("impression", EventRole.Impression, 0f),
        new("click", EventRole.Positive, 1f),
        new("like", EventRole.Positive, 2f),
        new("purchase", EventRole.Positive, 4f),
        new("rating", EventRole.Positive, 1f, 1, 5, ValueRequired: true, ScaleByValue: true),
        new("dislike", EventRole.Negative, -2f),
    ];

    /// <summary>The weight one event of this type with <paramref name="value"/> contributes to the interaction matrix.</summary>
    public float WeightOf(double? value) => ScaleByValue && value is { } v ? (float)(Weight * v) : Weight;
}
