using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Cascade.Experiments;
using Cascade.Server;

namespace Cascade.Cli.Commands;

/// <summary>Options of <see cref="ServerExperimentSimulation"/>.</summary>
/// <param name="Runs">Simulated experiments, each on a fresh server and data folder.</param>
/// <param name="Days">Looks per experiment: each look every user visits (Poisson(1) requests), then the report is read.</param>
/// <param name="Users">Users, assigned to arms A and B by the server's hash.</param>
/// <param name="Lift">True relative lift of B's click probability over A's.</param>
/// <param name="Srm">Injected sample-ratio mismatch: a share 2·S of arm A's units never visit (lost traffic), so about S of all units go missing from A.</param>
/// <param name="Seed">Seed of the users' click propensities, visits and clicks.</param>
internal sealed record ServerSimulationOptions(int Runs, int Days, int Users, double Lift, double Srm, ulong Seed);

/// <summary>One whole-path run: what the server's report said after the last look.</summary>
/// <param name="UnitsA">Units of arm A the report counted.</param>
/// <param name="UnitsB">Units of arm B.</param>
/// <param name="Impressions">Impressions the server logged for both arms.</param>
/// <param name="Clicks">Clicks the simulated users sent.</param>
/// <param name="RelativeLift">The report's relative CTR lift of B over A (fixed horizon).</param>
/// <param name="IntervalLower">Its 95 % interval's lower end.</param>
/// <param name="IntervalUpper">Its upper end.</param>
/// <param name="SequentialPValue">The always-valid p-value of CTR after the last look, or null when the report has none.</param>
/// <param name="SequentialRejects">Whether the sequential test rejected no difference at any look.</param>
/// <param name="SrmPValue">The sample-ratio-mismatch check's p-value.</param>
/// <param name="Verdict">The report's verdict.</param>
/// <param name="Seconds">Wall-clock seconds of the run.</param>
internal sealed record ServerSimulationRun(long UnitsA, long UnitsB, double Impressions, double Clicks, double RelativeLift, double IntervalLower, double IntervalUpper,
    double? SequentialPValue, bool SequentialRejects, double SrmPValue, string Verdict, double Seconds);

/// <summary>
/// <c>cascade experiment simulate --server</c>: experiments run through the whole path of a real server in this process
/// (assignment → serving → logged impressions → clicks posted as events → the report read from the log), on generated
/// users with a known click model — user u clicks the item at position k with probability p_u · (1 + lift if in B) /
/// √(k + 1), p_u ~ Beta(2, 38) (mean 5 %) — so the true relative CTR lift is the given one.
/// </summary>
internal static class ServerExperimentSimulation
{
    private const int Items = 60;
    private const int ListLength = 10;

