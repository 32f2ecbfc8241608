using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Cascade.Core.Domain;
using Cascade.Server;
using Cascade.Serving;
using Cascade.Serving.Ingestion;
using Cascade.Tooling;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>
/// `cascade demo`: the main job end to end. Generates a synthetic catalog and event stream, ingests it through
/// the API's own code path, trains the baseline, starts the server and prints requests that work.
/// </summary>
internal static class DemoCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var users = GenerateCommand.Users();
        var items = GenerateCommand.Items();
        var events = GenerateCommand.Events();
        var seed = GenerateCommand.Seed();
        var urls = ServeCommand.Urls();
        var smoke = new Option<bool>("--smoke") { Description = "Start, answer one recommendation request against the running server, print it and exit (for CI)." };
        var command = new Command("demo", "Generate data, ingest it, train the baseline and serve recommendations on the embedded store.") { users, items, events, seed, urls, smoke };
        command.SetAction(async (parse, ct) =>
        {
            SyntheticOptions options;
            try
            {
                options = new SyntheticOptions
                {
                    Users = parse.GetValue(users),
                    Items = parse.GetValue(items),
                    Events = parse.GetValue(events),
                    Seed = parse.GetValue(seed),
                    End = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero), // the stream ends today, so "trending" means recent
                }.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                return CommonOptions.Fail(ex.Message);
            }
            string dataDir = parse.GetValue(CommonOptions.DataDir)!;
            string url = parse.GetValue(urls) ?? ServerOptions.DefaultUrl;
            AnsiConsole.Write(new Rule("[bold]Cascade demo[/]").LeftJustified());
            AnsiConsole.MarkupLineInterpolated($"Data folder: [bold]{Path.GetFullPath(dataDir)}[/]");

            var engine = CommonOptions.OpenEngine(dataDir);
            var ingest = new IngestService(engine);
            var counts = engine.Catalog.Count(Apps.Default);
            if (counts.Events > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"The folder already holds {counts.Items:N0} items, {counts.Users:N0} users and {counts.Events:N0} events; serving them (use another --data-dir for fresh data).");
            }
            else
            {
                var data = new SyntheticData(options);
                var sw = Stopwatch.StartNew();
                var loaded = await CommonOptions.WithProgressAsync("ingesting", options.Items + options.Users + options.Events, async p =>
                {
                    var r = await BulkIngest.ItemsAsync(ingest, Apps.Default, data.Items(), p);
                    long done = options.Items;
                    r = r.Plus(await BulkIngest.UsersAsync(ingest, Apps.Default, data.Users(), new Progress<long>(v => p.Report(done + v))));
                    done += options.Users;
                    return r.Plus(await BulkIngest.EventsAsync(ingest, Apps.Default, data.Events(), new Progress<long>(v => p.Report(done + v))));
                });
                AnsiConsole.MarkupLineInterpolated($"Ingested {loaded.Stored:N0} records ({loaded.Invalid} invalid) in {sw.Elapsed.TotalSeconds:0.0} s, fsync'd, through the API's validation and write path.");
            }

            await CommonOptions.CatchUpCatalogAsync(engine);

            WebApplication app;
            try
            {
                app = CascadeServer.Build([], new Dictionary<string, string?> { ["Cascade:DataDirectory"] = dataDir, ["urls"] = url }, engine);
            }
            catch (InvalidOperationException ex)
            {
                engine.Dispose();
                return CommonOptions.Fail(ex.Message);
            }
            await app.StartAsync(ct);
            // The server trains its first bundle in the background at start; requests before it get 503.
            var service = app.Services.GetRequiredService<RecommendationService>();
            await AnsiConsole.Status().StartAsync("training the pipeline…", _ => service.Bundles.WaitForBundleAsync(Apps.Default, ct));
            if (service.Bundles.LastTraining(Apps.Default) is { } trained)
            {
                AnsiConsole.MarkupLineInterpolated($"Trained the pipeline (bundle {trained.BundleVersion}) on {trained.Interactions:N0} interactions of {trained.Users:N0} users × {trained.Items:N0} items in {trained.Elapsed.TotalMilliseconds:0} ms.");
            }
            string baseUrl = app.Urls.First().TrimEnd('/');
            string user = SyntheticData.UserId(0);
            AnsiConsole.Write(new Rule("[bold]Serving[/]").LeftJustified());
            AnsiConsole.MarkupLineInterpolated($"Listening on [bold]{baseUrl}[/]. Try:");
            foreach (var line in Examples(baseUrl, user))
            {
                Console.Out.WriteLine("  " + line); // never wrapped: a command must stay copyable
            }
            using (var http = new HttpClient { BaseAddress = new Uri(baseUrl) })
            {
                var response = await http.GetFromJsonAsync<JsonElement>($"/v1/recommend/{user}?n=5", ct);
                AnsiConsole.MarkupLineInterpolated($"GET /v1/recommend/{user}?n=5 answered:");
                Console.Out.WriteLine(JsonSerializer.Serialize(response, Indented));
            }
            if (parse.GetValue(smoke))
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
                return 0;
            }
            AnsiConsole.MarkupLine("Press Ctrl+C to stop.");
            await app.WaitForShutdownAsync(ct);
            await app.DisposeAsync();
            return 0;
        });
        return command;
    }

    private static IEnumerable<string> Examples(string baseUrl, string user)
    {
        yield return $"curl -s '{baseUrl}/v1/recommend/{user}?n=10'";
        yield return $"curl -s -X POST {baseUrl}/v1/events -H 'Content-Type: application/json' -d '{{\"userId\":\"{user}\",\"itemId\":\"i1\",\"type\":\"click\"}}'";
        yield return $"curl -s {baseUrl}/v1/users/{user}/events?limit=5";
        yield return $"curl -s -X PUT {baseUrl}/v1/items/new-1 -H 'Content-Type: application/json' -d '{{\"title\":\"A new item\",\"categories\":[\"news\"]}}'";
        yield return $"curl -s {baseUrl}/v1/items/new-1";
        yield return $"curl -s {baseUrl}/openapi/v1.json";
    }
}
