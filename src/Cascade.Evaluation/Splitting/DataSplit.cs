namespace Cascade.Evaluation.Splitting;

/// <summary>A split of an <see cref="Data.InteractionData"/> table: row numbers for training and for testing.</summary>
/// <param name="Train">Row numbers in the training part, ascending.</param>
/// <param name="Test">Row numbers in the test part, ascending.</param>
public sealed record DataSplit(int[] Train, int[] Test);
