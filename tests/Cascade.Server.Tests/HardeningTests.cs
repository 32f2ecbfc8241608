using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cascade.Server.Infrastructure;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Tests;

/// <summary>Issue 15: bounded bodies, validated path ids, rate and concurrency limits, bound addresses, no 500s, bundles, readiness.</summary>
public sealed class HardeningTests
{
    internal static async Task Seed(RunningServer server, bool train = true)
    {
        var items = string.Join(",", Enumerable.Range(0, 8).Select(i => $$"""{"id":"i{{i}}","title":"I{{i}}","categories":["c{{i % 2}}"]}"""));
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/items", $"[{items}]")).StatusCode);
        var events = new StringBuilder("[");
        for (int u = 0; u < 6; u++)
        {
            for (int i = 0; i <= u; i++)
            {
                events.Append(events.Length > 1 ? "," : "").Append($$"""{"userId":"u{{u}}","itemId":"i{{i}}","type":"click"}""");
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", events.Append(']').ToString())).StatusCode);
        if (train)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
        }
    }

    private static async Task<string> FieldOf(HttpResponseMessage response) => (await Problem.ErrorsAsync(response))[0].Field;

    private static Task<HttpResponseMessage> Send(RunningServer server, HttpMethod method, string path, string key, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        request.Headers.Add("X-Api-Key", key);
        return server.Client.SendAsync(request);
    }

    // --- 3. bounded memory: elements are counted while the body streams in, and reading stops at the limit ---------

    [Fact]
    public async Task A_batch_over_the_limit_is_refused_at_the_limit_before_the_rest_of_the_body_is_parsed()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:MaxBatchSize"] = "3" });
        // Four elements and then garbage: parsed whole, the garbage is a 400; counted as it streams, the fourth element is a 413.
        var response = await server.PostJson("/v1/events", "[{},{},{},{}," + new string('x', 1000));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("limit is 3", (await Problem.ReadAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rank_candidates_over_the_limit_are_refused_at_the_limit_naming_the_field()
    {
        await using var server = await RunningServer.StartAsync();
        string candidates = string.Join(",", Enumerable.Repeat("""{"itemId":"a"}""", 1001));
        var response = await server.PostJson("/v1/rank", """{"candidates":[""" + candidates + ",@@@");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("$.candidates", await FieldOf(response));
    }

    [Fact]
    public async Task A_body_with_more_values_than_the_limit_or_a_huge_string_is_refused_naming_where()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:MaxJsonValues"] = "50", ["Cascade:MaxJsonTokenBytes"] = "2048" });
        var items = "[" + string.Join(",", Enumerable.Range(0, 10).Select(i => $$"""{"id":"x{{i}}","title":"t","categories":["a","b","c","d","e"]}""")) + "]";
        var many = await server.PostJson("/v1/items", items);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, many.StatusCode);
        Assert.Equal("$", await FieldOf(many));
        var huge = await server.PutJson("/v1/items/x", """{"title":"t","attributes":{"text":""" + "\"" + new string('a', 200_000) + "\"}}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Equal("$.attributes.text", await FieldOf(huge));
    }

    // --- 4. path ids are validated; unknown users make the engine store nothing by default ------------------------

    [Theory]
    [InlineData("/v1/recommend/u%0Ax", "userId")]
    [InlineData("/v1/recommend/u%C2%85x", "userId")]
    [InlineData("/v1/recommend/u%E2%80%AEx", "userId")]
    [InlineData("/v1/similar/i%7Fx", "itemId")]
    [InlineData("/v1/items/i%01", "id")]
    [InlineData("/v1/users/u%E2%80%AE/events", "id")]
    public async Task Path_ids_follow_the_ingestion_rules(string path, string field)
    {
        await using var server = await RunningServer.StartAsync();
        var response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(field, await FieldOf(response));
        var tooLong = await server.Client.GetAsync("/v1/recommend/" + new string('u', 7000));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLong.StatusCode);
        Assert.Equal("userId", await FieldOf(tooLong));
    }

    [Fact]
    public async Task Impressions_are_logged_for_known_users_only_unless_configured()
    {
        await using var server = await RunningServer.StartAsync();
        await Seed(server);
        var engine = server.Services.GetRequiredService<CascadeEngine>();
        await server.SettledAsync();
        long before = engine.Log.LastSequence;
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync($"/v1/recommend/stranger{i}?n=3")).StatusCode);
        }
        await server.SettledAsync();
        Assert.Equal(before, engine.Log.LastSequence); // 20 made-up users: nothing stored
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/recommend/u1?n=3")).StatusCode);
        await server.SettledAsync();
        Assert.Equal(before + 3, engine.Log.LastSequence); // a known user's impressions are

        await using var sampling = await RunningServer.StartAsync(new() { ["Cascade:UnknownUserImpressionRate"] = "1" });
        await Seed(sampling);
        var engine2 = sampling.Services.GetRequiredService<CascadeEngine>();
        await sampling.SettledAsync();
        long before2 = engine2.Log.LastSequence;
        Assert.Equal(HttpStatusCode.OK, (await sampling.Client.GetAsync("/v1/recommend/stranger?n=3")).StatusCode);
        await sampling.SettledAsync();
        Assert.Equal(before2 + 3, engine2.Log.LastSequence);
    }

    // --- 5. rate and concurrency limits ----------------------------------------------------------------------------

    [Fact]
    public async Task Over_the_rate_limit_a_key_gets_429_with_retry_after_as_a_problem_and_other_keys_do_not()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:RateLimits:ReadPerSecond"] = "1",
            ["Cascade:RateLimits:BurstSeconds"] = "1",
            ["Cascade:ApiKeys:0:Key"] = "first-key-0123456789",
            ["Cascade:ApiKeys:1:Key"] = "second-key-0123456789",
        });
        Task<HttpResponseMessage> Get(string key) => Send(server, HttpMethod.Get, "/v1/items/none", key);
        // One permit a second: 30 requests in a row can only all pass if they take 30 s.
        var statuses = new List<HttpResponseMessage>();
        for (int i = 0; i < 30; i++)
        {
            statuses.Add(await Get("first-key-0123456789"));
        }
        var limited = statuses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("X-Api-Key", await FieldOf(limited));
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await Get("second-key-0123456789")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/live")).StatusCode); // health is not limited
    }

    [Fact]
    public async Task Pipeline_requests_over_the_concurrency_limit_are_shed_with_503_and_retry_after()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:RateLimits:PipelineConcurrency"] = "1",
            ["Cascade:RateLimits:PipelineQueue"] = "0",
        });
        await Seed(server);
        var gate = server.Services.GetRequiredService<PipelineGate>();
        using (var held = await gate.AcquireAsync(CancellationToken.None))
        {
            Assert.True(held.IsAcquired);
            var shed = await server.Client.GetAsync("/v1/popular?n=2");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, shed.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), shed.Headers.RetryAfter?.Delta);
            Assert.Equal("https://cascade.dev/problems/busy", (await Problem.ReadAsync(shed)).GetProperty("type").GetString());
            Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/items/i1")).StatusCode); // not a pipeline endpoint
        }
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/popular?n=2")).StatusCode);
    }

    // --- 6. the addresses actually bound are checked --------------------------------------------------------------

    [Fact]
    public async Task Without_an_api_key_a_kestrel_endpoint_beyond_loopback_is_refused_after_binding()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cascade-server-tests", Guid.NewGuid().ToString("N"));
        var app = CascadeServer.Build([], new Dictionary<string, string?>
        {
            ["Cascade:DataDirectory"] = dir,
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:TrainingIntervalSeconds"] = "0",
            ["urls"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:Http:Url"] = "http://0.0.0.0:0",
            ["Logging:LogLevel:Default"] = "None",
        });
        try
        {
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
            Assert.Contains("without an API key", ex.Message, StringComparison.Ordinal);
            Assert.Contains("0.0.0.0", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    // --- 7. no 500s ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("/v1/recommend")]
    [InlineData("/v1/rank")]
    [InlineData("/v1/admin/bundle")]
    [InlineData("/v1/events")]
    [InlineData("/v1/items")]
    public async Task A_null_body_is_a_400_naming_the_body(string path)
    {
        await using var server = await RunningServer.StartAsync();
        var response = await server.PostJson(path, "null");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("$", await FieldOf(response));
    }

    [Fact]
    public async Task Huge_bids_are_refused_naming_the_bid_and_pctr_is_a_probability()
    {
        await using var server = await RunningServer.StartAsync();
        var response = await server.PostJson("/v1/rank", """{"candidates":[{"itemId":"a","bid":1e308},{"itemId":"b","bid":1e308}]}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("candidates[0].bid", await FieldOf(response));
        var reserve = await server.PostJson("/v1/rank", """{"candidates":[{"itemId":"a","bid":1}],"reservePrice":1e300}""");
        Assert.Equal("reservePrice", await FieldOf(reserve));

        // 50 clicks and no impressions: the smoothed CTR would be (50 + 0.5) / 10.
        var clicks = string.Join(",", Enumerable.Range(0, 50).Select(i => $$"""{"userId":"c{{i}}","itemId":"a","type":"click"}"""));
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", $"[{clicks}]")).StatusCode);
        await server.SettledAsync();
        var ranked = await (await server.PostJson("/v1/rank", """{"candidates":[{"itemId":"a","bid":1e9}]}""")).Content.ReadFromJsonAsync<JsonElement>();
        var a = ranked.GetProperty("items")[0];
        Assert.InRange(a.GetProperty("pCtr").GetDouble(), 0, 1);
        Assert.True(double.IsFinite(a.GetProperty("expectedValue").GetDouble()));
    }

    [Fact]
    public async Task Type_errors_name_json_types_not_dotnet_types()
    {
        await using var server = await RunningServer.StartAsync();
        var response = await server.PostJson("/v1/events", """{"userId":"u","itemId":"i","type":"rating","value":"high"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await Problem.ErrorsAsync(response))[0];
        Assert.Equal("$.value", error.Field);
        Assert.DoesNotContain("System.", error.Reason, StringComparison.Ordinal);
        Assert.Contains("a number", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_documented_pipeline_example_with_thompson_exploration_serves()
    {
        string doc = File.ReadAllText(Path.Combine(IngestionApiTests.RepoRoot(), "docs", "pipeline.md"));
        int start = doc.IndexOf("```json", StringComparison.Ordinal) + 7;
        string json = doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];
        Assert.Contains("thompson", json, StringComparison.Ordinal);
        string file = Path.Combine(Path.GetTempPath(), $"cascade-pipeline-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        try
        {
            await using var server = await RunningServer.StartAsync(new() { ["Cascade:ConfigFile"] = file, ["Cascade:TrainOnStart"] = "false" });
            await Seed(server);
            var response = await server.Client.GetAsync("/v1/recommend/u2?n=4");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    // --- 8. bundles: only from the bundles folder, only regular files of the declared size, never retrained ---------

    private static async Task<(RunningServer Server, string Bundles)> ServerWithBundle()
    {
        var server = await RunningServer.StartAsync();
        await Seed(server);
        string bundles = Path.Combine(server.DataDirectory, "bundles");
        server.Services.GetRequiredService<RecommendationService>().Bundles.SaveBundle("default", Path.Combine(bundles, "b1"));
        return (server, bundles);
    }

    private static Task<HttpResponseMessage> LoadBundle(RunningServer server, string path) =>
        server.PostJson("/v1/admin/bundle", JsonSerializer.Serialize(new { path }));

    [Fact]
    public async Task A_bundle_loads_by_name_from_the_bundles_folder_and_nowhere_else()
    {
        var (server, bundles) = await ServerWithBundle();
        await using var _ = server;
        Assert.Equal(HttpStatusCode.OK, (await LoadBundle(server, "b1")).StatusCode);
        foreach (string outside in (string[])[Path.Combine(bundles, "b1"), "../bundles/b1", "/etc", "..", "nope"])
        {
            var refused = await LoadBundle(server, outside);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
            Assert.Equal("path", await FieldOf(refused));
            Assert.DoesNotContain(server.DataDirectory, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_model_file_that_is_a_link_a_pipe_or_of_another_size_is_refused_without_reading_it()
    {
        var (server, bundles) = await ServerWithBundle();
        await using var _ = server;
        string b1 = Path.Combine(bundles, "b1");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(b1, "manifest.json")))!;
        string model = manifest["models"]![0]!["file"]!.GetValue<string>();

        void Copy(string name, Action<string> damage)
        {
            string dir = Path.Combine(bundles, name);
            Directory.CreateDirectory(dir);
            foreach (var f in Directory.GetFiles(b1))
            {
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            }
            damage(dir);
        }
        Copy("zero", dir =>
        {
            File.Delete(Path.Combine(dir, model));
            File.CreateSymbolicLink(Path.Combine(dir, model), "/dev/zero");
        });
        Copy("fifo", dir =>
        {
            File.Delete(Path.Combine(dir, model));
            using var mkfifo = Process.Start("mkfifo", Path.Combine(dir, model));
            mkfifo.WaitForExit();
        });
        Copy("short", dir => File.AppendAllText(Path.Combine(dir, model), "x"));
        Copy("nulls", dir =>
        {
            var m = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!;
            m["app"] = null;
            m["models"]![0]!["sha256"] = null;
            File.WriteAllText(Path.Combine(dir, "manifest.json"), m.ToJsonString());
        });
        Copy("spec", dir =>
        {
            var m = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")))!;
            m["models"]![0]!["spec"] = "als:factors=3";
            File.WriteAllText(Path.Combine(dir, "manifest.json"), m.ToJsonString());
        });
        foreach (var (name, says) in ((string, string)[])[("zero", "not a regular file"), ("fifo", "bytes; the manifest declares"),
            ("short", "bytes; the manifest declares"), ("nulls", "lacks app, models[0].sha256"), ("spec", "holds no model for spec")])
        {
            var refused = await LoadBundle(server, name);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            string detail = (await Problem.ReadAsync(refused)).GetProperty("detail").GetString()!;
            Assert.Contains(says, detail, StringComparison.Ordinal);
            Assert.DoesNotContain(server.DataDirectory, detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_bundle_load_over_its_time_is_cancelled_and_refused()
    {
        var server = await RunningServer.StartAsync(new() { ["Cascade:BundleLoadTimeoutSeconds"] = "1" });
        await using var _ = server;
        await Seed(server);
        string b1 = Path.Combine(server.DataDirectory, "bundles", "b1");
        server.Services.GetRequiredService<RecommendationService>().Bundles.SaveBundle("default", b1);
        // A training holding the app's lock keeps the load waiting past its time; it is then cancelled, not run later.
        var service = server.Services.GetRequiredService<RecommendationService>();
        var version = service.Bundles.BundleVersion("default");
        using var gate = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        var holder = Task.Run(() =>
        {
            lock (TrainLockOf(service, "default"))
            {
                held.Set();
                gate.Wait();
            }
        });
        held.Wait();
        var refused = await LoadBundle(server, "b1");
        gate.Set();
        await holder;
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("was cancelled", (await Problem.ReadAsync(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await service.Bundles.TrainInBackground("default"); // takes the lock after the cancelled load, which swapped nothing in
        Assert.NotEqual(version, service.Bundles.BundleVersion("default"));
        Assert.DoesNotContain("bundle", service.Bundles.BundleVersion("default"), StringComparison.Ordinal);
    }

    private static object TrainLockOf(RecommendationService service, string app)
    {
        var field = typeof(BundleManager).GetField("_trainLocks", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        var locks = (System.Collections.Concurrent.ConcurrentDictionary<string, object>)field.GetValue(service.Bundles)!;
        return locks.GetOrAdd(app, _ => new object());
    }

    // --- 9. readiness means a bundle serves (or the documented no-data fallback) ----------------------------------

    [Fact]
    public async Task Ready_means_a_bundle_serves_each_app_or_there_is_no_data_to_train_on()
    {
        await using var empty = await RunningServer.StartAsync(new() { ["Cascade:TrainOnStart"] = "false" });
        var noData = await empty.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, noData.StatusCode);
        var body = await noData.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("no-data", body.GetProperty("apps")[0].GetProperty("serving").GetString());

        await Seed(empty, train: false);
        var training = await empty.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, training.StatusCode);
        Assert.NotNull(training.Headers.RetryAfter);
        Assert.Equal("training", (await training.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        // The probe started the training; once it serves, the server is ready.
        await empty.Services.GetRequiredService<RecommendationService>().Bundles.WaitForBundleAsync("default").WaitAsync(TimeSpan.FromSeconds(60));
        var ready = await empty.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("bundle", (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("apps")[0].GetProperty("serving").GetString());
    }

    // --- 10. the smaller list ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData("""{"userId":"u\u007f","itemId":"i","type":"click"}""", "userId")]
    [InlineData("""{"userId":"u","itemId":"i\u0085","type":"click"}""", "itemId")]
    [InlineData("""{"userId":"u\u202e","itemId":"i","type":"click"}""", "userId")]
    [InlineData("""{"userId":"a/b","itemId":"i","type":"click"}""", "userId")]
    public async Task Ids_refuse_delete_nel_bidi_overrides_and_slashes(string json, string field)
    {
        await using var server = await RunningServer.StartAsync();
        var response = await server.PostJson("/v1/events", json);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(field, await FieldOf(response));
        var batch = await server.PostJson("/v1/items", """[{"id":"x/y","title":"t"}]""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, batch.StatusCode);
        Assert.Equal("[0].id", await FieldOf(batch));
    }

    [Fact]
    public async Task A_url_over_the_limit_and_a_declared_body_over_the_limit_get_problems_naming_the_field()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:MaxRequestBodyBytes"] = "4096" });
        var longUrl = await server.Client.GetAsync("/v1/items/x?pad=" + new string('p', 10_000));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longUrl.StatusCode);
        Assert.Equal("query", await FieldOf(longUrl));
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(new string(' ', 10_000), Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        var large = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Equal("$", await FieldOf(large));
        Assert.True(large.Headers.ConnectionClose);
    }

    [Fact]
    public async Task The_console_log_formatter_follows_the_configuration()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cascade-server-tests", Guid.NewGuid().ToString("N"));
        var app = CascadeServer.Build([], new Dictionary<string, string?>
        {
            ["Cascade:DataDirectory"] = dir,
            ["Logging:Console:FormatterName"] = "json",
        });
        try
        {
            var console = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>>();
            Assert.Equal("json", console.CurrentValue.FormatterName);
        }
        finally
        {
            await app.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task An_item_created_far_in_the_future_is_refused()
    {
        await using var server = await RunningServer.StartAsync();
        var response = await server.PutJson("/v1/items/f", """{"title":"t","createdAt":"2999-01-01T00:00:00Z"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("createdAt", await FieldOf(response));
    }

    [Fact]
    public async Task Every_app_with_data_is_trained_in_the_background()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:TrainingIntervalSeconds"] = "1",
            ["Cascade:ApiKeys:0:Key"] = "shop-admin-0123456789",
            ["Cascade:ApiKeys:0:App"] = "shop",
            ["Cascade:ApiKeys:0:Scopes:0"] = "admin",
        });
        var events = await Send(server, HttpMethod.Post, "/v1/events", "shop-admin-0123456789", """[{"userId":"u1","itemId":"a","type":"click"},{"userId":"u2","itemId":"b","type":"click"}]""");
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        await server.Services.GetRequiredService<RecommendationService>().Bundles.WaitForBundleAsync("shop").WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Admin_stats_count_the_keys_app_only()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:ApiKeys:0:Key"] = "shop-admin-0123456789",
            ["Cascade:ApiKeys:0:App"] = "shop",
            ["Cascade:ApiKeys:0:Scopes:0"] = "admin",
            ["Cascade:ApiKeys:1:Key"] = "blog-admin-0123456789",
            ["Cascade:ApiKeys:1:App"] = "blog",
            ["Cascade:ApiKeys:1:Scopes:0"] = "admin",
        });
        await Send(server, HttpMethod.Post, "/v1/events", "shop-admin-0123456789", """[{"userId":"u1","itemId":"a","type":"click"},{"userId":"u2","itemId":"b","type":"click"}]""");
        await server.SettledAsync();
        var blog = await (await Send(server, HttpMethod.Get, "/v1/admin/stats", "blog-admin-0123456789")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, blog.GetProperty("state").GetProperty("recentUsers").GetInt32());
        var shop = await (await Send(server, HttpMethod.Get, "/v1/admin/stats", "shop-admin-0123456789")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, shop.GetProperty("state").GetProperty("recentUsers").GetInt32());
    }

    [Theory]
    [InlineData("/v1/recommend")]
    [InlineData("/v1/rank")]
    [InlineData("/v1/items/x")]
    public async Task A_text_plain_body_gets_a_415_problem_naming_the_content_type(string path)
    {
        await using var server = await RunningServer.StartAsync();
        var request = new HttpRequestMessage(path == "/v1/items/x" ? HttpMethod.Put : HttpMethod.Post, path) { Content = new StringContent("hello", Encoding.UTF8, "text/plain") };
        var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("Content-Type", await FieldOf(response));
    }
}
