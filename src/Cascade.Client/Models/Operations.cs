using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cascade.Client;

/// <summary>The readiness probe's answer (<c>GET /health/ready</c>), whether ready (200) or not (503).</summary>
public sealed record Readiness
{
    /// <summary>True when the server answered 200: it can serve the configured pipeline.</summary>
    [JsonIgnore]
    public bool IsReady { get; init; }

    /// <summary><c>ready</c>, <c>catching-up</c>, <c>training</c> or <c>failed</c>.</summary>
    public string Status { get; init; } = "";

    /// <summary>The default app's bundle, absent until there is one.</summary>
    public string? BundleVersion { get; init; }

    /// <summary>The event log's last sequence.</summary>
    public long LogSequence { get; init; }

    /// <summary>The catalog's applied sequence.</summary>
    public long CatalogSequence { get; init; }

    /// <summary>The rest of the answer (apps, projections, repairs) as sent.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? More { get; init; }
}

/// <summary>What a training built (<c>POST /v1/admin/train</c>).</summary>
public sealed record TrainingSummary
{
    /// <summary>The app.</summary>
    public string App { get; init; } = "";

    /// <summary>Rows of the interaction matrix.</summary>
    public int Users { get; init; }

    /// <summary>Items in the bundle's table.</summary>
    public int Items { get; init; }

    /// <summary>Non-zero entries.</summary>
    public int Interactions { get; init; }

    /// <summary>The newest log record included.</summary>
    public long Sequence { get; init; }

    /// <summary>Wall time.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The new bundle's version.</summary>
    public string BundleVersion { get; init; } = "";

    /// <summary>What the build could not do as configured, if anything.</summary>
    public string? Note { get; init; }

    /// <summary>The rest (ranker, selection) as sent.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? More { get; init; }
}

/// <summary>Serving figures of the key's app (<c>GET /v1/admin/stats</c>).</summary>
public sealed record StatsResponse
{
    /// <summary>The bundle serving the app (null before the first training).</summary>
    public string? BundleVersion { get; init; }

    /// <summary>Impression writes that failed since start.</summary>
    public long ImpressionFailures { get; init; }

    /// <summary>Per-stage latency, "total" first.</summary>
    public IReadOnlyList<StageLatency> Stages { get; init; } = [];

    /// <summary>The rest (gc, state, selection) as sent.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? More { get; init; }
}

/// <summary>Latency of one stage over the recent requests.</summary>
/// <param name="Stage">The stage.</param>
/// <param name="Count">Requests measured.</param>
/// <param name="MeanMs">Mean milliseconds.</param>
/// <param name="P50Ms">Median milliseconds.</param>
/// <param name="P95Ms">95th percentile milliseconds.</param>
/// <param name="P99Ms">99th percentile milliseconds.</param>
/// <param name="Degraded">Requests in which the stage degraded, since start.</param>
public sealed record StageLatency(string Stage, long Count, double MeanMs, double P50Ms, double P95Ms, double P99Ms, long Degraded);
