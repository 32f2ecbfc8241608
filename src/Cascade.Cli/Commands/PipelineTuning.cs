using System.Globalization;
using Cascade.Core;
using Cascade.Evaluation.Reporting;
using Cascade.Evaluation.Running;
using Cascade.Models;
using Cascade.Pipeline;
using Cascade.Pipeline.Selection;
using Cascade.Pipeline.Sources;

namespace Cascade.Cli.Commands;

/// <summary>
/// <c>cascade tune --pipeline --output F.json</c>: the model selection that training runs by default
/// (<see cref="PipelineSelection"/>), offline on the training rows of a split; writes the chosen configuration in the
/// shape <c>cascade serve --config</c> reads, prints the trials, then reports the configuration on the test rows.
/// </summary>
internal static class PipelineTuning
{
    /// <summary>What the command was given.</summary>
    internal sealed record Request(string? Train, string? Test, string? Data, string Split, string? Config, string? Output, string? Validation,
        double BudgetSeconds, string? Metric, int K, int Seed);

    internal static async Task<int> RunAsync(Request request, ModelCatalog catalog, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Output))
        {
            return EvaluationConsole.Fail("--pipeline needs --output FILE.json: the chosen configuration is written there.");
        }
        var evaluation = new EvaluationRequest
        {
            TrainPath = request.Train,
            TestPath = request.Test,
            DataPath = request.Data,
            Split = request.Split,
            Models = ["pipeline"],
            Seed = request.Seed,
            Options = new EvaluationOptions { K = request.K },
        }.Validate();
        var options = request.Config is null ? PipelineOptions.Default() : PipelineConfiguration.Load(request.Config);
        var selection = options.Selection ?? new SelectionOptions();
        selection.Enabled = true;
        selection.BudgetSeconds = request.BudgetSeconds;
        selection.Metric = request.Metric ?? $"ndcg@{request.K}";
        selection.Seed = request.Seed;
        selection.Validation = request.Validation ?? selection.Validation;
        options.Selection = selection;
        if (options.Validate() is { Count: > 0 } errors)
        {
            return EvaluationConsole.Fail(string.Join(Environment.NewLine, errors));
        }

        var (table, split) = EvaluationJob.Load(evaluation);
        var set = EvaluationSet.Create(table, split);
        // Mirror the test split's protocol unless told otherwise, as `cascade evaluate --models pipeline` does.
        selection.Validation ??= set.TestIsNewest ? "newest" : "random";
        var items = ItemFile.Table(set.Train.Columns, set.ItemIds, null, options.IndexedAttributes());
        var data = new PipelineData(set.Train, items);
        var (chosen, report) = await EvaluationConsole.WithProgressAsync(progress => PipelineSelection.Resolve(options, data, request.Seed,
            new InlineProgress<PipelineBuildProgress>(p => progress.Report(new EvaluationProgress("selection", p.Step, p.Done, Math.Max(1, p.Total)))), cancellationToken));
        PipelineConfiguration.Save(chosen, request.Output);

        foreach (var trial in report!.Trials)
        {
            string score = trial.Score is { } s ? s.ToString("0.000000", CultureInfo.InvariantCulture) : "—";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {trial.Stage,-8} {score,9} {trial.Seconds,7:0.0} s  {trial.Configuration}{(trial.Error is null ? "" : "  (" + trial.Error + ")")}"));
        }
        if (report.Note is not null)
        {
            Console.WriteLine(report.Note);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Chosen on validation ({report.ValidationUsers} users, {selection.Validation}): {report.Chosen} with {report.Metric} = {report.Score:0.000000} (the baseline pipeline: {report.BaselineScore:0.000000}) after {report.Trials.Count} trials in {report.Seconds:0.0} s."));
        Console.WriteLine($"Wrote {request.Output} (use it with `cascade serve --config {request.Output}` or `--models pipeline:config={request.Output}`).");
        if (request.Test is not null || request.Data is not null)
        {
            var result = await EvaluationConsole.WithProgressAsync(progress =>
                EvaluationJob.Run(evaluation with { Models = [$"pipeline:config={request.Output}"] }, progress, catalog, cancellationToken));
            Console.WriteLine("On the test split:");
            Console.WriteLine(ReportWriter.FormatTable(result));
        }
        return 0;
    }

}
