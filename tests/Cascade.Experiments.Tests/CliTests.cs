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
