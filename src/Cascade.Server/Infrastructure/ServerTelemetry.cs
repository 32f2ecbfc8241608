using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Cascade.Core.Telemetry;
using Cascade.Serving;
using Cascade.Storage.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cascade.Server.Infrastructure;

/// <summary>Metrics and traces: what the server exports and where (<c>Cascade:Telemetry</c>; docs/monitoring.md).</summary>
public sealed class TelemetryOptions
{
    /// <summary>Serve the metrics in Prometheus text format at <c>GET /metrics</c> (admin scope when API keys are configured). Default true.</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>Record a trace per request (an ASP.NET Core span with the pipeline's stages and sources as children). Default false.</summary>
    public bool Traces { get; set; }

    /// <summary>
    /// Share of requests traced when <see cref="Traces"/> is on, in [0, 1], decided by trace id; a request that arrives
    /// with a sampled W3C <c>traceparent</c> is always traced (parent-based). Default 0.1: a span tree for every
    /// request cost 11–13 % of the saturation throughput in one pair of load runs (docs/benchmarks.md).
    /// </summary>
    public double TraceSampleRatio { get; set; } = 0.1;

    /// <summary>An OTLP endpoint (e.g. <c>http://127.0.0.1:4317</c>) that metrics and traces are pushed to; empty for none. Default empty.</summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>The service name the exports carry. Default "cascade".</summary>
    public string ServiceName { get; set; } = "cascade";

    /// <summary>Every problem of the options, each naming its key.</summary>
    public IEnumerable<string> Problems()
    {
        if (OtlpEndpoint.Length > 0 && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            yield return $"Cascade:Telemetry:OtlpEndpoint '{OtlpEndpoint}' is not an http(s) URL.";
        }
        if (!(TraceSampleRatio is >= 0 and <= 1))
        {
            yield return $"Cascade:Telemetry:TraceSampleRatio {TraceSampleRatio} must be in [0, 1].";
        }
        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            yield return "Cascade:Telemetry:ServiceName must not be empty.";
        }
    }
}

/// <summary>
/// Wires the <see cref="CascadeTelemetry"/> meter and activity source to OpenTelemetry: the Prometheus exporter at
/// /metrics, OTLP when configured, the runtime's own instruments, the HTTP request histogram, and the gauges read
/// from the engine and the bundles at each scrape.
/// </summary>
internal static class ServerTelemetry
{
    private static readonly Histogram<double> RequestDuration = CascadeTelemetry.LatencyHistogram("cascade.http.request.duration",
        "Time to answer an HTTP request, by endpoint (the route template), method and status code.");

    private static readonly Counter<long> RequestBodyBytes = CascadeTelemetry.Meter.CreateCounter<long>("cascade.http.request.body.size", "By",
        "Bytes of request bodies received (declared length), by endpoint: ingestion volume on the write endpoints.");

