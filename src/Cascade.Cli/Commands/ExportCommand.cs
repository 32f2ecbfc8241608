using System.CommandLine;
using Cascade.Core.Domain;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;
using Cascade.Tooling;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>
/// `cascade export parquet DIR`: the data folder's events, items, users and batch recommendations as Parquet files;
/// `cascade export onnx MODEL OUT`: a model as ONNX.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var command = new Command("export", "Write the engine's data to files that other tools read (pandas, Polars, Spark, DuckDB).");
        command.Subcommands.Add(ParquetCommand());
        command.Subcommands.Add(OnnxCommand());
        return command;
    }

    private static Command OnnxCommand()
    {
        var model = new Argument<string>("MODEL") { Description = "A Cascade model file: a dcnv2 ranker (cascade ctr --save) or a two-tower model." };
        var output = new Argument<string>("OUT") { Description = "The .onnx file to write (replaced if present)." };
        var tower = new Option<string?>("--tower") { Description = "For a two-tower model: user or item." };
        var command = new Command("onnx",
            "Write a model as ONNX (opset 13) for ONNX Runtime or any other runtime: a dcnv2 ranker (inputs categorical and numeric, output probability; " +
            "the onnx ranker reads its feature mapping from the file) or one tower of a two-tower model. See docs/rankers-onnx.md.")
        { model, output, tower };
        command.SetAction(parse =>
        {
            string modelPath = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            Cascade.Models.Neural.TwoTowerSide? side = parse.GetValue(tower)?.ToLowerInvariant() switch
            {
                null => null,
                "user" => Cascade.Models.Neural.TwoTowerSide.User,
                "item" => Cascade.Models.Neural.TwoTowerSide.Item,
                _ => null,
            };
            if (side is null && parse.GetValue(tower) is { } given)
            {
                return CommonOptions.Fail($"--tower '{given}' is not user or item.");
            }
            if (!File.Exists(modelPath))
            {
                return CommonOptions.Fail($"MODEL '{modelPath}' does not exist.");
            }
            string temp = outPath + ".tmp";
            try
            {
                string description;
                using (var stream = File.Create(temp))
                {
                    description = Cascade.Pipeline.Ranking.OnnxExport.Write(modelPath, stream, side);
                }
                File.Move(temp, outPath, overwrite: true);
                Console.WriteLine($"Wrote {Path.GetFullPath(outPath)}: {description}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                File.Delete(temp);
                return CommonOptions.Fail(e.Message);
            }
        });
        return command;
    }

    private static Command ParquetCommand()
    {
        var dir = new Argument<string>("DIR") { Description = "Folder to write events.parquet, items.parquet, users.parquet and recommendations.parquet to (created when absent; files there are replaced)." };
        var app = new Option<string>("--app") { Description = "The app. Default \"default\".", DefaultValueFactory = _ => Apps.Default };
        var command = new Command("parquet",
            "Export the app's events (every event in the log, in log order), items (as the catalog holds them now, hidden ones too), " +
            "users (each one's latest attributes) and the batch recommendations of `cascade batch` as Parquet. " +
            "`cascade import parquet` reads the first three back.")
        { dir, app };
        command.SetAction(async (parse, ct) =>
        {
            string dataDir = parse.GetValue(CommonOptions.DataDir)!;
            if (!Directory.Exists(Path.Combine(dataDir, "log")))
            {
                return CommonOptions.Fail($"'{dataDir}' holds no event log; ingest or generate data first (cascade generate / import), or pass --data-dir.");
            }
            string output = parse.GetValue(dir)!;
            try
            {
                Directory.CreateDirectory(output);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CommonOptions.Fail($"cannot create the folder '{output}': {e.Message}");
            }
            string appName = parse.GetValue(app)!;
            using var engine = CommonOptions.OpenEngine(dataDir);
            await CommonOptions.CatchUpCatalogAsync(engine);

            var users = new Dictionary<string, User>(StringComparer.Ordinal);
            long events = await CommonOptions.WithProgressAsync("events", engine.Log.LastSequence,
                p => ParquetFiles.WriteEventsAsync(Path.Combine(output, "events.parquet"), ReadLog(engine, appName, users, p), ct));
            long items = await ParquetFiles.WriteItemsAsync(Path.Combine(output, "items.parquet"), engine.Catalog.ListItems(appName), ct);
            long userRows = await ParquetFiles.WriteUsersAsync(Path.Combine(output, "users.parquet"), users.Values, ct);
            string batchPath = BatchStore.DefaultPath(dataDir);
            long recommendations = 0;
            if (File.Exists(batchPath))
            {
                using var store = new BatchStore(batchPath);
                recommendations = await ParquetFiles.WriteRecommendationsAsync(Path.Combine(output, "recommendations.parquet"), Recommendations(store, appName), ct);
            }
            else
            {
                await ParquetFiles.WriteRecommendationsAsync(Path.Combine(output, "recommendations.parquet"), [], ct);
            }
            AnsiConsole.MarkupLineInterpolated($"Wrote {events:N0} events, {items:N0} items, {userRows:N0} users and {recommendations:N0} recommendations to {output}.");
            if (!File.Exists(batchPath))
            {
                AnsiConsole.MarkupLine("No batch recommendations yet (run `cascade batch`): recommendations.parquet is empty.");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The app's events in log order; the latest version of each of its users is collected on the way (users are upserts in the log).</summary>
    private static IEnumerable<FeedbackEvent> ReadLog(CascadeEngine engine, string app, Dictionary<string, User> users, IProgress<long> progress)
    {
        foreach (var record in engine.Log.ReadFrom())
        {
            if (record.Kind == RecordKind.Event)
            {
                var e = RecordCodec.DecodeEvent(record.Payload.Span);
                if (e.App == app)
                {
                    yield return e;
                }
            }
            else if (record.Kind == RecordKind.UserUpsert)
            {
                var user = RecordCodec.DecodeUser(record.Payload.Span);
                if (user.App == app)
                {
                    users[user.Id] = user;
                }
            }
            if ((record.Sequence & 4095) == 0)
            {
                progress.Report(record.Sequence);
            }
        }
    }

    private static IEnumerable<ParquetRecommendationRow> Recommendations(BatchStore store, string app)
    {
        foreach (var (userId, items, sequence, computedMs) in store.ReadAll(app))
        {
            var computedAt = DateTimeOffset.FromUnixTimeMilliseconds(computedMs).UtcDateTime;
            for (int i = 0; i < items.Count; i++)
            {
                yield return new ParquetRecommendationRow
                {
                    UserId = userId,
                    Rank = i + 1,
                    ItemId = items[i].ItemId,
                    Score = items[i].Score,
                    Sources = [.. items[i].Sources],
                    Sequence = sequence,
                    ComputedAt = computedAt,
                };
            }
        }
    }
}
