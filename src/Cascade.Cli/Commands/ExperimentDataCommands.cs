using System.CommandLine;
using System.Text.Json;
using Cascade.Core.Domain;
using Cascade.Experiments;
using Cascade.Server;
using Cascade.Server.Experiments;
using Cascade.Serving;

namespace Cascade.Cli.Commands;

/// <summary>
/// <c>cascade experiment create|start|stop|list|report</c> on a data folder: the same rules and records as the
/// server's <c>/v1/experiments</c> endpoints (<see cref="ExperimentService"/>), for when no server holds the folder.
/// </summary>
internal static class ExperimentDataCommands
{
    private static readonly JsonSerializerOptions Indented = new(ExperimentDefinition.Json) { WriteIndented = true };

    // As the API reads a definition: an unknown field is an error, not ignored.
    private static readonly JsonSerializerOptions Strict = new(ExperimentDefinition.Json) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };

    private static Option<string> AppOption() => new("--app") { Description = "The app. Default \"default\".", DefaultValueFactory = _ => Apps.Default };

    /// <summary>The verbs, to add to <c>cascade experiment</c>.</summary>
    public static IEnumerable<Command> Create()
    {
        yield return CreateCreate();
        yield return Change("start", "Start a draft experiment: it takes a range of its layer's buckets and assigns units from then on.", (s, app, id) => s.StartAsync(app, id, CancellationToken.None));
        yield return Change("stop", "Stop a running experiment: nobody is assigned any more; its report stays.", (s, app, id) => s.StopAsync(app, id, CancellationToken.None));
        yield return CreateList();
        yield return CreateReport();
    }

    private static Command CreateCreate()
    {
        var file = new Option<string>("--file") { Description = "The definition, as JSON (the body of POST /v1/experiments; docs/experiments.md).", Required = true };
        var app = AppOption();
        var command = new Command("create", "Define an experiment (a draft, version 1) from a JSON file.") { file, app };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(file)!;
            ExperimentDefinition? definition;
            try
            {
                definition = JsonSerializer.Deserialize<ExperimentDefinition>(await File.ReadAllTextAsync(path, cancellationToken), Strict);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
                await Console.Error.WriteLineAsync($"error: --file '{path}': {e.Message}");
                return 2;
            }
            if (definition is null)
            {
                await Console.Error.WriteLineAsync($"error: --file '{path}' holds no definition.");
                return 2;
            }
            return await WithService(parse, async (service, appName) => Print(await service.CreateAsync(appName, definition, cancellationToken)), app);
        });
        return command;
    }

    private static Command Change(string name, string description, Func<ExperimentService, string, string, Task<(ExperimentDefinition, int)>> change)
    {
        var id = new Argument<string>("id") { Description = "The experiment's id." };
        var app = AppOption();
        var command = new Command(name, description) { id, app };
        command.SetAction((parse, _) => WithService(parse, async (service, appName) => Print(await change(service, appName, parse.GetValue(id)!)), app));
        return command;
    }

    private static Command CreateList()
    {
        var app = AppOption();
        var command = new Command("list", "List the app's experiments (newest version of each) as JSON.") { app };
        command.SetAction((parse, _) => WithService(parse, (service, appName) =>
        {
            Console.WriteLine(JsonSerializer.Serialize(service.List(appName).Select(x => new { experiment = x.Definition, version = x.Version }), Indented));
            return Task.FromResult(0);
        }, app));
        return command;
    }

    private static Command CreateReport()
    {
        var id = new Argument<string>("id") { Description = "The experiment's id." };
        var app = AppOption();
        var format = new Option<string>("--format") { Description = "markdown (a table) or json (what GET /v1/experiments/{id}/report answers). Default markdown.", DefaultValueFactory = _ => "markdown" };
        var output = new Option<string?>("--output") { Description = "Write the report to this file instead of standard output." };
        var command = new Command("report", "The experiment's report from the log: exposures, metrics with intervals, sequential p-values, SRM, guardrails, verdict.") { id, app, format, output };
        command.SetAction((parse, cancellationToken) =>
        {
            string kind = parse.GetValue(format)!;
            if (kind is not ("markdown" or "json"))
            {
                Console.Error.WriteLine($"error: --format '{kind}' must be markdown or json.");
                return Task.FromResult(2);
            }
            return WithService(parse, async (service, appName) =>
            {
                var response = service.Report(appName, parse.GetValue(id)!, cancellationToken);
                string text = kind == "json" ? JsonSerializer.Serialize(response, ReportJson)
                    : response.Report is { } report ? ReportMarkdown.Render(report) + $"\n{response.EventsRead:N0} events read in {response.ElapsedMs:0} ms; {response.ForcedImpressions:N0} forced impressions and {response.LateOutcomes:N0} late outcomes left out.\n"
                    : $"# Experiment {response.Experiment.Id}\n\n{response.Note}\n";
                if (parse.GetValue(output) is { } path)
                {
                    await File.WriteAllTextAsync(path, text, cancellationToken);
                }
                else
                {
                    Console.Write(text);
                }
                return 0;
            }, app);
        });
        return command;
    }

    private static readonly JsonSerializerOptions ReportJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static int Print((ExperimentDefinition Definition, int Version) result)
    {
        Console.WriteLine(JsonSerializer.Serialize(new { experiment = result.Definition, version = result.Version }, Indented));
        return 0;
    }

    // Opens the data folder (its lock: a running server refuses this, naming its pid), runs the work, and maps a
    // refusal to a message naming the field with exit code 1.
    private static async Task<int> WithService(ParseResult parse, Func<ExperimentService, string, Task<int>> work, Option<string> app)
    {
        string dir = parse.GetValue(CommonOptions.DataDir)!;
        if (!Directory.Exists(Path.Combine(dir, "log")))
        {
            return CommonOptions.Fail($"'{dir}' holds no event log; ingest or generate data first, or pass --data-dir.");
        }
        var options = ServerOptions.Load();
        using var engine = CommonOptions.OpenEngine(dir);
        await CommonOptions.CatchUpCatalogAsync(engine);
        var service = new ExperimentService(engine, new RecommendationService(engine, options.ToRecommendationOptions() with { LogImpressions = false }), options.ExperimentHoldout,
            options.BundlesDirectory.Length > 0 ? options.BundlesDirectory : Path.Combine(dir, "bundles"));
        try
        {
            return await work(service, parse.GetValue(app)!);
        }
        catch (ExperimentRefusedException e)
        {
            return CommonOptions.Fail($"{e.Field}: {e.Message}");
        }
    }
}
