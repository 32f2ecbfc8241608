using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cascade.Core.Telemetry;

/// <summary>
/// The process's meter and activity source, both named <see cref="Name"/>: every layer records its measurements and
/// spans here with the BCL's <see cref="System.Diagnostics.Metrics"/> and <see cref="System.Diagnostics.Activity"/>
/// types, and the server exports them (Prometheus text at /metrics, OTLP) without the layers knowing how. Names
/// follow OpenTelemetry's conventions (<c>cascade.pipeline.stage.duration</c>, unit <c>s</c>); the Prometheus
/// exporter writes them as <c>cascade_pipeline_stage_duration_seconds</c>. Label values are bounded: configured
/// stage and source names, event types, app ids, experiment and arm names — never user or item ids.
/// </summary>
public static class CascadeTelemetry
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "Cascade";

    /// <summary>The meter.</summary>
    public static Meter Meter { get; } = new(Name, "1.0");

    /// <summary>The activity source (a request's stages and sources as child spans).</summary>
    public static ActivitySource Activities { get; } = new(Name, "1.0");

    /// <summary>Boundaries of latency histograms, seconds: 0.1 ms to 10 s.</summary>
    public static IReadOnlyList<double> LatencyBuckets { get; } =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>A latency histogram (seconds) with <see cref="LatencyBuckets"/> as its advice.</summary>
    /// <param name="name">The instrument's name.</param>
    /// <param name="description">What it measures.</param>
    public static Histogram<double> LatencyHistogram(string name, string description) =>
        Meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
}
