using System.Text.Json;

namespace Cascade.Experiments.Tests;

/// <summary>The real <c>cascade experiment simulate</c> command at tiny scale.</summary>
public sealed class CliTests
{
    private static (int ExitCode, string Stdout, string Stderr) Cascade(params string[] args) =>
        global::Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), args).GetAwaiter().GetResult();

    [Fact]
    public void Simulate_writes_the_json_keys_and_one_summary_line()
    {
        string output = Path.Combine(Path.GetTempPath(), $"cascade-simulate-{Guid.NewGuid():N}.json");
        try
        {
            var (code, stdout, stderr) = Cascade("experiment", "simulate", "--runs", "6", "--days", "3", "--users", "400", "--lift", "0", "--seed", "2", "--output", output);
            Assert.True(code == 0, stdout + stderr);
            string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.Matches(@"^experiments: runs=6 fpr_sequential=[0-9.]+ fpr_naive=[0-9.]+ coverage=[0-9.]+ power=[0-9.]+ cuped_reduction=-?[0-9.]+ srm=[0-9.]+$", line);
            Assert.Contains("simulate: 6/6 runs", stderr, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(File.ReadAllText(output));
            foreach (string key in new[]
            {
                "runs", "false_positive_rate_sequential", "false_positive_rate_naive_daily", "coverage_fixed_horizon", "power_sequential",
                "power_fixed_horizon", "cuped_variance_reduction", "srm_detection_rate", "theoretical_power_fixed_horizon", "lift", "days",
                "users", "seed", "seconds",
            })
            {
                Assert.True(json.RootElement.TryGetProperty(key, out _), $"missing key {key}");
            }
            Assert.Equal(6, json.RootElement.GetProperty("runs").GetInt32());
            Assert.Equal(0, json.RootElement.GetProperty("lift").GetDouble());
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Simulate_through_a_real_server_measures_the_true_lift_and_catches_an_injected_sample_ratio_mismatch()
    {
        string output = Path.Combine(Path.GetTempPath(), $"cascade-simulate-{Guid.NewGuid():N}.json");
        try
        {
            // B doubles every user's click probability: the report, read from the server's log, sees a positive lift.
            var (code, stdout, stderr) = Cascade("experiment", "simulate", "--server", "--users", "600", "--days", "2", "--lift", "1", "--seed", "2", "--output", output);
            Assert.True(code == 0, stdout + stderr);
            string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.Matches(@"^experiments --server: runs=1 lift=1 mean_lift=-?[0-9.]+ reject_sequential=[0-9.]+ coverage=[0-9.]+ srm=0$", line);
            using (var json = JsonDocument.Parse(File.ReadAllText(output)))
            {
                var run = json.RootElement.GetProperty("run_results")[0];
                long units = run.GetProperty("units_a").GetInt64() + run.GetProperty("units_b").GetInt64();
                Assert.InRange(units, 300, 600); // the users who visited at least once (Poisson(1) visits a day)
                Assert.True(run.GetProperty("impressions").GetDouble() >= 10 * units, run.ToString());
                Assert.True(run.GetProperty("clicks").GetDouble() > 0);
                Assert.InRange(run.GetProperty("relative_lift").GetDouble(), 0.2, 3);
                Assert.True(run.GetProperty("srm_p_value").GetDouble() > 0.001);
            }

            // A/A with 40 % of arm A's units lost before they visit: the SRM check blocks the verdict.
            (code, stdout, stderr) = Cascade("experiment", "simulate", "--server", "--users", "600", "--days", "1", "--lift", "0", "--srm", "0.2", "--seed", "3", "--output", output);
            Assert.True(code == 0, stdout + stderr);
            using var aa = JsonDocument.Parse(File.ReadAllText(output));
            Assert.Equal(1, aa.RootElement.GetProperty("srm_alarm_rate").GetDouble());
            Assert.StartsWith("stop: SRM", aa.RootElement.GetProperty("run_results")[0].GetProperty("verdict").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Simulate_ope_prints_one_line_per_estimator()
    {
        var (code, stdout, stderr) = Cascade("experiment", "simulate-ope", "--logs", "5", "--samples", "500", "--seed", "3");
        Assert.True(code == 0, stdout + stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("ope: method=ips truth=", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("ope: method=snips", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("ope: method=doubly-robust", lines[2], StringComparison.Ordinal);
        Assert.Equal(2, Cascade("experiment", "simulate-ope", "--epsilon", "0").ExitCode);
    }

    [Theory]
    [InlineData("--k", "0", "--k")]
    [InlineData("--since", "yesterday", "--since")]
    [InlineData("--max-requests", "-1", "--max-requests")]
    [InlineData("--variant", "not a variant", "--variant")]
    [InlineData("--seed", "x", "--seed")]
    public void Ope_refuses_a_bad_argument_with_code_2_naming_its_flag(string flag, string value, string named)
    {
        string config = Path.Combine(Path.GetTempPath(), $"cascade-ope-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, "{}");
        try
        {
            var (code, _, stderr) = Cascade("experiment", "ope", "--config", config, flag, value);
            Assert.Equal(2, code);
            Assert.Contains(named, stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public void Ope_needs_a_candidate_config_that_exists_and_a_data_folder_with_a_log()
    {
        var (code, _, stderr) = Cascade("experiment", "ope");
        Assert.Equal(2, code);
        Assert.Contains("--config is required", stderr, StringComparison.Ordinal);
        (code, _, stderr) = Cascade("experiment", "ope", "--config", "/nonexistent/candidate.json");
        Assert.Equal(2, code);
        Assert.Contains("--config '/nonexistent/candidate.json' does not exist", stderr, StringComparison.Ordinal);
        string config = Path.Combine(Path.GetTempPath(), $"cascade-ope-{Guid.NewGuid():N}.json");
        string empty = Directory.CreateTempSubdirectory("cascade-ope-").FullName;
        File.WriteAllText(config, "{}");
        try
        {
            (code, _, stderr) = Cascade("--data-dir", empty, "experiment", "ope", "--config", config, "--since", "2025-03-01T00:00:00Z", "--until", "2025-02-01T00:00:00Z");
            Assert.Equal(2, code);
            Assert.Contains("--since must come before --until", stderr, StringComparison.Ordinal);
            (code, string stdout, stderr) = Cascade("--data-dir", empty, "experiment", "ope", "--config", config);
            Assert.Equal(1, code);
            Assert.Contains("holds no event log", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
            Directory.Delete(empty, true);
        }
    }

    [Theory]
    [InlineData("--runs", "0")]
    [InlineData("--users", "many")]
    [InlineData("--srm", "0.7")]
    [InlineData("--lift", "-2")]
    public void A_bad_argument_exits_with_code_2_and_names_its_flag(string flag, string value)
    {
        string[] args = flag == "--runs" ? ["experiment", "simulate", flag, value] : ["experiment", "simulate", flag, value, "--runs", "1"];
        var (code, _, stderr) = Cascade(args);
        Assert.Equal(2, code);
        Assert.Contains(flag, stderr, StringComparison.Ordinal);
    }
}
