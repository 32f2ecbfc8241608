using System.CommandLine;
using System.Globalization;
using Cascade.Evaluation.Reporting;
using Cascade.Evaluation.Running;
using Cascade.Models;

namespace Cascade.Cli.Commands;

/// <summary>
/// <c>cascade tune</c>: random search over one model's hyper-parameter grid on a validation split carved from the
/// training rows (never the test rows), within a time budget; then evaluates the chosen configuration on the test split.
/// The work is done by <see cref="HyperParameterSearch"/> in Cascade.Evaluation. With <c>--pipeline</c>, the whole
/// pipeline's model selection instead (<see cref="PipelineTuning"/>).
/// </summary>
internal static class TuneCommand
{
    internal static Command Create(ModelCatalog catalog)
    {
        var train = new Option<string?>("--train") { Description = "Predefined training file ('user item rating unix_seconds')." };
        var test = new Option<string?>("--test") { Description = "Predefined test file; only used to report the chosen configuration." };
        var data = new Option<string?>("--data") { Description = "One interaction file to split with --split." };
        var split = new Option<string>("--split") { Description = "How to split --data (see cascade evaluate).", DefaultValueFactory = _ => new EvaluationRequest().Split };
        var model = new Option<string?>("--model") { Description = "The model to tune, with any parameters to hold fixed, e.g. 'rp3beta' or 'rp3beta:neighbours=200'." };
        var pipeline = new Option<bool>("--pipeline") { Description = "Select the whole pipeline instead (sources, their hyper-parameters, fusion weights, ranker), as training does by default; needs --output." };
        var config = new Option<string?>("--config") { Description = "With --pipeline: a pipeline configuration whose named parts (sources, ranker, re-rankers) are kept as given." };
        var output = new Option<string?>("--output") { Description = "With --pipeline: write the chosen configuration here, in the shape `cascade serve --config` reads." };
        var validation = new Option<string?>("--validation") { Description = $"How the validation split is carved from the training rows (default {new TuningOptions().ValidationSplit}; with --pipeline: newest or random, default the test split's own protocol)." };
        var budget = new Option<double>("--budget") { Description = "Time budget in seconds; no trial starts after it.", DefaultValueFactory = _ => new TuningOptions().Budget.TotalSeconds };
        var trials = new Option<int>("--trials") { Description = "Most configurations tried.", DefaultValueFactory = _ => new TuningOptions().MaxTrials };
        var metric = new Option<string?>("--metric") { Description = "Metric maximised on validation (default ndcg@k)." };
        var k = new Option<int>("--k") { Description = "Cut-off of the top-k metrics.", DefaultValueFactory = _ => new EvaluationOptions().K };
        var seed = new Option<int>("--seed") { Description = "Seed of the splits and the trial order.", DefaultValueFactory = _ => new TuningOptions().Seed };
        var command = new Command("tune", "Search one model's hyper-parameters (--model) or select a whole pipeline (--pipeline --output F.json) on a validation split carved from train, within a time budget, then report it on test.")
        {
            train, test, data, split, model, pipeline, config, output, validation, budget, trials, metric, k, seed,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            try
            {
                if (parse.GetValue(pipeline))
                {
                    return await PipelineTuning.RunAsync(new PipelineTuning.Request(parse.GetValue(train), parse.GetValue(test), parse.GetValue(data), parse.GetValue(split)!,
                        parse.GetValue(config), parse.GetValue(output), parse.GetValue(validation), parse.GetValue(budget), parse.GetValue(metric), parse.GetValue(k), parse.GetValue(seed)),
                        catalog, cancellationToken);
                }
                if (parse.GetValue(model) is not { } modelText)
                {
                    return EvaluationConsole.Fail("give --model MODEL to tune one model, or --pipeline --output FILE to select a whole pipeline.");
                }
                var spec = ModelSpec.Parse(modelText);
                _ = catalog.Create(spec);
                var request = new EvaluationRequest
                {
                    TrainPath = parse.GetValue(train),
                    TestPath = parse.GetValue(test),
                    DataPath = parse.GetValue(data),
                    Split = parse.GetValue(split)!,
                    Models = [spec.ToString()],
                    Seed = parse.GetValue(seed),
                    Options = new EvaluationOptions { K = parse.GetValue(k) },
                }.Validate();
                var options = new TuningOptions
                {
                    ValidationSplit = parse.GetValue(validation) ?? new TuningOptions().ValidationSplit,
                    Budget = TimeSpan.FromSeconds(parse.GetValue(budget)),
                    MaxTrials = parse.GetValue(trials),
                    Metric = parse.GetValue(metric),
                    Seed = parse.GetValue(seed),
                    Evaluation = request.Options with { BeyondAccuracy = false },
                }.Validate();
                var (table, rows) = EvaluationJob.Load(request);
                var result = await Task.Run(() => HyperParameterSearch.Search(table, rows.Train, spec, options,
                    trial => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {trial.Spec}: {trial.Score:0.000000} ({trial.Seconds:0.0} s)")),
                    catalog, cancellationToken), cancellationToken);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Best on validation: {result.Best} with {result.Metric} = {result.BestScore:0.000000} after {result.Trials.Count} trials."));
                var report = await EvaluationConsole.WithProgressAsync(progress =>
                    EvaluationJob.Run(request with { Models = [result.Best.ToString()] }, progress, catalog, cancellationToken));
                Console.WriteLine("On the test split:");
                Console.WriteLine(ReportWriter.FormatTable(report));
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or FileNotFoundException)
            {
                return EvaluationConsole.Fail(e.Message);
            }
        });
        return command;
    }
}
