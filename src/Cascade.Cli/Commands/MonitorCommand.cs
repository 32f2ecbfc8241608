using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cascade.Monitoring;
using static Cascade.Cli.Commands.SimulationArguments;

namespace Cascade.Cli.Commands;

/// <summary>
/// <c>cascade monitor simulate</c>: calibrates the drift detectors on simulated hourly windows with a known shift and
/// reports false alarms per signal per 30 days and detection delays; <c>cascade monitor bench</c>: times one drift pass
/// over a large window. The work is done by <see cref="DriftSimulator"/> and <see cref="DriftMonitor"/>; this file
/// parses, reports progress on stderr and writes the results.
/// </summary>
internal static class MonitorCommand
{
    internal static Command Create()
    {
        var command = new Command("monitor", "Monitoring: drift detectors checked by simulation (docs/monitoring.md).");
        command.Subcommands.Add(CreateSimulate());
        command.Subcommands.Add(CreateBench());
        return command;
    }

    private static Command CreateSimulate()
    {
        // Values are read as text and parsed here, so a bad value exits with code 2 and a message naming its flag.
        var days = new Option<string>("--days") { Description = "Days of hourly windows per run. Default 30." };
        var shift = new Option<string>("--shift") { Description = "The injected shift: covariate, concept, popularity or none. Required." };
        var runs = new Option<string>("--runs") { Description = "Independent runs (each its own reference and traffic). Default 10." };
        var events = new Option<string>("--events-per-window") { Description = "Mean impressions per hourly window. Default 5000." };
        var seed = SeedOption();
        var output = OutputOption();
        var command = new Command("simulate", "Simulate hourly windows with an injected shift and measure false alarms per feature per 30 days and detection delays.")
        {
            days, shift, runs, events, seed, output,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            DriftSimulationOptions options;
            try
            {
                options = new DriftSimulationOptions
                {
                    Days = ParseInt(parse.GetValue(days), "--days", 30, 1),
                    Shift = ParseShift(parse.GetValue(shift)),
                    Runs = ParseInt(parse.GetValue(runs), "--runs", 10, 1),
                    EventsPerWindow = ParseInt(parse.GetValue(events), "--events-per-window", 5000, 100),
                    Seed = ParseSeed(parse.GetValue(seed)),
                }.Validate();
            }
            catch (ArgumentException e)
            {
                return await RefuseAsync(e);
            }

            var clock = Stopwatch.StartNew();
            var progress = new SynchronousProgress(done => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"simulate: {done}/{options.Runs} runs, {clock.Elapsed.TotalSeconds:0.0} s")));
            return await RunAndReportAsync(() => new DriftSimulator(options).Run(progress, cancellationToken), parse.GetValue(output), (r, stream) => r.WriteJson(stream), r => r.SummaryLine(),
                cancellationToken);
        });
        return command;
    }

    private static Command CreateBench()
    {
        var events = new Option<string>("--events") { Description = "Impressions in the timed window. Default 1000000." };
        var seed = SeedOption();
        var command = new Command("bench", "Time one drift pass (every detector) over a window of --events simulated impressions against a 48-hour reference.")
        {
            events, seed,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            int eventCount;
            ulong seedValue;
            try
            {
                eventCount = ParseInt(parse.GetValue(events), "--events", 1_000_000, 1000);
                seedValue = ParseSeed(parse.GetValue(seed));
            }
            catch (ArgumentException e)
            {
                return await RefuseAsync(e);
            }
            await Console.Error.WriteLineAsync("bench: building the reference and the window (not timed)");
            var bench = await Task.Run(() => DriftBench.Run(eventCount, seedValue), cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"drift-bench: events={bench.Events} signals={bench.Signals} seconds={bench.Seconds:0.000} status={System.Text.Json.JsonSerializer.Serialize(bench.Status).Trim('"')}"));
            return 0;
        });
        return command;
    }

    private static ShiftKind ParseShift(string? text) => text switch
    {
        null => throw new ArgumentException("--shift is required: covariate, concept, popularity or none."),
        "none" => ShiftKind.None,
        "covariate" => ShiftKind.Covariate,
        "concept" => ShiftKind.Concept,
        "popularity" => ShiftKind.Popularity,
        _ => throw new ArgumentException($"--shift '{text}' must be covariate, concept, popularity or none."),
    };
}