    /// <summary>Adds the exporters and the scrape-time gauges; the gauges' meter is the container's, so it goes with the server.</summary>
    public static void AddCascadeTelemetry(this IServiceCollection services, TelemetryOptions options, CascadeEngine engine, RecommendationService recommendations)
    {
        var telemetry = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(options.ServiceName));
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(CascadeTelemetry.Name).AddRuntimeInstrumentation();
            if (options.Metrics)
            {
                metrics.AddPrometheusExporter();
            }
            if (options.OtlpEndpoint.Length > 0)
            {
                metrics.AddOtlpExporter(o => o.Endpoint = new Uri(options.OtlpEndpoint));
            }
        });
        if (options.Traces)
        {
            telemetry.WithTracing(tracing =>
            {
                tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)))
                    .AddSource(CascadeTelemetry.Name).AddAspNetCoreInstrumentation(o => o.Filter = http => http.Request.Path != "/metrics");
                if (options.OtlpEndpoint.Length > 0)
                {
                    tracing.AddOtlpExporter(o => o.Endpoint = new Uri(options.OtlpEndpoint));
                }
            });
        }
        services.AddSingleton(provider => new ScrapeGauges(provider.GetRequiredService<IMeterFactory>(), engine, recommendations));
    }

    /// <summary>Records each request's time and body size, and serves /metrics behind the admin scope.</summary>
    public static void UseCascadeTelemetry(this WebApplication app, TelemetryOptions options)
    {
        app.Services.GetRequiredService<ScrapeGauges>();
        app.Use(Measure);
        if (options.Metrics)
        {
            app.UseWhen(http => http.Request.Path == "/metrics", branch => branch.Use(AdminOnly));
            app.UseOpenTelemetryPrometheusScrapingEndpoint();
        }
    }

    private static async Task Measure(HttpContext http, RequestDelegate next)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            // The route template, never the raw path: ids in paths would make the label unbounded.
            string endpoint = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? (http.Request.Path == "/metrics" ? "/metrics" : "unmatched");
            var tags = new TagList
            {
                { "endpoint", endpoint },
                { "method", http.Request.Method },
                { "status", http.Response.StatusCode.ToString(CultureInfo.InvariantCulture) },
            };
            RequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            if (http.Request.ContentLength is > 0 and { } length)
            {
                RequestBodyBytes.Add(length, new KeyValuePair<string, object?>("endpoint", endpoint));
            }
        }
    }

    private static Task AdminOnly(HttpContext http, RequestDelegate next)
    {
        var (_, denied) = http.RequestServices.GetRequiredService<ApiKeyAuth>().Authorize(http, Scope.Admin);
        return denied is null ? next(http) : denied.ExecuteAsync(http);
    }

    /// <summary>Gauges read at each collection: projections' lag, the log's end, the serving bundles and their age and validation score.</summary>
    private sealed class ScrapeGauges
    {
        public ScrapeGauges(IMeterFactory factory, CascadeEngine engine, RecommendationService recommendations)
        {
            var meter = factory.Create(CascadeTelemetry.Name);
            meter.CreateObservableGauge("cascade.projection.lag", () => engine.Projections.Select(p => new Measurement<long>(p.Lag,
                new KeyValuePair<string, object?>("projection", p.Name))), "{record}", "Log records a projection (catalog, interactions, features, recent-changes) has not applied yet.");
            meter.CreateObservableGauge("cascade.log.sequence", () => engine.Log.LastSequence, "{record}", "The event log's last sequence: records ever appended.");
            var bundles = recommendations.Bundles;
            meter.CreateObservableGauge("cascade.bundle.info", () => bundles.ServedApps.Select(a => new Measurement<int>(1,
                new KeyValuePair<string, object?>("app", a), new KeyValuePair<string, object?>("version", bundles.BundleVersion(a)))),
                description: "1 for the bundle serving each app, its version as a label (an info metric).");
            meter.CreateObservableGauge("cascade.bundle.age", () => bundles.ServedApps.Select(a => new Measurement<double>(AgeSeconds(bundles.BundleVersion(a)),
                new KeyValuePair<string, object?>("app", a))), "s", "Seconds since the serving bundle was built (from its version's timestamp).");
            meter.CreateObservableGauge("cascade.bundle.validation.score", () => bundles.ServedApps
                .Select(a => (App: a, Selection: bundles.Selection(a))).Where(x => x.Selection?.Score is not null)
                .Select(x => new Measurement<double>(x.Selection!.Score!.Value, new KeyValuePair<string, object?>("app", x.App), new KeyValuePair<string, object?>("metric", x.Selection.Metric))),
                description: "The serving bundle's validation metric from model selection (when selection chose it).");
        }

        // A version is "{sequence}-{unix ms}" or "{sequence}-bundle-{unix ms}".
        private static double AgeSeconds(string? version) =>
            version is not null && long.TryParse(version[(version.LastIndexOf('-') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long ms)
                ? Math.Max(0, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - ms) / 1000.0) : 0;
    }
}
