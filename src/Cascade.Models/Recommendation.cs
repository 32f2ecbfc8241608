namespace Cascade.Models;

/// <summary>One recommended item (a dense item id) and the score that ranked it.</summary>
/// <param name="Item">Dense item id (a column of the interaction matrix the model was fitted on).</param>
/// <param name="Score">The model's score; higher ranks first. Only the order is meaningful across models.</param>
public readonly record struct Recommendation(int Item, float Score);
