using System.CommandLine;
using System.Diagnostics;
using Cascade.Core.Domain;
using Cascade.Storage.Snapshot;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>`cascade rebuild`: derives every store again from the event log.</summary>
internal static class RebuildCommand
{
    public static Command Create()
    {
        var command = new Command("rebuild", "Rebuild every derived store (catalog, id mapping, training snapshot) from the event log, the source of truth.");
        command.SetAction(async (parse, _) =>
        {
            string dir = parse.GetValue(CommonOptions.DataDir)!;
            if (!Directory.Exists(Path.Combine(dir, "log")))
            {
                return CommonOptions.Fail($"'{dir}' holds no event log; nothing to rebuild. Pass --data-dir.");
            }
            using var engine = CommonOptions.OpenEngine(dir);
            var sw = Stopwatch.StartNew();
            long records = await CommonOptions.WithProgressAsync("catalog", engine.Log.LastSequence, p => Task.FromResult(engine.RebuildCatalog(p)));
            var counts = engine.Catalog.Count(Apps.Default);
            var snapshot = InteractionSnapshot.Build(engine);
            AnsiConsole.MarkupLineInterpolated($"Rebuilt from {records:N0} log records in {sw.Elapsed.TotalSeconds:0.00} s: {counts.Items:N0} items, {counts.Users:N0} users, {counts.Events:N0} events; interaction matrix {snapshot.Matrix.Rows:N0} × {snapshot.Matrix.Columns:N0} with {snapshot.Matrix.NonZeros:N0} entries.");
            return 0;
        });
        return command;
    }
}
