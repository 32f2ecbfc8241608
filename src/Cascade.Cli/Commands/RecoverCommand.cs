using System.CommandLine;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>
/// `cascade recover`: the operator's path when the event log no longer holds what the derived stores were built from
/// (the engine refuses to open). Shows what accepting the log as it is means; with --yes, does it.
/// </summary>
internal static class RecoverCommand
{
    /// <summary>The exit code when there is something to recover and --yes was not given.</summary>
    public const int NeedsConfirmation = 2;

    public static Command Create()
    {
        var yes = new Option<bool>("--yes")
        {
            Description = "Confirm: accept the event log as it is and derive the catalog and the checkpoints again from it (losing what only they held). Without it, recover only reports.",
        };
        var command = new Command("recover", "When the event log is shorter than, or another log than, what the derived stores were built from: report what accepting it as it is would lose, and with --yes do it.") { yes };
        command.SetAction(async (parse, ct) =>
        {
            string dir = parse.GetValue(CommonOptions.DataDir)!;
            if (!Directory.Exists(dir))
            {
                return CommonOptions.Fail($"'{dir}' does not exist; pass --data-dir.");
            }
            var options = CommonOptions.EngineOptionsFor(dir);
            var check = CascadeEngine.Inspect(options);
            if (check.LogRecovery.Repaired)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]warning: opening the event log {check.LogRecovery.Describe()}.[/]");
            }
            AnsiConsole.MarkupLineInterpolated($"Event log {check.LogId:x8} in '{Path.Combine(check.DataDirectory, "log")}': records 1 to {check.LogLastSequence:N0}.");
            if (check.Agrees)
            {
                AnsiConsole.MarkupLine("The log holds everything the catalog and the checkpoints were built from: nothing to recover.");
                return 0;
            }
            AnsiConsole.MarkupLine("[red]The log does not hold what these derived stores were built from:[/]");
            AnsiConsole.Write(new Text(check.Describe()));
            AnsiConsole.MarkupLineInterpolated($"""
                Recovering accepts the log as it is: {string.Join(", ", check.Mismatches.Select(m => m.Store))} will be discarded and derived again from its {check.LogLastSequence:N0} records.
                Lost for good: [bold]{check.RecordsLost:N0}[/] log record(s) the stores had seen, [bold]{check.EventsLost:N0}[/] event(s) in the catalog.
                If a backup of the log exists, restore it instead (stop here).
                """);
            if (!parse.GetValue(yes))
            {
                AnsiConsole.MarkupLine("Nothing was changed. Run again with [bold]--yes[/] to recover.");
                return NeedsConfirmation;
            }
            using var engine = CommonOptions.ReportRepairs(CascadeEngine.Open(options with { AcceptLogAsIs = true }));
            await CommonOptions.CatchUpCatalogAsync(engine);
            await engine.WaitForAllAsync(engine.Log.LastSequence, ct);
            engine.CheckpointProjections();
            var counts = engine.Catalog.Count(Apps.Default);
            AnsiConsole.MarkupLineInterpolated($"Recovered: the derived stores now follow the log up to sequence {engine.Log.LastSequence:N0} (app {Apps.Default}: {counts.Items:N0} items, {counts.Users:N0} users, {counts.Events:N0} events).");
            return 0;
        });
        return command;
    }
}
