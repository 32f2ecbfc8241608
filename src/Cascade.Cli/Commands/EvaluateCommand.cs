using System.CommandLine;
using Cascade.Evaluation.Reporting;
using Cascade.Evaluation.Running;
using Cascade.Models;

namespace Cascade.Cli.Commands;

/// <summary>
/// <c>cascade evaluate</c>: fits each model on a training split and scores its top-k recommendations on the test split
/// with the Microsoft Recommenders protocol; prints a table, writes a Markdown report and optionally JSON.
/// The work is done by <see cref="EvaluationJob"/> in Cascade.Evaluation; this file only parses and prints.
/// </summary>
internal static class EvaluateCommand
{
    internal static Command Create(ModelCatalog catalog)
    {
        var train = new Option<string?>("--train") { Description = "Predefined training file: whitespace-separated 'user item rating unix_seconds' lines." };
        var test = new Option<string?>("--test") { Description = "Predefined test file, same format as --train." };
        var data = new Option<string?>("--data") { Description = "One interaction file to split with --split (e.g. MovieLens u.data)." };
        var split = new Option<string>("--split")
        {
            Description = "How to split --data: random:R, stratified-user:R, stratified-item:R, chrono:R, leave-last:N or time:UNIX_SECONDS.",
            DefaultValueFactory = _ => new EvaluationRequest().Split,
        };
        var models = new Option<string[]>("--models")
        {
            Description = $"Models to evaluate, separated by spaces or commas, each 'name' or 'name:key=value,key=value' ({string.Join(", ", catalog.Names)}).",
            DefaultValueFactory = _ => [.. new EvaluationRequest().Models],
            AllowMultipleArgumentsPerToken = true,
        };
        var k = new Option<int>("--k") { Description = "Cut-off of the top-k metrics.", DefaultValueFactory = _ => new EvaluationOptions().K };
        var seed = new Option<int>("--seed") { Description = "Seed of the split and of randomised models.", DefaultValueFactory = _ => new EvaluationRequest().Seed };
        var output = new Option<string?>("--output") { Description = "Write a JSON object keyed by model, then metric name (map, ndcg@10, …, fit_seconds), to this file." };
        var report = new Option<string>("--report") { Description = "Markdown report file.", DefaultValueFactory = _ => "evaluation-report.md" };
        var command = new Command("evaluate", "Evaluate recommenders offline: top-k ranking (MAP, nDCG, precision, recall, …), beyond-accuracy and rating metrics.")
        {
            train, test, data, split, models, k, seed, output, report,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            EvaluationRequest request;
            try
            {
                request = new EvaluationRequest
                {
                    TrainPath = parse.GetValue(train),
                    TestPath = parse.GetValue(test),
                    DataPath = parse.GetValue(data),
                    Split = parse.GetValue(split)!,
                    Models = parse.GetValue(models) ?? [],
                    Seed = parse.GetValue(seed),
                    Options = new EvaluationOptions { K = parse.GetValue(k) },
                }.Validate();
            }
            catch (Exception e) when (e is ArgumentException or FileNotFoundException)
            {
                return EvaluationConsole.Fail(e.Message);
            }
            EvaluationReport result;
            try
            {
                result = await EvaluationConsole.WithProgressAsync(progress => EvaluationJob.Run(request, progress, catalog, cancellationToken));
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or FileNotFoundException)
            {
                return EvaluationConsole.Fail(e.Message);
            }
            Console.WriteLine();
            Console.WriteLine(ReportWriter.FormatTable(result));
            string markdownPath = parse.GetValue(report)!;
            await File.WriteAllTextAsync(markdownPath, ReportWriter.FormatMarkdown(result, "cascade " + string.Join(' ', parse.Tokens.Select(t => t.Value))), cancellationToken);
            Console.WriteLine($"Markdown report: {Path.GetFullPath(markdownPath)}");
            string? jsonPath = parse.GetValue(output);
            if (jsonPath is not null)
            {
                await using var stream = File.Create(jsonPath);
                ReportWriter.WriteJson(stream, result.Results);
                Console.WriteLine($"JSON results: {Path.GetFullPath(jsonPath)}");
            }
            return 0;
        });
        return command;
    }
}
