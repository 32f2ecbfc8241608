using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cascade.Features;
using Cascade.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Tests;

public sealed class RecommendAndSecurityTests
{
    [Fact]
    public async Task Recommendations_lead_with_popular_items_and_leave_out_the_users_seen_and_hidden_ones()
    {
        await using var server = await RunningServer.StartAsync();
        await server.PostJson("/v1/items", """[{"id":"a","title":"A"},{"id":"b","title":"B"},{"id":"c","title":"C"},{"id":"d","title":"D"}]""");
        // Popularity: a (3 users) > b (2) > c (1); d only seen by u9 as an impression (no weight).
        await server.PostJson("/v1/events", """
            [{"userId":"u1","itemId":"a","type":"click"},{"userId":"u2","itemId":"a","type":"click"},{"userId":"u3","itemId":"a","type":"click"},
             {"userId":"u1","itemId":"b","type":"click"},{"userId":"u2","itemId":"b","type":"click"},
             {"userId":"u3","itemId":"c","type":"click"},{"userId":"u9","itemId":"d","type":"impression"}]
            """);
        var trained = await (await server.Client.PostAsync("/v1/admin/train", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(4, trained.GetProperty("items").GetInt32()); // d is a column too, with no positive interaction
        var forNewUser = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/newcomer?n=10");
        Assert.Equal(["a", "b", "c"], Ids(forNewUser));
        Assert.False(string.IsNullOrEmpty(forNewUser.GetProperty("requestId").GetString()));

        // u1 has seen a and b; c is the popular unseen item; d (no positive interaction) may come from the ALS source.
        var forU1 = Ids(await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u1?n=10"));
        Assert.Equal("c", forU1[0]);
        Assert.DoesNotContain("a", forU1);
        Assert.DoesNotContain("b", forU1);

        await server.Client.PostAsync("/v1/items/a/hide", null);
        var afterHide = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/newcomer?n=2");
        Assert.Equal(["b", "c"], Ids(afterHide));
    }

    [Fact]
    public async Task With_api_keys_requests_need_a_valid_key_with_the_right_scope_and_act_on_the_keys_app()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:ApiKeys:0:Key"] = "reader-key-0123456789",
            ["Cascade:ApiKeys:0:App"] = "shop",
            ["Cascade:ApiKeys:0:Scopes:0"] = "read",
            ["Cascade:ApiKeys:1:Key"] = "writer-key-0123456789",
            ["Cascade:ApiKeys:1:App"] = "shop",
            ["Cascade:ApiKeys:1:Scopes:0"] = "write",
            ["Cascade:ApiKeys:2:Key"] = "other-app-0123456789",
            ["Cascade:ApiKeys:2:App"] = "blog",
            ["Cascade:ApiKeys:2:Scopes:0"] = "admin",
        });
        async Task<HttpStatusCode> Put(string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, "/v1/items/k1") { Content = JsonContent.Create(new { title = "K" }) };
            if (key is not null)
            {
                request.Headers.Add("X-Api-Key", key);
            }
            return (await server.Client.SendAsync(request)).StatusCode;
        }
        async Task<HttpStatusCode> Get(string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/v1/items/k1");
            request.Headers.Add("X-Api-Key", key);
            return (await server.Client.SendAsync(request)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await Put(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Put("wrong-key-0123456789"));
        Assert.Equal(HttpStatusCode.Forbidden, await Put("reader-key-0123456789"));
        Assert.Equal(HttpStatusCode.OK, await Put("writer-key-0123456789"));
        Assert.Equal(HttpStatusCode.OK, await Get("reader-key-0123456789"));
        Assert.Equal(HttpStatusCode.NotFound, await Get("other-app-0123456789")); // another app's catalog
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public void Without_an_api_key_the_server_refuses_to_bind_beyond_loopback()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cascade-server-tests", Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<InvalidOperationException>(() => CascadeServer.Build([], new Dictionary<string, string?>
        {
            ["Cascade:DataDirectory"] = dir,
            ["urls"] = "http://0.0.0.0:0",
        }));
        Assert.Contains("0.0.0.0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("API key", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Cascade:ApiKeys:0:Key", "short", "Cascade:ApiKeys:0:Key")]
    [InlineData("Cascade:Variant", "two words", "Cascade:Variant 'two words'")]
    [InlineData("Cascade:Features:MaxPairs", "5", "Cascade:Features")]
    [InlineData("Cascade:Features:Windows:0", "soon", "Cascade:Features")]
    public void An_invalid_setting_is_refused_at_start_up_by_name(string setting, string value, string message)
    {
        Assert.Contains(message, RefusedAtStartUp((setting, value)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_invalid_setting_is_listed_at_start_up_with_its_value_and_range()
    {
        var ex = RefusedAtStartUp(
            ("Cascade:MaxBatchSize", "0"),
            ("Cascade:TrainingIntervalSeconds", "-1"),
            ("Cascade:Pipeline:Sources:0:Name", "trending"),
            ("Cascade:Pipeline:Sources:0:Kind", "popular"),
            ("Cascade:Pipeline:Sources:0:Quota", "0"));
        Assert.Contains("Cascade:MaxBatchSize 0 must be at least 1.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cascade:TrainingIntervalSeconds -1 must be at least 0.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Cascade:Pipeline:Sources:0:Quota 0 must be between 1 and 10000.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configured_event_types_replace_the_defaults()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:EventTypes:0:Name"] = "watch",
            ["Cascade:EventTypes:0:Role"] = "Positive",
            ["Cascade:EventTypes:0:Weight"] = "0.1",
            ["Cascade:EventTypes:0:MinValue"] = "0",
            ["Cascade:EventTypes:0:ScaleByValue"] = "true",
        });
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", """{"userId":"u","itemId":"i","type":"watch","value":120}""")).StatusCode);
        var refused = await server.PostJson("/v1/events", """{"userId":"u","itemId":"i","type":"click"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.Contains(await Problem.ErrorsAsync(refused), e => e.Field == "type" && e.Reason.Contains("watch", StringComparison.Ordinal));
        var negative = await server.PostJson("/v1/events", """{"userId":"u","itemId":"i","type":"watch","value":-1}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, negative.StatusCode);
    }

    [Fact]
    public void An_invalid_event_type_configuration_is_refused_at_start_up_naming_the_setting()
    {
        var ex = RefusedAtStartUp(("Cascade:EventTypes:0:Name", "watch"), ("Cascade:EventTypes:0:MinValue", "5"), ("Cascade:EventTypes:0:MaxValue", "1"));
        Assert.Contains("Cascade:EventTypes:0", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The error of building a loopback server with a fresh data directory and <paramref name="settings"/>.</summary>
    private static InvalidOperationException RefusedAtStartUp(params (string Key, string Value)[] settings)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Cascade:DataDirectory"] = Path.Combine(Path.GetTempPath(), "cascade-server-tests", Guid.NewGuid().ToString("N")),
            ["urls"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in settings)
        {
            configuration[key] = value;
        }
        return Assert.Throws<InvalidOperationException>(() => CascadeServer.Build([], configuration));
    }

    [Fact]
    public async Task The_feature_definitions_come_from_configuration()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:Features:MaxPairs"] = "5000",
            ["Cascade:Features:Windows:0"] = "2h",
            ["Cascade:Features:IncludeCross"] = "false",
        });
        var set = server.Services.GetRequiredService<OnlineFeatureStore>().Features;
        Assert.Equal(5000, set.Options.MaxPairs);
        Assert.Equal(["2h"], set.WindowNames);
        Assert.True(set.NumericIndex("item_ctr_2h") >= 0);
        Assert.Equal(-1, set.NumericIndex("user_item_impressions"));
    }

    [Fact]
    public void A_configured_feature_list_replaces_the_default_list_for_the_store_and_the_ranker()
    {
        var configuration = Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(new Microsoft.Extensions.Configuration.ConfigurationBuilder(), new Dictionary<string, string?>
        {
            ["Cascade:Features:Windows:0"] = "30d",
            ["Cascade:Pipeline:Sources:0:Name"] = "pop",
            ["Cascade:Pipeline:Sources:0:Kind"] = "popular",
            ["Cascade:Pipeline:Ranker:Kind"] = "lr",
            ["Cascade:Pipeline:Ranker:EntityFeatures:Windows:0"] = "7d",
            ["Cascade:Pipeline:Ranker:EntityFeatures:Windows:1"] = "30d",
            ["Cascade:Pipeline:Ranker:EntityFeatures:IncludeItemId"] = "false",
        }).Build();
        var options = ServerOptions.From(configuration);
        Assert.Equal(["30d"], options.Features.Windows);
        Assert.Equal(["7d", "30d"], options.Pipeline.Ranker!.EntityFeatures!.Windows);
        Assert.False(options.Pipeline.Ranker.EntityFeatures.IncludeItemId);
    }

    [Fact]
    public async Task Health_endpoints_answer()
    {
        await using var server = await RunningServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/live")).StatusCode);
        var ready = await server.Client.GetFromJsonAsync<JsonElement>("/health/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.All(ready.GetProperty("projections").EnumerateArray(), p => Assert.Equal(0, p.GetProperty("lag").GetInt64()));
        Assert.Equal(["catalog", "interactions", "recent-changes", "features", "dashboard"], ready.GetProperty("projections").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Without_a_bundle_a_request_gets_503_with_retry_after_and_starts_a_training_in_the_background()
    {
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:TrainOnStart"] = "false" });
        await server.PostJson("/v1/events", """[{"userId":"u1","itemId":"i1","type":"click"},{"userId":"u2","itemId":"i2","type":"click"}]""");
        // Nothing has started a training yet, so the first request finds no bundle; it starts one.
        var first = await server.Client.GetAsync("/v1/recommend/u1?n=2");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), first.Headers.RetryAfter?.Delta);
        Assert.Contains("being trained in the background", (await Problem.ReadAsync(first)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // A tiny training may already be done by the time readiness is asked; either way readiness tells the truth.
        var probe = await server.Client.GetAsync("/health/ready");
        var probeBody = await probe.Content.ReadFromJsonAsync<JsonElement>();
        if (probeBody.TryGetProperty("bundleVersion", out _))
        {
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, probe.StatusCode);
            Assert.Equal("training", probeBody.GetProperty("status").GetString());
        }
        await server.Services.GetRequiredService<RecommendationService>().Bundles.WaitForBundleAsync("default").WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/recommend/u1?n=2")).StatusCode);
        var health = await server.Client.GetFromJsonAsync<JsonElement>("/health/ready");
        Assert.StartsWith("2-", health.GetProperty("bundleVersion").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_command_ingests_trains_and_serves_recommendations()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cascade-server-tests", Guid.NewGuid().ToString("N"));
        var (code, stdout, stderr) = await Cascade.Tests.Shared.CliProcess.RunAsync(TimeSpan.FromMinutes(3), "demo", "--smoke", "--data-dir", dir, "--users", "200", "--items", "300", "--events", "20000", "--urls", "http://127.0.0.1:0");
        string output = stdout + stderr;
        Assert.True(code == 0, output);
        Assert.Contains("\"itemId\"", output, StringComparison.Ordinal);
        Assert.Contains("curl", output, StringComparison.Ordinal);
        // Output to a pipe is plain: no colour codes, and every printed command on one line (copyable).
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
        Assert.Contains(output.Split('\n'), line => line.Contains("curl -s -X POST", StringComparison.Ordinal) && line.Contains("\"type\":\"click\"}'", StringComparison.Ordinal));
        Directory.Delete(dir, recursive: true);
    }

    private static string[] Ids(JsonElement response) => [.. response.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!)];
}
