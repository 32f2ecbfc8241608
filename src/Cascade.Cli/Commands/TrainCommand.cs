using System.CommandLine;
using Cascade.Core.Domain;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>`cascade train`: trains the configured pipeline and writes a model bundle.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output") { Description = "Bundle directory to write (replaced atomically).", Required = true };
        var app = new Option<string>("--app") { Description = "The app. Default \"default\".", DefaultValueFactory = _ => Apps.Default };
        var config = ServeCommand.Config();
        var command = new Command("train",
            "Train the configured pipeline on the event log and write a model bundle (manifest + checksummed model files). " +
            "A running server swaps it in with POST /v1/admin/bundle {\"path\": DIR}.")
        { output, app, config };
        command.SetAction(async (parse, _) =>
        {
            string dir = parse.GetValue(CommonOptions.DataDir)!;
            var (opened, service, error) = await CommonOptions.OpenServiceAsync(dir, parse.GetValue(config));
            if (error is not null)
            {
                return CommonOptions.Fail(error);
            }
            using var engine = opened!;
            string appName = parse.GetValue(app)!;
            var trained = await AnsiConsole.Status().StartAsync("training the pipeline…", _ => Task.FromResult(service!.Bundles.Train(appName)));
            AnsiConsole.MarkupLineInterpolated($"Trained bundle {trained.BundleVersion}: {trained.Users:N0} users × {trained.Items:N0} items, {trained.Interactions:N0} interactions, in {trained.Elapsed.TotalSeconds:0.0} s.");
            if (trained.Note is { } note)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]Note:[/] {note}");
            }
            var manifest = service!.Bundles.SaveBundle(appName, parse.GetValue(output)!);
            AnsiConsole.MarkupLineInterpolated($"Wrote {Path.GetFullPath(parse.GetValue(output)!)}: {manifest.Models.Count} model file(s){(manifest.Ranker is null ? "" : " and the ranker")}, log sequence {manifest.Sequence:N0}.");
            return 0;
        });
        return command;
    }
}
