using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cascade.Experiments;
using static Cascade.Cli.Commands.SimulationArguments;

namespace Cascade.Cli.Commands;

/// <summary>
/// <c>cascade experiment simulate</c>: runs many simulated A/B experiments on a known click model and reports how the
/// statistics behave (false-positive rates with daily looks, coverage, power, CUPED, SRM detection). The work is done
/// by <see cref="ExperimentSimulator"/>; this file parses, reports progress on stderr and writes the results.
/// </summary>
internal static class ExperimentCommand
{
    private static readonly System.Text.Json.JsonSerializerOptions SnakeCase = new() { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    internal static Command Create()
    {
        var command = new Command("experiment", "Online experiments: define, start, stop, list and report on a data folder; statistics checked by simulation (docs/experiments.md).");
        foreach (var verb in ExperimentDataCommands.Create())
        {
            command.Subcommands.Add(verb);
        }
        command.Subcommands.Add(CreateSimulate());
        command.Subcommands.Add(CreateSimulateOpe());
        command.Subcommands.Add(OpeCommand.Create());
        return command;
    }

    private static Command CreateSimulate()
    {
        // Values are read as text and parsed here, so a bad value exits with code 2 and a message naming its flag.
        var runs = new Option<string>("--runs") { Description = "Simulated experiments. Default 1000." };
        var days = new Option<string>("--days") { Description = "Days per experiment; the statistics look once a day. Default 30." };
        var users = new Option<string>("--users") { Description = "Users per experiment, split 50 % / 50 % by the assignment hash. Default 10000." };
        var lift = new Option<string>("--lift") { Description = "True relative CTR lift of B over A (0.02 = +2 %; 0 = A/A). Default 0." };
        var srm = new Option<string>("--srm") { Description = "Injected sample-ratio mismatch S: a share S of all units moves from A to B (S = 0.01 gives 49 % / 51 %). Default 0." };
        var seed = SeedOption();
        var output = OutputOption();
        var server = new Option<bool>("--server")
        {
            Description = "Run each experiment through the whole path of a real server in this process (assignment, serving, logged impressions, posted clicks, the report); defaults then: --runs 1 --days 3 --users 2000.",
        };
        var command = new Command("simulate", "Simulate A/A or A/B experiments with daily looks and measure false-positive rates, coverage, power, CUPED variance reduction and SRM detection.")
        {
            runs, days, users, lift, srm, seed, output, server,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            SimulationOptions options;
            double liftValue;
            try
            {
                liftValue = ParseDouble(parse.GetValue(lift), "--lift", 0);
                if (!(liftValue > -1 && liftValue <= 10))
                {
                    throw new ArgumentException($"--lift {liftValue.ToString(CultureInfo.InvariantCulture)} must lie in (-1, 10]; 0.02 means +2 %.");
                }
                bool whole = parse.GetValue(server);
                options = new SimulationOptions
                {
                    Runs = ParseInt(parse.GetValue(runs), "--runs", whole ? 1 : 1000, 1),
                    Days = ParseInt(parse.GetValue(days), "--days", whole ? 3 : 30, 1),
                    Users = ParseInt(parse.GetValue(users), "--users", whole ? 2000 : 10_000, 4),
                    Srm = ParseDouble(parse.GetValue(srm), "--srm", 0),
                    Seed = ParseSeed(parse.GetValue(seed)),
                };
                if (!(options.Srm >= 0 && options.Srm < 0.5))
                {
                    throw new ArgumentException($"--srm {options.Srm.ToString(CultureInfo.InvariantCulture)} must lie in [0, 0.5); 0.01 moves 1 % of all units from A to B.");
                }
                options.Validate();
            }
            catch (ArgumentException e)
            {
                return await RefuseAsync(e);
            }

            if (parse.GetValue(server))
            {
                var whole = new ServerSimulationOptions(options.Runs, options.Days, options.Users, liftValue, options.Srm, options.Seed);
                return await RunAndReportAsync(() => ServerExperimentSimulation.RunAsync(whole, cancellationToken).GetAwaiter().GetResult(), parse.GetValue(output),
                    (r, stream) => r.WriteJson(stream), r => r.SummaryLine(), cancellationToken);
            }
            var traffic = new ClickModelTraffic { Lift = liftValue };
            var clock = Stopwatch.StartNew();
            int step = Math.Max(1, options.Runs / 10);
            var progress = new SynchronousProgress(done =>
            {
                if (done % step == 0 || done == options.Runs)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"simulate: {done}/{options.Runs} runs, {clock.Elapsed.TotalSeconds:0.0} s"));
                }
            });
            return await RunAndReportAsync(() => new ExperimentSimulator(options, traffic).Run(progress, cancellationToken), parse.GetValue(output), (r, stream) => r.WriteJson(stream), r => r.SummaryLine(),
                cancellationToken);
        });
        return command;
    }

    private static Command CreateSimulateOpe()
    {
        var logs = new Option<string>("--logs") { Description = "Simulated logs. Default 1000." };
        var samples = new Option<string>("--samples") { Description = "Logged decisions per log. Default 5000." };
        var epsilon = new Option<string>("--epsilon") { Description = "The logging policy's exploration share (epsilon-greedy). Default 0.2." };
        var seed = new Option<string>("--seed") { Description = "Seed. Default 1." };
        var output = OutputOption();
        var command = new Command("simulate-ope", "Check IPS, SNIPS and doubly robust estimates on simulated epsilon-greedy logs with a known truth: bias, RMSE, interval coverage.")
        {
            logs, samples, epsilon, seed, output,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            int logCount, sampleCount;
            double eps;
            ulong seedValue;
            try
            {
                logCount = ParseInt(parse.GetValue(logs), "--logs", 1000, 1);
                sampleCount = ParseInt(parse.GetValue(samples), "--samples", 5000, 2);
                eps = ParseDouble(parse.GetValue(epsilon), "--epsilon", 0.2);
                if (!(eps > 0 && eps <= 1))
                {
                    throw new ArgumentException($"--epsilon {eps.ToString(CultureInfo.InvariantCulture)} must lie in (0, 1].");
                }
                seedValue = ParseSeed(parse.GetValue(seed));
            }
            catch (ArgumentException e)
            {
                return await RefuseAsync(e);
            }
            var results = await Task.Run(() => OffPolicySimulator.Run(logCount, sampleCount, eps, seedValue), cancellationToken);
            if (parse.GetValue(output) is { } path)
            {
                try
                {
                    await File.WriteAllTextAsync(path, System.Text.Json.JsonSerializer.Serialize(
                        new { logs = logCount, samples = sampleCount, epsilon = eps, seed = seedValue, estimators = results },
                        SnakeCase), cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    return CommonOptions.Fail($"could not write --output '{path}': {e.Message}");
                }
            }
            foreach (var r in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"ope: method={r.Method} truth={r.Truth:0.00000} mean={r.MeanEstimate:0.00000} bias={r.Bias:+0.00000;-0.00000} rmse={r.Rmse:0.00000} coverage={r.Coverage:0.0000} width={r.MeanIntervalWidth:0.00000}"));
            }
            return 0;
        });
        return command;
    }
}
