using System.CommandLine;
using Cascade.Core.Domain;
using Cascade.Serving;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>`cascade batch`: precomputes every user's recommendations into the batch store.</summary>
internal static class BatchCommand
{
    public static Command Create()
    {
        var n = new Option<int>("--n") { Description = "Items stored per user (more than a page, so read-time filters leave enough). Default 100.", DefaultValueFactory = _ => 100 };
        var app = new Option<string>("--app") { Description = "The app. Default \"default\".", DefaultValueFactory = _ => Apps.Default };
        var config = ServeCommand.Config();
        var command = new Command("batch",
            "Train the configured pipeline on the log and precompute top-n for every user into DATA/batch.sqlite, in parallel. " +
            "Interrupted runs resume (same log sequence). `cascade serve` serves from it when Cascade:ServeFromBatch is true, filtering at read time.")
        { n, app, config };
        command.SetAction(async (parse, ct) =>
        {
            string dir = parse.GetValue(CommonOptions.DataDir)!;
            int count = parse.GetValue(n);
            if (count is < 1 or > 1000)
            {
                return CommonOptions.Fail($"--n {count} is outside 1–1000.");
            }
            var (opened, service, error) = await CommonOptions.OpenServiceAsync(dir, parse.GetValue(config));
            if (error is not null)
            {
                return CommonOptions.Fail(error);
            }
            using var engine = opened!;
            string appName = parse.GetValue(app)!;
            AnsiConsole.MarkupLine("Training the pipeline…");
            var trained = service!.Bundles.Train(appName);
            AnsiConsole.MarkupLineInterpolated($"Trained bundle {trained.BundleVersion}: {trained.Users:N0} users × {trained.Items:N0} items in {trained.Elapsed.TotalSeconds:0.0} s.");
            using var store = new BatchStore(BatchStore.DefaultPath(dir));
            try
            {
                var summary = await CommonOptions.WithProgressAsync("users", trained.Users, p => Task.Run(() => service!.RunBatch(appName, store, count, p, ct), ct));
                AnsiConsole.MarkupLineInterpolated($"Stored top-{count} of {summary.Users:N0} users ({summary.Computed:N0} computed now, {summary.Resumed:N0} resumed from an interrupted run) for log sequence {summary.Sequence:N0} in {summary.Elapsed.TotalSeconds:0.0} s.");
                return 0;
            }
            catch (OperationCanceledException)
            {
                AnsiConsole.MarkupLine("Interrupted; run the same command again to resume.");
                return 130;
            }
        });
        return command;
    }
}
