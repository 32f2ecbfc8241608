using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenTelemetry.Trace;

namespace Cascade.Server.Tests;

/// <summary>/metrics in Prometheus text and per-request traces, over a real server.</summary>
public sealed class MonitoringApiTests
{
    private static async Task Seed(RunningServer server)
    {
        var items = new StringBuilder("[");
        for (int i = 0; i < 20; i++)
        {
            items.Append(i > 0 ? "," : "").Append($$"""{"id":"i{{i}}","title":"Item {{i}}","categories":["c{{i % 2}}"]}""");
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/items", items.Append(']').ToString())).StatusCode);
        var events = new StringBuilder("[");
        for (int u = 0; u < 15; u++)
        {
            for (int k = 0; k < 4; k++)
            {
                events.Append(events.Length > 1 ? "," : "").Append($$"""{"userId":"u{{u}}","itemId":"i{{(u * 3 + k * 7) % 20}}","type":"click"}""");
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", events.Append(']').ToString())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
    }

    [Fact]
    public async Task Metrics_are_served_in_prometheus_text_with_request_stage_ingestion_and_bundle_series()
    {
        await using var server = await RunningServer.StartAsync();
        await Seed(server);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/recommend/u1?n=5")).StatusCode);
        var response = await server.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        string text = await response.Content.ReadAsStringAsync();
        string[] lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("cascade_http_request_duration_seconds_bucket{", StringComparison.Ordinal)
            && l.Contains("endpoint=\"/v1/recommend/{userId}\"", StringComparison.Ordinal) && l.Contains("status=\"200\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_pipeline_stage_duration_seconds_bucket{", StringComparison.Ordinal) && l.Contains("stage=\"total\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_pipeline_stage_duration_seconds_bucket{", StringComparison.Ordinal) && l.Contains("stage=\"merge\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_pipeline_stage_items_bucket{", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_ingest_events_total{", StringComparison.Ordinal) && l.Contains("type=\"click\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_training_duration_seconds_count{", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_bundle_info{", StringComparison.Ordinal) && l.Contains("app=\"default\"", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_bundle_age_seconds{", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_projection_lag{", StringComparison.Ordinal) && l.Contains("projection=\"catalog\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("cascade_log_fsync_duration_seconds_count", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("dotnet_gc_collections_total", StringComparison.Ordinal)); // the runtime's instruments
        Assert.Contains("# TYPE cascade_http_request_duration_seconds histogram", text, StringComparison.Ordinal);
        // Labels stay bounded: no user or item id appears in any series.
        Assert.DoesNotContain(lines, l => !l.StartsWith('#') && (l.Contains("\"u1\"", StringComparison.Ordinal) || l.Contains("/v1/recommend/u1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Metrics_need_the_admin_scope_when_keys_are_configured()
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
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client.GetAsync("/metrics")).StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("X-Api-Key", Reader);
        var forbidden = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType!.MediaType);
        request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add("X-Api-Key", Admin);
        var ok = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("cascade_", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_traces_on_a_request_has_a_span_with_the_pipeline_its_stages_and_sources_as_children()
    {
        var spans = new List<Activity>();
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:Telemetry:Traces"] = "true", ["Cascade:Telemetry:TraceSampleRatio"] = "1" },
            services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        await Seed(server);
        var r = await server.Client.GetFromJsonAsync<JsonElement>("/v1/recommend/u2?n=5");
        Assert.Equal(5, r.GetProperty("items").GetArrayLength());
        Activity? pipeline = null;
        for (int i = 0; i < 100 && pipeline is null; i++)
        {
            lock (spans)
            {
                pipeline = spans.LastOrDefault(s => s.OperationName == "pipeline" && spans.Any(h => h.SpanId == s.ParentSpanId && h.DisplayName.Contains("/v1/recommend/{userId}", StringComparison.Ordinal)));
            }
            if (pipeline is null)
            {
                await Task.Delay(50); // a span is exported when it ends, just after the response is written
            }
        }
        Assert.NotNull(pipeline);
        List<string> children;
        lock (spans)
        {
            children = [.. spans.Where(s => s.ParentSpanId == pipeline!.SpanId).Select(s => s.OperationName)];
        }
        Assert.Contains("retrieve", children);
        Assert.Contains("merge", children);
        Assert.Contains("rerank", children);
        lock (spans)
        {
            var retrieve = spans.Single(s => s.OperationName == "retrieve" && s.ParentSpanId == pipeline!.SpanId);
            Assert.Contains(spans, s => s.ParentSpanId == retrieve.SpanId && s.OperationName.StartsWith("source:", StringComparison.Ordinal));
            Assert.All(spans.Where(s => s.OperationName.StartsWith("source:", StringComparison.Ordinal) && s.ParentSpanId == retrieve.SpanId),
                s => Assert.NotNull(s.GetTagItem("cascade.candidates")));
        }
    }

    [Fact]
    public async Task Traces_are_sampled_by_ratio_and_a_sampled_traceparent_is_always_traced()
    {
        var spans = new List<Activity>();
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:Telemetry:Traces"] = "true", ["Cascade:Telemetry:TraceSampleRatio"] = "0" },
            services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        await Seed(server);
        for (int i = 0; i < 20; i++)
        {
            Assert.True((await server.Client.GetAsync($"/v1/recommend/u{i}?n=5")).IsSuccessStatusCode);
        }
        const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        using var traced = new HttpRequestMessage(HttpMethod.Get, "/v1/recommend/u1?n=5");
        traced.Headers.Add("traceparent", $"00-{TraceId}-00f067aa0ba902b7-01");
        Assert.True((await server.Client.SendAsync(traced)).IsSuccessStatusCode);
        bool found = false;
        for (int i = 0; i < 100 && !found; i++)
        {
            lock (spans)
            {
                found = spans.Any(s => s.OperationName == "pipeline" && s.TraceId.ToHexString() == TraceId);
            }
            if (!found)
            {
                await Task.Delay(50);
            }
        }
        Assert.True(found, "the request with a sampled traceparent was not traced");
        lock (spans)
        {
            // Ratio 0: the twenty requests without a sampled parent left no span.
            Assert.All(spans, s => Assert.Equal(TraceId, s.TraceId.ToHexString()));
        }
    }

    private static string Events(Random random, int count, Func<Random, int> item)
    {
        var events = new StringBuilder("[");
        for (int k = 0; k < count; k++)
        {
            events.Append(k > 0 ? "," : "").Append($$"""{"userId":"u{{random.Next(200)}}","itemId":"i{{item(random)}}","type":"click"}""");
        }
        return events.Append(']').ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Drift_compares_the_current_window_with_the_training_data_and_flags_a_moved_category_mix(bool shift)
    {
        await using var server = await RunningServer.StartAsync(new() { ["Cascade:Drift:Enabled"] = "false", ["Cascade:TrainOnStart"] = "false" });
        var items = new StringBuilder("[");
        for (int i = 0; i < 40; i++)
        {
            items.Append(i > 0 ? "," : "").Append($$"""{"id":"i{{i}}","title":"Item {{i}}","categories":["c{{i % 4}}"]}""");
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/items", items.Append(']').ToString())).StatusCode);
        var random = new Random(11);
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", Events(random, 2000, r => r.Next(40)))).StatusCode);
        var before = await server.Client.GetFromJsonAsync<JsonElement>("/v1/monitoring/drift?refresh=true");
        Assert.False(before.TryGetProperty("report", out _)); // no bundle yet: nothing to compare with
        Assert.Contains("bundle", before.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
        // After the training: the same mix, or only category c0 (items 0, 4, 8, …).
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", Events(random, 1500, r => shift ? 4 * r.Next(10) : r.Next(40)))).StatusCode);
        var drift = await server.Client.GetFromJsonAsync<JsonElement>("/v1/monitoring/drift?refresh=true");
        Assert.False(string.IsNullOrEmpty(drift.GetProperty("bundleVersion").GetString()));
        Assert.Equal(2000, drift.GetProperty("referenceEvents").GetInt64());
        Assert.Equal(1500, drift.GetProperty("windowEvents").GetInt64());
        var signals = drift.GetProperty("report").GetProperty("signals").EnumerateArray().ToList();
        foreach (var s in signals)
        {
            foreach (string key in new[] { "signal", "kind", "statistic", "value", "threshold", "window", "status" })
            {
                Assert.True(s.TryGetProperty(key, out _), $"a signal lacks {key}: {s}");
            }
            Assert.Contains(s.GetProperty("status").GetString(), new[] { "ok", "warning", "drift", "insufficient-data" });
        }
        var category = signals.Where(s => s.GetProperty("signal").GetString() == "item.category").ToList();
        Assert.NotEmpty(category);
        if (shift)
        {
            Assert.Contains(category, s => s.GetProperty("status").GetString() == "drift");
            Assert.Equal("drift", drift.GetProperty("report").GetProperty("status").GetString());
        }
        else
        {
            Assert.DoesNotContain(category, s => s.GetProperty("status").GetString() == "drift");
        }
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await server.Client.GetAsync("/v1/monitoring/drift?refresh=maybe")).StatusCode);
        // The window follows the log: the next evaluation reads only what came after, and keeps what it had.
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", Events(random, 300, r => r.Next(40)))).StatusCode);
        var followed = await server.Client.GetFromJsonAsync<JsonElement>("/v1/monitoring/drift?refresh=true");
        Assert.Equal(1800, followed.GetProperty("windowEvents").GetInt64());
        Assert.Equal(2000, followed.GetProperty("referenceEvents").GetInt64());
        // The evaluation is exported as metrics too.
        string metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("cascade_drift_status{", metrics, StringComparison.Ordinal);
        Assert.Contains("signal=\"item.category\"", metrics, StringComparison.Ordinal);
    }
}
