namespace Cascade.Evaluation.Running;

/// <summary>The outcome of an evaluation: where the data came from, its sizes and each model's metrics.</summary>
/// <param name="Source">A description of the data and split.</param>
/// <param name="TrainRows">Training rows.</param>
/// <param name="TestRows">Test rows.</param>
/// <param name="EvaluatedUsers">Users evaluated (test rows and training history).</param>
/// <param name="Users">Users in the table.</param>
/// <param name="Items">Items in the table.</param>
/// <param name="K">The cut-off.</param>
/// <param name="Results">One entry per model, in the order given.</param>
public sealed record EvaluationReport(string Source, int TrainRows, int TestRows, int EvaluatedUsers, int Users, int Items, int K, IReadOnlyList<ModelResult> Results);
