using System.CommandLine;
using Cascade.Core.Domain;
using Cascade.Serving.Ingestion;
using Cascade.Tooling;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>`cascade import movielens|csv|jsonl|parquet`: loads files through the API's own ingestion path.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var command = new Command("import", "Load data into the engine through the same validation and write path as the API.");
        command.Subcommands.Add(MovieLensCommand());
        command.Subcommands.Add(CsvCommand());
        command.Subcommands.Add(JsonLinesCommand());
        command.Subcommands.Add(ParquetCommand());
        return command;
    }

    private static Command MovieLensCommand()
    {
        var dir = new Argument<string>("DIR") { Description = "A MovieLens folder in the ml-100k (u.data, u.item, u.user) or ml-1m (ratings.dat, movies.dat, users.dat) layout." };
        var durability = CommonOptions.Durability();
        var command = new Command("movielens", "Import MovieLens movies (items, genres as categories), users and ratings (rating events).") { dir, durability };
        command.SetAction(async (parse, _) =>
        {
            MovieLens ml;
            try
            {
                ml = MovieLens.Open(parse.GetValue(dir)!);
            }
            catch (FileNotFoundException ex)
            {
                return CommonOptions.Fail(ex.Message);
            }
            using var engine = CommonOptions.OpenEngine(parse.GetValue(CommonOptions.DataDir)!, parse.GetValue(durability));
            var ingest = new IngestService(engine);
            var items = await BulkIngest.ItemsAsync(ingest, Apps.Default, ml.Items());
            var users = await BulkIngest.UsersAsync(ingest, Apps.Default, ml.Users());
            long size = new FileInfo(ml.RatingsPath).Length;
            var ratings = await CommonOptions.WithProgressAsync("ratings", size, p => BulkIngest.EventsAsync(ingest, Apps.Default, ml.Ratings(p)));
            await CommonOptions.CatchUpCatalogAsync(engine);
            Report("items", items);
            Report("users", users);
            Report("ratings", ratings);
            return ratings.Invalid + items.Invalid + users.Invalid > 0 ? 2 : 0;
        });
        return command;
    }

    private static Command CsvCommand()
    {
        var file = new Argument<string>("FILE") { Description = "A CSV file of events with a header: userId,itemId,type[,timestamp,value,eventId,requestId,position]." };
        var durability = CommonOptions.Durability();
        var command = new Command("csv", "Import events from CSV.") { file, durability };
        command.SetAction(async (parse, _) =>
        {
            string path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                return CommonOptions.Fail($"'{path}' does not exist.");
            }
            using var engine = CommonOptions.OpenEngine(parse.GetValue(CommonOptions.DataDir)!, parse.GetValue(durability));
            var ingest = new IngestService(engine);
            try
            {
                var result = await CommonOptions.WithProgressAsync("events", new FileInfo(path).Length, p => BulkIngest.EventsAsync(ingest, Apps.Default, FileReaders.CsvEvents(path, p)));
                await CommonOptions.CatchUpCatalogAsync(engine);
                Report("events", result);
                return result.Invalid > 0 ? 2 : 0;
            }
            catch (InvalidDataException ex)
            {
                return CommonOptions.Fail(ex.Message);
            }
        });
        return command;
    }

    private static Command JsonLinesCommand() => KindCommand(
        "jsonl",
        "Import events, items or users from JSON Lines (as written by `cascade generate`).",
        "A JSON Lines file: one object per line, in the API's shape.",
        new KindReaders(
            path => new FileInfo(path).Length,
            FileReaders.JsonLines<EventInput>,
            FileReaders.JsonLines<ItemInput>,
            FileReaders.JsonLines<UserInput>));

    private static Command ParquetCommand() => KindCommand(
        "parquet",
        "Import events, items or users from Parquet (the layout `cascade export parquet` writes; see docs/cli.md).",
        "A Parquet file with the API's field names as columns (events.parquet, items.parquet or users.parquet of an export).",
        new KindReaders(ParquetFiles.CountRows, ParquetFiles.Events, ParquetFiles.Items, ParquetFiles.Users));

    /// <summary>How one file format reads each kind of record; Size is the progress bar's total (bytes or rows) and may throw InvalidDataException.</summary>
    private sealed record KindReaders(
        Func<string, long> Size,
        Func<string, IProgress<long>?, IEnumerable<EventInput>> Events,
        Func<string, IProgress<long>?, IEnumerable<ItemInput>> Items,
        Func<string, IProgress<long>?, IEnumerable<UserInput>> Users);

    /// <summary>`cascade import FORMAT FILE --kind events|items|users` for a format that holds any of the three kinds.</summary>
    private static Command KindCommand(string name, string description, string fileDescription, KindReaders readers)
    {
        var file = new Argument<string>("FILE") { Description = fileDescription };
        var kind = new Option<string>("--kind") { Description = "What the records are: events, items or users.", DefaultValueFactory = _ => "events" };
        kind.AcceptOnlyFromAmong("events", "items", "users");
        var durability = CommonOptions.Durability();
        var command = new Command(name, description) { file, kind, durability };
        command.SetAction(async (parse, _) =>
        {
            string path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                return CommonOptions.Fail($"'{path}' does not exist.");
            }
            using var engine = CommonOptions.OpenEngine(parse.GetValue(CommonOptions.DataDir)!, parse.GetValue(durability));
            var ingest = new IngestService(engine);
            string k = parse.GetValue(kind)!;
            try
            {
                long size = readers.Size(path);
                var result = await CommonOptions.WithProgressAsync(k, size, p => k switch
                {
                    "items" => BulkIngest.ItemsAsync(ingest, Apps.Default, readers.Items(path, p)),
                    "users" => BulkIngest.UsersAsync(ingest, Apps.Default, readers.Users(path, p)),
                    _ => BulkIngest.EventsAsync(ingest, Apps.Default, readers.Events(path, p)),
                });
                await CommonOptions.CatchUpCatalogAsync(engine);
                Report(k, result);
                return result.Invalid > 0 ? 2 : 0;
            }
            catch (InvalidDataException ex)
            {
                return CommonOptions.Fail(ex.Message);
            }
        });
        return command;
    }

    internal static void Report(string what, BulkResult r)
    {
        // The markup is literal here; only the interpolated text is escaped (MarkupLineInterpolated would escape the tags too).
        string invalid = r.Invalid > 0 ? $"[red]{r.Invalid:N0} invalid[/]" : $"{r.Invalid:N0} invalid";
        AnsiConsole.MarkupLine($"{Markup.Escape(what)}: [green]{r.Stored:N0} stored[/], {r.Duplicates:N0} duplicates, {invalid}");
        foreach (var e in r.FirstErrors)
        {
            AnsiConsole.MarkupLineInterpolated($"  [red]{e}[/]");
        }
    }
}