    /// <summary>Runs every experiment and writes progress to stderr.</summary>
    public static async Task<ServerSimulationResult> RunAsync(ServerSimulationOptions options, CancellationToken cancellationToken)
    {
        var runs = new List<ServerSimulationRun>();
        for (int r = 0; r < options.Runs; r++)
        {
            runs.Add(await RunOneAsync(options, options.Seed + (ulong)r, cancellationToken).ConfigureAwait(false));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"simulate --server: {r + 1}/{options.Runs} runs"));
        }
        return new ServerSimulationResult(options, runs);
    }

    private static async Task<ServerSimulationRun> RunOneAsync(ServerSimulationOptions options, ulong seed, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        string dir = Path.Combine(Path.GetTempPath(), "cascade-simulate", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?>
        {
            ["Cascade:DataDirectory"] = dir,
            ["urls"] = "http://127.0.0.1:0",
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:TrainingIntervalSeconds"] = "0",
            ["Cascade:Drift:Enabled"] = "false",
            ["Cascade:Pipeline:Sources:0:Name"] = "popular",
            ["Cascade:Pipeline:Sources:0:Kind"] = "popular",
            ["Cascade:Pipeline:Sources:0:Quota"] = "50",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error", // e.g. data protection's notes on a throw-away folder
            ["Cascade:Dashboard:Enabled"] = "false",
        };
        var app = CascadeServer.Build([], settings);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(5) };
            var random = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
            await SeedAsync(http, options.Users, random, cancellationToken).ConfigureAwait(false);
            await SendAsync(http, HttpMethod.Post, "/v1/admin/train", null, cancellationToken).ConfigureAwait(false);
            await SendAsync(http, HttpMethod.Post, "/v1/experiments",
                """{"id":"simulated","layer":"simulation","arms":[{"name":"A","share":0.5},{"name":"B","share":0.5}],"primaryMetric":"ctr","preExperimentDays":0}""",
                cancellationToken).ConfigureAwait(false);
            var started = await SendAsync(http, HttpMethod.Post, "/v1/experiments/simulated/start", null, cancellationToken).ConfigureAwait(false);
            // The server's own assignment, reproduced from the running definition (the hash is published), tells which
            // units are arm A's before they visit: the injected mismatch removes some of those visits.
            var definition = started.GetProperty("experiment").Deserialize<ExperimentDefinition>(ExperimentDefinition.Json)!;
            var assignment = new RunningExperiments([definition], 0);

            var propensity = new double[options.Users];
            for (int u = 0; u < options.Users; u++)
            {
                propensity[u] = Beta(random, 2, 38);
            }
            var lost = new bool[options.Users];
            for (int u = 0; u < options.Users; u++)
            {
                lost[u] = random.NextDouble() < 2 * options.Srm && assignment.Assign($"u{u}") is [{ Arm: "A" }];
            }
            bool rejected = false;
            JsonElement report = default;
            for (int day = 0; day < options.Days; day++)
            {
                var clicks = new StringBuilder("[");
                for (int u = 0; u < options.Users; u++)
                {
                    for (int visit = Poisson(random, 1); visit > 0 && !lost[u]; visit--)
                    {
                        var served = await http.GetFromJsonAsync<JsonElement>($"/v1/recommend/u{u}?n={ListLength}", cancellationToken).ConfigureAwait(false);
                        string arm = served.TryGetProperty("experiments", out var x) && x.GetArrayLength() > 0 ? x[0].GetProperty("arm").GetString()! : "";
                        double p = propensity[u] * (arm == "B" ? 1 + options.Lift : 1);
                        int k = 0;
                        foreach (var item in served.GetProperty("items").EnumerateArray())
                        {
                            if (random.NextDouble() < Math.Min(1, p / Math.Sqrt(k + 1)))
                            {
                                clicks.Append(clicks.Length > 1 ? "," : "").Append(CultureInfo.InvariantCulture,
                                    $$"""{"userId":"u{{u}}","itemId":"{{item.GetProperty("itemId").GetString()}}","type":"click","requestId":"{{served.GetProperty("requestId").GetString()}}","position":{{k}}}""");
                            }
                            k++;
                        }
                    }
                }
                if (clicks.Length > 1)
                {
                    await SendAsync(http, HttpMethod.Post, "/v1/events", clicks.Append(']').ToString(), cancellationToken).ConfigureAwait(false);
                }
                report = await http.GetFromJsonAsync<JsonElement>("/v1/experiments/simulated/report", cancellationToken).ConfigureAwait(false);
                if (Ctr(report) is { } look && look.TryGetProperty("sequential", out var s) && s.ValueKind == JsonValueKind.Object
                    && s.GetProperty("pValue").GetDouble() <= s.GetProperty("alpha").GetDouble())
                {
                    rejected = true;
                }
            }
            return Summarise(report, rejected, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // a file still open by a background task: the temp folder is cleaned by the system
            }
        }
    }

    private static ServerSimulationRun Summarise(JsonElement response, bool rejected, double seconds)
    {
        if (!response.TryGetProperty("report", out var report) || report.ValueKind != JsonValueKind.Object || Ctr(response) is not { } ctr)
        {
            throw new InvalidOperationException($"The server gave no report: {(response.TryGetProperty("note", out var note) ? note.GetString() : response.ToString())}");
        }
        var arms = report.GetProperty("arms").EnumerateArray().ToDictionary(a => a.GetProperty("arm").GetString()!, StringComparer.Ordinal);
        var fixedHorizon = ctr.GetProperty("fixedHorizon");
        var interval = fixedHorizon.GetProperty("relativeInterval");
        double? sequential = ctr.TryGetProperty("sequential", out var s) && s.ValueKind == JsonValueKind.Object ? s.GetProperty("pValue").GetDouble() : null;
        return new ServerSimulationRun(arms["A"].GetProperty("units").GetInt64(), arms["B"].GetProperty("units").GetInt64(),
            arms.Values.Sum(a => a.GetProperty("impressions").GetDouble()), arms.Values.Sum(a => a.GetProperty("clicks").GetDouble()),
            fixedHorizon.GetProperty("relativeLift").GetDouble(), interval.GetProperty("lower").GetDouble(), interval.GetProperty("upper").GetDouble(),
            sequential, rejected, report.GetProperty("srm").GetProperty("pValue").GetDouble(),
            string.Join(" ", report.GetProperty("verdicts").EnumerateArray().Select(v => v.GetProperty("text").GetString())), Math.Round(seconds, 1));
    }

    // The primary metric's (CTR's) result for arm B, or null.
    private static JsonElement? Ctr(JsonElement response) =>
        response.TryGetProperty("report", out var report) && report.ValueKind == JsonValueKind.Object
            ? report.GetProperty("metrics").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(m => m!.Value.GetProperty("metric").GetString() == "ctr")
            : null;

    // Items, and users known to the server (impressions are logged for known users) through three clicks each.
    private static async Task SeedAsync(HttpClient http, int users, Random random, CancellationToken cancellationToken)
    {
        var items = new StringBuilder("[");
        for (int i = 0; i < Items; i++)
        {
            items.Append(i > 0 ? "," : "").Append(CultureInfo.InvariantCulture, $$"""{"id":"i{{i}}","title":"Item {{i}}","categories":["c{{i % 5}}"]}""");
        }
        await SendAsync(http, HttpMethod.Post, "/v1/items", items.Append(']').ToString(), cancellationToken).ConfigureAwait(false);
        for (int from = 0; from < users; from += 1000)
        {
            var events = new StringBuilder("[");
            for (int u = from; u < Math.Min(users, from + 1000); u++)
            {
                for (int k = 0; k < 3; k++)
                {
                    events.Append(events.Length > 1 ? "," : "").Append(CultureInfo.InvariantCulture,
                        $$"""{"userId":"u{{u}}","itemId":"i{{Math.Min(random.Next(Items), random.Next(Items))}}","type":"click"}""");
                }
            }
            await SendAsync(http, HttpMethod.Post, "/v1/events", events.Append(']').ToString(), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {body}");
        }
        if (body.Length == 0)
        {
            return default;
        }
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    private static int Poisson(Random random, double mean)
    {
        double limit = Math.Exp(-mean), product = random.NextDouble();
        int k = 0;
        while (product > limit)
        {
            k++;
            product *= random.NextDouble();
        }
        return k;
    }

    // Beta(a, b) for integer a and b: the a-th smallest of a + b − 1 uniforms.
    private static double Beta(Random random, int a, int b)
    {
        var draws = new double[a + b - 1];
        for (int i = 0; i < draws.Length; i++)
        {
            draws[i] = random.NextDouble();
        }
        Array.Sort(draws);
        return draws[a - 1];
    }
}

/// <summary>The runs of <see cref="ServerExperimentSimulation"/> and their rates.</summary>
internal sealed record ServerSimulationResult(ServerSimulationOptions Options, IReadOnlyList<ServerSimulationRun> Runs)
{
    /// <summary>Share of runs whose sequential test rejected no difference at some look (false positives at lift 0, power otherwise).</summary>
    public double SequentialRejectionRate => Runs.Count(r => r.SequentialRejects) / (double)Runs.Count;

    /// <summary>Share of runs whose fixed-horizon 95 % interval of the relative lift covers the true lift.</summary>
    public double Coverage => Runs.Count(r => r.IntervalLower <= Options.Lift && Options.Lift <= r.IntervalUpper) / (double)Runs.Count;

    /// <summary>Share of runs whose SRM check alarmed (p &lt; 0.001).</summary>
    public double SrmAlarmRate => Runs.Count(r => r.SrmPValue < 0.001) / (double)Runs.Count;

    /// <summary>The one summary line.</summary>
    public string SummaryLine() => string.Create(CultureInfo.InvariantCulture,
        $"experiments --server: runs={Runs.Count} lift={Options.Lift:0.####} mean_lift={Runs.Average(r => r.RelativeLift):0.####} reject_sequential={SequentialRejectionRate:0.####} coverage={Coverage:0.####} srm={SrmAlarmRate:0.####}");

    /// <summary>Writes the options, the rates and every run as JSON (snake_case keys).</summary>
    public void WriteJson(Stream stream) => JsonSerializer.Serialize(stream, new
    {
        Mode = "server",
        Runs = Runs.Count,
        Options.Days,
        Options.Users,
        Options.Lift,
        Options.Srm,
        Options.Seed,
        SequentialRejectionRate,
        CoverageFixedHorizon = Coverage,
        SrmAlarmRate,
        RunResults = Runs,
    }, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
