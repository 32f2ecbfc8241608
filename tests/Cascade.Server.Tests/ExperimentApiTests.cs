using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cascade.Core.Domain;
using Cascade.Experiments;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Tests;

/// <summary>Experiments over a real server: definitions in the log, assignment on the request path, arms with pipelines of their own, reports.</summary>
public sealed class ExperimentApiTests
{
    private const string TwoArms = """
        {"id":"feed-1","layer":"feed","arms":[{"name":"control","share":0.5},{"name":"trending","share":0.5,
         "pipeline":{"sources":[{"name":"trend","kind":"popular","quota":50}]}}],
         "primaryMetric":"ctr","preExperimentDays":0}
        """;

    private static async Task<RunningServer> Seeded(Dictionary<string, string?>? settings = null)
    {
        var server = await RunningServer.StartAsync(settings);
        var items = new StringBuilder("[");
        for (int i = 0; i < 30; i++)
        {
            items.Append(i > 0 ? "," : "").Append($$"""{"id":"i{{i}}","title":"Item {{i}}","categories":["c{{i % 3}}"]}""");
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/items", items.Append(']').ToString())).StatusCode);
        var events = new StringBuilder("[");
        var random = new Random(5);
        for (int u = 0; u < 40; u++)
        {
            for (int k = 0; k < 5; k++)
            {
                events.Append(events.Length > 1 ? "," : "").Append($$"""{"userId":"u{{u}}","itemId":"i{{Math.Min(random.Next(30), random.Next(30))}}","type":"click"}""");
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", events.Append(']').ToString())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
        return server;
    }

    [Fact]
    public async Task An_experiment_is_defined_started_and_stopped_and_a_restart_keeps_every_version()
    {
        var first = await Seeded();
        string dir = first.DataDirectory;
        var created = await first.PostJson("/v1/experiments", TwoArms);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, view.GetProperty("version").GetInt32());
        Assert.Equal("draft", view.GetProperty("experiment").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await first.PostJson("/v1/experiments", TwoArms)).StatusCode);

        var started = await (await first.Client.PostAsync("/v1/experiments/feed-1/start", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, started.GetProperty("version").GetInt32());
        var x = started.GetProperty("experiment");
        Assert.Equal("running", x.GetProperty("status").GetString());
        Assert.Equal(2, x.GetProperty("runningVersion").GetInt32());
        Assert.Equal(0, x.GetProperty("firstBucket").GetInt32());
        Assert.Equal(Assignment.BucketCount, x.GetProperty("endBucket").GetInt32());
        var again = await first.Client.PostAsync("/v1/experiments/feed-1/start", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains(await Problem.ErrorsAsync(again), e => e.Field == "status");

        // A second experiment in the full layer has no room; in another layer it starts.
        Assert.Equal(HttpStatusCode.Created, (await first.PostJson("/v1/experiments", """{"id":"feed-2","layer":"feed","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5}]}""")).StatusCode);
        var full = await first.Client.PostAsync("/v1/experiments/feed-2/start", null);
        Assert.Equal(HttpStatusCode.Conflict, full.StatusCode);
        Assert.Contains(await Problem.ErrorsAsync(full), e => e.Field == "traffic");

        first.KeepData = true;
        await first.DisposeAsync();
        await using var second = await RunningServer.StartAsync(new() { ["Cascade:DataDirectory"] = dir });
        var list = await second.Client.GetFromJsonAsync<JsonElement>("/v1/experiments");
        var byId = list.GetProperty("experiments").EnumerateArray().ToDictionary(e => e.GetProperty("experiment").GetProperty("id").GetString()!);
        Assert.Equal(2, byId["feed-1"].GetProperty("version").GetInt32());
        Assert.Equal("running", byId["feed-1"].GetProperty("experiment").GetProperty("status").GetString());
        Assert.Equal("draft", byId["feed-2"].GetProperty("experiment").GetProperty("status").GetString());
        var stopped = await (await second.Client.PostAsync("/v1/experiments/feed-1/stop", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, stopped.GetProperty("version").GetInt32());
        Assert.Equal("stopped", stopped.GetProperty("experiment").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await second.Client.PostAsync("/v1/experiments/feed-1/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await second.Client.PostAsync("/v1/experiments/nope/start", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await second.Client.GetAsync("/v1/experiments/nope")).StatusCode);
    }

    [Fact]
    public async Task The_definition_example_in_the_docs_is_accepted_and_starts()
    {
        string markdown = File.ReadAllText(Path.Combine(IngestionApiTests.RepoRoot(), "docs", "experiments.md"));
        int fence = markdown.IndexOf("```json", markdown.IndexOf("### A definition", StringComparison.Ordinal), StringComparison.Ordinal);
        int start = markdown.IndexOf('\n', fence) + 1;
        string example = markdown[start..markdown.IndexOf("```", start, StringComparison.Ordinal)];
        await using var server = await Seeded();
        var created = await server.PostJson("/v1/experiments", example);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var started = await server.Client.PostAsync("/v1/experiments/ranker-v2/start", null);
        Assert.True(started.StatusCode == HttpStatusCode.OK, await started.Content.ReadAsStringAsync());
        var x = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("experiment");
        Assert.Equal(Assignment.BucketCount / 2, x.GetProperty("endBucket").GetInt32()); // traffic 0.5 of the layer
        var bundles = server.Services.GetRequiredService<RecommendationService>().Bundles;
        await bundles.TrainArmsInBackground(Apps.Default).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(bundles.IsArmReady(Apps.Default, "ranker-v2/popular"), string.Join("; ", bundles.ArmStatus(Apps.Default)));
    }

    [Fact]
    public async Task An_arm_serves_a_saved_bundle_as_trained_and_a_missing_or_unsafe_bundle_is_refused_naming_the_field()
    {
        await using var server = await Seeded();
        var bundles = server.Services.GetRequiredService<RecommendationService>().Bundles;
        bundles.SaveBundle(Apps.Default, Path.Combine(server.DataDirectory, "bundles", "saved-1"));
        foreach (var (bundle, why) in new[] { ("missing", "not a bundle folder"), ("../saved-1", "not a path") })
        {
            var refused = await server.PostJson("/v1/experiments", $$"""{"id":"b","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5,"bundle":"{{bundle}}"}]}""");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains(await Problem.ErrorsAsync(refused), e => e.Field == "arms[1].bundle" && e.Reason.Contains(why, StringComparison.Ordinal));
        }
        var both = await server.PostJson("/v1/experiments", """{"id":"b","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5,"bundle":"saved-1","pipeline":{}}]}""");
        Assert.Contains(await Problem.ErrorsAsync(both), e => e.Field == "arms[1].bundle" && e.Reason.Contains("not both", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.Created, (await server.PostJson("/v1/experiments",
            """{"id":"old-model","layer":"feed","arms":[{"name":"control","share":0.5},{"name":"saved","share":0.5,"bundle":"saved-1"}]}""")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/experiments/old-model/start", null)).StatusCode);
        await bundles.TrainArmsInBackground(Apps.Default).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(bundles.IsArmReady(Apps.Default, "old-model/saved"), string.Join("; ", bundles.ArmStatus(Apps.Default)));
        var control = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u1?n=3&arm=old-model:control");
        var saved = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u1?n=3&arm=old-model:saved");
        Assert.Equal(bundles.BundleVersion(Apps.Default), control.GetProperty("bundleVersion").GetString());
        Assert.Contains("-bundle-", saved.GetProperty("bundleVersion").GetString(), StringComparison.Ordinal);
        Assert.Equal("saved", saved.GetProperty("experiments")[0].GetProperty("arm").GetString());

        // A new training of the serving bundle leaves the bundle arm as it was trained.
        string before = saved.GetProperty("bundleVersion").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
        await bundles.TrainArmsInBackground(Apps.Default).WaitAsync(TimeSpan.FromSeconds(60));
        var again = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u1?n=3&arm=old-model:saved");
        Assert.Equal(before, again.GetProperty("bundleVersion").GetString());
    }

    [Theory]
    [InlineData("""{"id":"bad id","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5}]}""", "id")]
    [InlineData("""{"id":"x","arms":[{"name":"a","share":1}]}""", "arms")]
    [InlineData("""{"id":"x","arms":[{"name":"a","share":0.5},{"name":"b","share":0.4}]}""", "arms")]
    [InlineData("""{"id":"x","arms":[{"name":"a","share":0.5},{"name":"a","share":0.5}]}""", "arms[1].name")]
    [InlineData("""{"id":"x","primaryMetric":"revenue","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5}]}""", "primaryMetric")]
    [InlineData("""{"id":"x","traffic":1.5,"arms":[{"name":"a","share":0.5},{"name":"b","share":0.5}]}""", "traffic")]
    [InlineData("""{"id":"x","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5,"pipeline":{"sources":[{"name":"s","kind":"nonsense"}]}}]}""", "arms[1].pipeline")]
    [InlineData("""{"id":"x","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5}],"colour":"red"}""", "colour")]
    public async Task A_bad_definition_is_refused_naming_the_field(string body, string field)
    {
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:TrainOnStart"] = "false" });
        var r = await server.PostJson("/v1/experiments", body);
        Assert.True(r.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, $"{r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
        Assert.Contains(await Problem.ErrorsAsync(r), e => e.Field.Contains(field, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Users_are_assigned_sticky_arms_the_arm_with_its_own_pipeline_serves_them_and_the_report_counts_their_clicks()
    {
        await using var server = await Seeded();
        Assert.Equal(HttpStatusCode.Created, (await server.PostJson("/v1/experiments", TwoArms)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/experiments/feed-1/start", null)).StatusCode);
        var bundles = server.Services.GetRequiredService<RecommendationService>().Bundles;
        await bundles.TrainArmsInBackground(Apps.Default).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(bundles.IsArmReady(Apps.Default, "feed-1/trending"), string.Join("; ", bundles.ArmStatus(Apps.Default)));

        var arms = new Dictionary<string, string>();
        var requests = new List<(string User, string Request, string Item, string Arm)>();
        for (int u = 0; u < 40; u++)
        {
            var r = await server.Client.GetFromJsonAsync<JsonElement>($"/v1/recommend/u{u}?n=3&explain=true");
            var exposure = r.GetProperty("experiments").EnumerateArray().Single();
            Assert.Equal("feed-1", exposure.GetProperty("experiment").GetString());
            Assert.Equal(2, exposure.GetProperty("version").GetInt32());
            Assert.False(exposure.GetProperty("forced").GetBoolean());
            string arm = exposure.GetProperty("arm").GetString()!;
            Assert.Equal($"feed-1.2.{arm}", r.GetProperty("variant").GetString());
            Assert.Equal(arm, new RunningExperiments([new ExperimentDefinition
            {
                Id = "feed-1", Layer = "feed", Arms = [new() { Name = "control", Share = 0.5 }, new() { Name = "trending", Share = 0.5 }],
            }], 0).Assign($"u{u}").Single().Arm); // the documented hash, reproduced outside the server
            var sources = r.GetProperty("items").EnumerateArray().SelectMany(i => i.GetProperty("sources").EnumerateArray().Select(s => s.GetString())).ToHashSet();
            if (arm == "trending")
            {
                Assert.Equal(["trend"], sources); // the arm's own pipeline served it
            }
            else
            {
                Assert.DoesNotContain("trend", sources);
            }
            arms[$"u{u}"] = arm;
            var first = r.GetProperty("items")[0];
            requests.Add(($"u{u}", r.GetProperty("requestId").GetString()!, first.GetProperty("itemId").GetString()!, arm));
            var sticky = await server.Client.GetFromJsonAsync<JsonElement>($"/v1/recommend/u{u}?n=3");
            Assert.Equal(arm, sticky.GetProperty("experiments")[0].GetProperty("arm").GetString());
        }
        Assert.Contains("control", arms.Values);
        Assert.Contains("trending", arms.Values);

        // A forced arm is served and marked; it does not count.
        string control = arms.First(a => a.Value == "control").Key;
        var forced = await server.Client.GetFromJsonAsync<JsonElement>($"/v1/recommend/{control}?n=3&arm=feed-1:trending");
        Assert.True(forced.GetProperty("experiments")[0].GetProperty("forced").GetBoolean());
        Assert.Equal("feed-1.2.trending.qa", forced.GetProperty("variant").GetString());
        foreach (var bad in new[] { "feed-1:nope", "nope:control", "feed-1" })
        {
            var refused = await server.Client.GetAsync($"/v1/recommend/u1?arm={bad}");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Contains(await Problem.ErrorsAsync(refused), e => e.Field == "arm");
        }

        // Clicks joined by request id: the treatment users click their first item, the control users do not.
        var clicks = string.Join(",", requests.Where(r => r.Arm == "trending").Select(r =>
            $$"""{"userId":"{{r.User}}","itemId":"{{r.Item}}","type":"click","requestId":"{{r.Request}}","position":0}"""));
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", $"[{clicks}]")).StatusCode);
        await server.SettledAsync();
        var report = await server.Client.GetFromJsonAsync<JsonElement>("/v1/experiments/feed-1/report");
        var exposures = report.GetProperty("report").GetProperty("arms").EnumerateArray().ToDictionary(a => a.GetProperty("arm").GetString()!);
        Assert.Equal(arms.Count(a => a.Value == "control"), exposures["control"].GetProperty("units").GetInt64());
        Assert.Equal(arms.Count(a => a.Value == "trending"), exposures["trending"].GetProperty("units").GetInt64());
        Assert.Equal(0, exposures["control"].GetProperty("clicks").GetDouble());
        Assert.Equal(arms.Count(a => a.Value == "trending"), exposures["trending"].GetProperty("clicks").GetDouble());
        Assert.Equal(3 * 2 * arms.Count(a => a.Value == "control"), exposures["control"].GetProperty("impressions").GetDouble()); // two pages of 3
        Assert.Equal(3, report.GetProperty("forcedImpressions").GetInt64());
        // The serving guardrails: two requests per unit, the forced one left out.
        var serving = report.GetProperty("serving").EnumerateArray().ToDictionary(a => a.GetProperty("arm").GetString()!);
        Assert.Equal(2 * arms.Count(a => a.Value == "control"), serving["control"].GetProperty("requests").GetInt64());
        Assert.Equal(2 * arms.Count(a => a.Value == "trending"), serving["trending"].GetProperty("requests").GetInt64());
        Assert.Equal(0, serving["trending"].GetProperty("errors").GetInt64());
        Assert.True(serving["trending"].GetProperty("latency").GetProperty("p99Ms").GetDouble() > 0);
        Assert.False(serving["trending"].GetProperty("guardrailHit").GetBoolean());
        Assert.False(serving["control"].TryGetProperty("guardrailHit", out _));
        var ranked = await (await server.PostJson("/v1/rank", $$"""{"userId":"{{control}}","candidates":[{"itemId":"i1"},{"itemId":"i2"}]}""")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("control", ranked.GetProperty("experiments")[0].GetProperty("arm").GetString());
        Assert.Equal("feed-1.2.control", ranked.GetProperty("variant").GetString());
        Assert.NotEmpty(report.GetProperty("report").GetProperty("verdicts").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/v1/experiments/nope/report")).StatusCode);
    }

    [Fact]
    public async Task The_cli_reports_lists_and_stops_an_experiment_on_the_data_folder()
    {
        var server = await Seeded();
        string dir = server.DataDirectory;
        await server.PostJson("/v1/experiments", """{"id":"cli-1","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5}],"preExperimentDays":1}""");
        await server.Client.PostAsync("/v1/experiments/cli-1/start", null);
        var clicks = new List<string>();
        for (int u = 0; u < 40; u++)
        {
            var r = await server.Client.GetFromJsonAsync<JsonElement>($"/v1/recommend/u{u}?n=4");
            if (u % 3 == 0)
            {
                clicks.Add($$"""{"userId":"u{{u}}","itemId":"{{r.GetProperty("items")[1].GetProperty("itemId").GetString()}}","type":"click","requestId":"{{r.GetProperty("requestId").GetString()}}","position":1}""");
            }
        }
        await server.PostJson("/v1/events", "[" + string.Join(",", clicks) + "]");
        await server.SettledAsync();
        var api = await server.Client.GetFromJsonAsync<JsonElement>("/v1/experiments/cli-1/report");
        server.KeepData = true;
        await server.DisposeAsync();
        try
        {
            var (code, stdout, stderr) = await Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), "experiment", "report", "cli-1", "--data-dir", dir, "--format", "json");
            Assert.True(code == 0, stdout + stderr);
            using (var json = JsonDocument.Parse(stdout))
            {
                var arms = json.RootElement.GetProperty("report").GetProperty("arms");
                Assert.Equal(JsonSerializer.Serialize(api.GetProperty("report").GetProperty("arms")), JsonSerializer.Serialize(arms)); // the same figures as the API
                Assert.Equal(clicks.Count, arms.EnumerateArray().Sum(a => a.GetProperty("clicks").GetDouble()));
                Assert.Equal(40, arms.EnumerateArray().Sum(a => a.GetProperty("units").GetInt64()));
            }
            (code, stdout, stderr) = await Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), "experiment", "report", "cli-1", "--data-dir", dir);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("| arm | units | impressions | clicks | conversions | value |", stdout, StringComparison.Ordinal);
            Assert.Contains("| ctr | primary | b | delta-method |", stdout, StringComparison.Ordinal);
            Assert.Contains("srm-chi2", stdout, StringComparison.Ordinal);

            (code, stdout, stderr) = await Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), "experiment", "stop", "cli-1", "--data-dir", dir);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("\"stopped\"", stdout, StringComparison.Ordinal);
            (code, stdout, stderr) = await Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), "experiment", "stop", "cli-1", "--data-dir", dir);
            Assert.Equal(1, code);
            Assert.Contains("status", stdout + stderr, StringComparison.Ordinal);
            string file = Path.Combine(dir, "x.json");
            await File.WriteAllTextAsync(file, """{"id":"cli-2","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5}]}""");
            Assert.Equal(0, (await Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), "experiment", "create", "--file", file, "--data-dir", dir)).ExitCode);
            (code, stdout, _) = await Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), "experiment", "list", "--data-dir", dir);
            Assert.Equal(0, code);
            Assert.Contains("\"cli-2\"", stdout, StringComparison.Ordinal);
            Assert.Equal(2, (await Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), "experiment", "report", "cli-1", "--data-dir", dir, "--format", "yaml")).ExitCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Experiments_need_the_admin_scope()
    {
        const string Admin = "admin-key-0123456789", Reader = "read-key-0123456789ab";
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:ApiKeys:0:Key"] = Admin,
            ["Cascade:ApiKeys:0:Scopes:0"] = "admin",
            ["Cascade:ApiKeys:1:Key"] = Reader,
            ["Cascade:ApiKeys:1:Scopes:0"] = "read",
        });
        server.Client.DefaultRequestHeaders.Add("X-Api-Key", Reader);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.Client.GetAsync("/v1/experiments")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await server.PostJson("/v1/experiments", TwoArms)).StatusCode);
        server.Client.DefaultRequestHeaders.Remove("X-Api-Key");
        server.Client.DefaultRequestHeaders.Add("X-Api-Key", Admin);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/experiments")).StatusCode);
    }

    [Fact]
    public async Task Impressions_in_the_log_carry_the_experiment_tag()
    {
        await using var server = await Seeded();
        await server.PostJson("/v1/experiments", """{"id":"aa","arms":[{"name":"a","share":0.5},{"name":"b","share":0.5}]}""");
        await server.Client.PostAsync("/v1/experiments/aa/start", null);
        var r = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u3?n=2");
        string requestId = r.GetProperty("requestId").GetString()!;
        await server.SettledAsync();
        var engine = server.Services.GetRequiredService<CascadeEngine>();
        var impressions = engine.Log.ReadFrom(1).Where(x => x.Kind == RecordKind.Event).Select(x => RecordCodec.DecodeEvent(x.Payload.Span))
            .Where(e => e.Type == "impression" && e.RequestId == requestId).ToList();
        Assert.Equal(2, impressions.Count);
        var parsed = RunningExperiments.Parse(impressions[0].Variant);
        Assert.Equal("aa", Assert.Single(parsed).Experiment);
        Assert.Equal(r.GetProperty("experiments")[0].GetProperty("arm").GetString(), parsed[0].Arm);
    }
}
