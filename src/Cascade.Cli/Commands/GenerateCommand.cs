using System.CommandLine;
using System.Text.Json;
using Cascade.Serving.Ingestion;
using Cascade.Tooling;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>`cascade generate`: writes a synthetic catalog and event stream as JSON Lines.</summary>
internal static class GenerateCommand
{
    public static Option<int> Users() => new("--users") { Description = "Number of users.", DefaultValueFactory = _ => new SyntheticOptions().Users };

    public static Option<int> Items() => new("--items") { Description = "Number of items.", DefaultValueFactory = _ => new SyntheticOptions().Items };

    public static Option<long> Events() => new("--events") { Description = "Approximate number of events (impressions included).", DefaultValueFactory = _ => new SyntheticOptions().Events };

    public static Option<int> Seed() => new("--seed") { Description = "Random seed; the same seed gives the same data.", DefaultValueFactory = _ => new SyntheticOptions().Seed };

    public static Option<int> Days() => new("--days") { Description = "Days the event stream spans.", DefaultValueFactory = _ => new SyntheticOptions().Days };

    public static Command Create()
    {
        var users = Users();
        var items = Items();
        var events = Events();
        var seed = Seed();
        var days = Days();
        var output = new Option<string>("--out") { Description = "Folder to write items.jsonl, users.jsonl and events.jsonl to.", DefaultValueFactory = _ => "./cascade-generated" };
        var command = new Command("generate", "Write a realistic synthetic catalog and event stream (power-law popularity, taste clusters, position-biased clicks) as JSON Lines, ready for `cascade import jsonl`.")
        {
            users, items, events, seed, days, output,
        };
        command.SetAction(async (parse, _) =>
        {
            SyntheticOptions options;
            try
            {
                options = new SyntheticOptions { Users = parse.GetValue(users), Items = parse.GetValue(items), Events = parse.GetValue(events), Seed = parse.GetValue(seed), Days = parse.GetValue(days) }.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                return CommonOptions.Fail(ex.Message);
            }
            string dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            var data = new SyntheticData(options);
            long written = await CommonOptions.WithProgressAsync("generating", options.Items + options.Users + options.Events, progress =>
            {
                long n = 0;
                n += Write(Path.Combine(dir, "items.jsonl"), data.Items(), progress, n);
                n += Write(Path.Combine(dir, "users.jsonl"), data.Users(), progress, n);
                n += Write(Path.Combine(dir, "events.jsonl"), data.Events(), progress, n);
                return Task.FromResult(n);
            });
            AnsiConsole.MarkupLineInterpolated($"Wrote {written:N0} records to [bold]{Path.GetFullPath(dir)}[/]. Load them with:");
            AnsiConsole.WriteLine($"  cascade import jsonl {Path.Combine(dir, "items.jsonl")} --kind items");
            AnsiConsole.WriteLine($"  cascade import jsonl {Path.Combine(dir, "users.jsonl")} --kind users");
            AnsiConsole.WriteLine($"  cascade import jsonl {Path.Combine(dir, "events.jsonl")}");
            return 0;
        });
        return command;
    }

    private static long Write<T>(string path, IEnumerable<T> records, IProgress<long> progress, long offset)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using var writer = new Utf8JsonWriter(stream);
        long n = 0;
        foreach (var r in records)
        {
            JsonSerializer.Serialize(writer, r, CascadeJson.Options);
            writer.Flush();
            stream.WriteByte((byte)'\n');
            writer.Reset();
            if ((++n & 4095) == 0)
            {
                progress.Report(offset + n);
            }
        }
        progress.Report(offset + n);
        return n;
    }
}
