using System.CommandLine;
using Cascade.Server;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>Options shared by several verbs, and small helpers for console output.</summary>
internal static class CommonOptions
{
    /// <summary>--data-dir, on every verb.</summary>
    public static readonly Option<string> DataDir = new("--data-dir")
    {
        Description = "Folder where the engine keeps its state (event log, catalog, models).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CASCADE_DATA_DIR") is { Length: > 0 } d ? d : EngineOptions.DefaultDataDirectory,
        Recursive = true,
    };

    /// <summary>--durability, on verbs that write.</summary>
    public static Option<DurabilityMode> Durability() => new("--durability")
    {
        Description = "When writes are fsync'd: EveryBatch (safest), Interval or Off. See docs/guarantees.md.",
        DefaultValueFactory = _ => DurabilityMode.EveryBatch,
    };

    /// <summary>The engine options of <paramref name="dataDir"/>: the server's configuration (appsettings.json, Cascade__* variables), so verbs accept the same event types.</summary>
    public static EngineOptions EngineOptionsFor(string dataDir, DurabilityMode durability = DurabilityMode.EveryBatch)
    {
        var configured = ServerOptions.Load().ToEngineOptions();
        return configured with { DataDirectory = dataDir, Log = configured.Log with { Durability = durability } };
    }

    /// <summary>Opens the engine of the data folder, reporting every repair opening it made.</summary>
    public static CascadeEngine OpenEngine(string dataDir, DurabilityMode durability = DurabilityMode.EveryBatch) =>
        ReportRepairs(CascadeEngine.Open(EngineOptionsFor(dataDir, durability)));

    /// <summary>Prints the engine's repairs (warnings) and returns it.</summary>
    public static CascadeEngine ReportRepairs(CascadeEngine engine)
    {
        foreach (var repair in engine.Repairs)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]warning: repaired the data folder ({repair.Kind}): {repair.Detail}[/]");
        }
        return engine;
    }

    /// <summary>Prints an error the user can act on and returns the exit code for it.</summary>
    public static int Fail(string message)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
        return 1;
    }

    /// <summary>Runs <paramref name="work"/> with a progress bar of <paramref name="total"/> units.</summary>
    public static async Task<T> WithProgressAsync<T>(string label, long total, Func<IProgress<long>, Task<T>> work)
    {
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(label, maxValue: Math.Max(1, total));
                result = await work(new Progress<long>(v => task.Value = Math.Min(v, total))).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary>Waits, with a progress bar, until the catalog has applied everything in the log.</summary>
    public static async Task CatchUpCatalogAsync(CascadeEngine engine)
    {
        long target = engine.Log.LastSequence;
        if (engine.Catalog.AppliedSequence >= target)
        {
            return;
        }
        await WithProgressAsync("catalog", target, async progress =>
        {
            var wait = engine.WaitForCatalogAsync(target, TimeSpan.FromHours(1));
            while (!wait.IsCompleted)
            {
                progress.Report(engine.Catalog.AppliedSequence);
                await Task.WhenAny(wait, Task.Delay(200)).ConfigureAwait(false);
            }
            await wait.ConfigureAwait(false);
            return 0;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the engine of <paramref name="dataDir"/> (caught up) and a recommendation service configured from
    /// appsettings, the environment and <paramref name="configFile"/>, with impressions off (offline work).
    /// </summary>
    /// <returns>The engine and service, or an error message.</returns>
    public static async Task<(Cascade.Storage.Engine.CascadeEngine? Engine, Cascade.Serving.RecommendationService? Service, string? Error)> OpenServiceAsync(string dataDir, string? configFile)
    {
        if (!Directory.Exists(Path.Combine(dataDir, "log")))
        {
            return (null, null, $"'{dataDir}' holds no event log; ingest or generate data first (cascade generate / import), or pass --data-dir.");
        }
        Cascade.Server.ServerOptions options;
        try
        {
            options = configFile is null ? Cascade.Server.ServerOptions.Load() : Cascade.Server.ServerOptions.LoadWith(configFile);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException)
        {
            return (null, null, e.Message);
        }
        var engine = OpenEngine(dataDir);
        await CatchUpCatalogAsync(engine);
        return (engine, new Cascade.Serving.RecommendationService(engine, options.ToRecommendationOptions() with { LogImpressions = false }), null);
    }
}
