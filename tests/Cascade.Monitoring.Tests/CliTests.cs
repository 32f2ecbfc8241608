using System.Text.Json;
using Cascade.Tests.Shared;

namespace Cascade.Monitoring.Tests;

/// <summary>The real <c>cascade monitor</c> command at tiny scale.</summary>
public sealed class CliTests
{
    private static Task<(int ExitCode, string Stdout, string Stderr)> Cascade(params string[] args) => CliProcess.RunAsync(TimeSpan.FromMinutes(3), args);

    [Fact]
    public async Task Simulate_writes_the_json_keys_and_one_summary_line()
    {
        string output = Path.Combine(Path.GetTempPath(), $"cascade-monitor-{Guid.NewGuid():N}.json");
        try
        {
            var (code, stdout, stderr) = await Cascade("monitor", "simulate", "--days", "1", "--shift", "covariate", "--runs", "2", "--events-per-window", "1000", "--seed", "2", "--output", output);
            Assert.True(code == 0, stdout + stderr);
            string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.Matches(@"^drift: false_alarms_per_feature_30d=[0-9]+\.[0-9]{4} covariate_windows=([0-9]+\.[0-9]{2}|inf) concept_windows=n/a popularity_windows=n/a$", line);
            Assert.Contains("simulate: 2/2 runs", stderr, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(File.ReadAllText(output));
            foreach (string key in new[] { "days", "runs", "shift", "seed", "events_per_window", "false_alarms_per_feature_per_30_days", "false_alarms_by_signal", "detection_windows" })
            {
                Assert.True(json.RootElement.TryGetProperty(key, out _), $"missing key {key}");
            }
            Assert.Equal("covariate", json.RootElement.GetProperty("shift").GetString());
            Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("detection_windows").GetProperty("covariate").ValueKind);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task Bench_prints_one_line_with_the_events_and_seconds()
    {
        var (code, stdout, stderr) = await Cascade("monitor", "bench", "--events", "20000");
        Assert.True(code == 0, stdout + stderr);
        Assert.Matches(@"^drift-bench: events=[0-9]+ signals=[0-9]+ seconds=[0-9.]+ status=[a-z-]+$", stdout.Trim());
    }

    [Theory]
    [InlineData("--shift", "sideways")]
    [InlineData("--days", "0")]
    [InlineData("--runs", "many")]
    [InlineData("--events-per-window", "10")]
    public async Task A_bad_argument_exits_with_code_2_and_names_its_flag(string flag, string value)
    {
        string[] args = flag == "--shift" ? ["monitor", "simulate", flag, value] : ["monitor", "simulate", "--shift", "none", flag, value];
        var (code, _, stderr) = await Cascade(args);
        Assert.Equal(2, code);
        Assert.Contains(flag, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_without_a_shift_says_it_is_required()
    {
        var (code, _, stderr) = await Cascade("monitor", "simulate", "--days", "1");
        Assert.Equal(2, code);
        Assert.Contains("--shift is required", stderr, StringComparison.Ordinal);
    }
}
