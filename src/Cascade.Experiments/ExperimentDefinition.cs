using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cascade.Experiments;

/// <summary>The life of an experiment: defined, running (assigning units), stopped (no longer assigning; its report stays).</summary>
public static class ExperimentStatus
{
    /// <summary>Defined; assigns nobody yet.</summary>
    public const string Draft = "draft";

    /// <summary>Assigning units to arms.</summary>
    public const string Running = "running";

    /// <summary>Stopped; assigns nobody; the report still reads its exposures.</summary>
    public const string Stopped = "stopped";
}

/// <summary>One arm of a defined experiment.</summary>
public sealed record ArmDefinition
{
    /// <summary>The arm's name: 1–16 letters, digits, '_' or '-'. The first arm is the control.</summary>
    public string Name { get; init; } = "";

    /// <summary>Its share of the experiment's units, in (0, 1]; the arms' shares sum to 1.</summary>
    public double Share { get; init; }

    /// <summary>
    /// The arm's pipeline configuration (the same object as the <c>Pipeline</c> section of the server's configuration),
    /// trained into a bundle of its own when the experiment starts and after every training of the serving bundle;
    /// null: the serving pipeline (what the control arm normally is).
    /// </summary>
    public JsonElement? Pipeline { get; init; }

    /// <summary>
    /// A trained bundle the arm serves instead: the name of a bundle folder in the server's bundles folder (as for
    /// <c>POST /v1/admin/bundle</c>), loaded when the experiment starts and served as trained (never retrained); null:
    /// none. An arm has a pipeline or a bundle, not both.
    /// </summary>
    public string? Bundle { get; init; }

    /// <summary>Whether the arm serves something other than the serving pipeline (a pipeline or a bundle of its own).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasOwnBundle => Pipeline is not null || Bundle is not null;
}

/// <summary>A guardrail: a metric that must not get significantly worse.</summary>
public sealed record GuardrailDefinition
{
    /// <summary>One of <see cref="ExperimentReportBuilder.KnownMetrics"/>.</summary>
    public string Metric { get; init; } = "";

    /// <summary>Whether an increase is good. Default true.</summary>
    public bool HigherIsBetter { get; init; } = true;

    /// <summary>The relative harm tolerated (0.01 = 1 %). Default 0.</summary>
    public double Tolerance { get; init; }
}

/// <summary>
/// An online experiment as stored (JSON in the event log and the catalog, one record per version): what the operator
/// defines and the state the server adds (status, bucket range, start and stop). Assignment uses the layer's name as
/// the layer salt and the experiment's id as the arm salt (<see cref="Assignment"/>), so it is sticky for the life
/// of the experiment and reproducible elsewhere.
/// </summary>
public sealed record ExperimentDefinition
{
    /// <summary>The longest experiment id.</summary>
    public const int MaxIdLength = 24;

    /// <summary>The longest arm name.</summary>
    public const int MaxArmLength = 16;

    /// <summary>The JSON settings definitions are stored and served with (camelCase, nulls left out).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The id: 1–24 letters, digits, '_' or '-'; unique in the app.</summary>
    public string Id { get; init; } = "";

    /// <summary>Free text.</summary>
    public string? Description { get; init; }

    /// <summary>The layer (namespace): experiments in one layer are exclusive, layers are independent. Default "default".</summary>
    public string Layer { get; init; } = "default";

    /// <summary>The share of the layer's units the experiment takes, in (0, 1]. Default 1.</summary>
    public double Traffic { get; init; } = 1;

    /// <summary>The arms, control first; two to eight.</summary>
    public IReadOnlyList<ArmDefinition> Arms { get; init; } = [];

    /// <summary>The metric the decision is made on. Default "ctr".</summary>
    public string PrimaryMetric { get; init; } = "ctr";

    /// <summary>Reported and corrected for multiplicity, not decisive. Default clicks per user.</summary>
    public IReadOnlyList<string> SecondaryMetrics { get; init; } = ["clicks_per_user"];

    /// <summary>Metrics that must not get significantly worse. Default none.</summary>
    public IReadOnlyList<GuardrailDefinition> Guardrails { get; init; } = [];

    /// <summary>Event types counted as clicks when joined to an impression. Default "click".</summary>
    public IReadOnlyList<string> ClickTypes { get; init; } = ["click"];

    /// <summary>Event types counted as conversions (their values summed as value). Default "purchase".</summary>
    public IReadOnlyList<string> ConversionTypes { get; init; } = ["purchase"];

    /// <summary>How long after an impression an outcome still counts, minutes. Default 60.</summary>
    public double AttributionWindowMinutes { get; init; } = 60;

    /// <summary>Days before the start whose clicks are each unit's CUPED covariate (0: no CUPED). Default 14.</summary>
    public double PreExperimentDays { get; init; } = 14;

    /// <summary>Set by the server: draft, running or stopped.</summary>
    public string Status { get; init; } = ExperimentStatus.Draft;

    /// <summary>Set at start: the first layer bucket the experiment owns.</summary>
    public int? FirstBucket { get; init; }

    /// <summary>Set at start: one past the last layer bucket it owns.</summary>
    public int? EndBucket { get; init; }

    /// <summary>Set at start: the version whose arms run (what responses and impressions carry).</summary>
    public int? RunningVersion { get; init; }

    /// <summary>Set at start (Unix ms).</summary>
    public long? StartedAtMs { get; init; }

    /// <summary>Set at start: the log's last sequence then; exposures are read after it.</summary>
    public long? StartSequence { get; init; }

    /// <summary>Set at stop (Unix ms).</summary>
    public long? StoppedAtMs { get; init; }

    /// <summary>Whether <paramref name="name"/> can name a bundle folder: 1–128 letters, digits, '.', '_' or '-', and not "." or "..".</summary>
    /// <param name="name">The name.</param>
    public static bool IsBundleName(string name) =>
        name.Length is > 0 and <= 128 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>The arm's index by name, or −1.</summary>
    /// <param name="arm">The arm's name.</param>
    public int ArmIndex(string arm)
    {
        for (int i = 0; i < Arms.Count; i++)
        {
            if (string.Equals(Arms[i].Name, arm, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The report's settings from the primary, secondary and guardrail metrics.</summary>
    public ReportOptions ReportOptions() => new()
    {
        Metrics =
        [
            new MetricSpec(PrimaryMetric, MetricRole.Primary),
            .. SecondaryMetrics.Where(m => m != PrimaryMetric).Select(m => new MetricSpec(m, MetricRole.Secondary)),
            .. Guardrails.Select(g => new MetricSpec(g.Metric, MetricRole.Guardrail, g.HigherIsBetter, g.Tolerance)),
        ],
    };

    /// <summary>What is wrong with the operator's part of the definition: (JSON path, message) pairs; empty when valid.</summary>
    public IReadOnlyList<(string Field, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        if (!IsName(Id, MaxIdLength))
        {
            problems.Add(("id", $"must be 1–{MaxIdLength} letters, digits, '_' or '-'"));
        }
        if (!IsName(Layer, 32))
        {
            problems.Add(("layer", "must be 1–32 letters, digits, '_' or '-'"));
        }
        if (!(Traffic > 0 && Traffic <= 1))
        {
            problems.Add(("traffic", "must lie in (0, 1]"));
        }
        if (Arms is null || Arms.Count is < 2 or > 8)
        {
            problems.Add(("arms", "must hold 2 to 8 arms, control first"));
        }
        else
        {
            for (int i = 0; i < Arms.Count; i++)
            {
                var arm = Arms[i];
                if (!IsName(arm.Name, MaxArmLength))
                {
                    problems.Add(($"arms[{i}].name", $"must be 1–{MaxArmLength} letters, digits, '_' or '-'"));
                }
                else if (ArmIndex(arm.Name) != i)
                {
                    problems.Add(($"arms[{i}].name", $"'{arm.Name}' names two arms"));
                }
                if (!(arm.Share > 0 && arm.Share <= 1))
                {
                    problems.Add(($"arms[{i}].share", "must lie in (0, 1]"));
                }
                if (arm.Pipeline is { } p && p.ValueKind != JsonValueKind.Object)
                {
                    problems.Add(($"arms[{i}].pipeline", "must be a pipeline configuration object, or left out for the serving pipeline"));
                }
                if (arm.Bundle is { } bundle && (arm.Pipeline is not null || !IsBundleName(bundle)))
                {
                    problems.Add(($"arms[{i}].bundle", arm.Pipeline is not null
                        ? "an arm serves a pipeline or a bundle, not both"
                        : "must name a bundle folder in the server's bundles folder: 1–128 letters, digits, '.', '_' or '-', not a path"));
                }
            }
            double total = Arms.Sum(a => a.Share);
            if (Math.Abs(total - 1) > 1e-6)
            {
                problems.Add(("arms", $"shares must sum to 1 (they sum to {total:0.######})"));
            }
        }
        if (!ExperimentReportBuilder.KnownMetrics.Contains(PrimaryMetric))
        {
            problems.Add(("primaryMetric", "must be one of " + string.Join(", ", ExperimentReportBuilder.KnownMetrics)));
        }
        for (int i = 0; i < (SecondaryMetrics?.Count ?? 0); i++)
        {
            if (!ExperimentReportBuilder.KnownMetrics.Contains(SecondaryMetrics![i]))
            {
                problems.Add(($"secondaryMetrics[{i}]", "must be one of " + string.Join(", ", ExperimentReportBuilder.KnownMetrics)));
            }
        }
        for (int i = 0; i < (Guardrails?.Count ?? 0); i++)
        {
            var g = Guardrails![i];
            if (!ExperimentReportBuilder.KnownMetrics.Contains(g.Metric))
            {
                problems.Add(($"guardrails[{i}].metric", "must be one of " + string.Join(", ", ExperimentReportBuilder.KnownMetrics)));
            }
            if (!(g.Tolerance >= 0 && g.Tolerance < 1))
            {
                problems.Add(($"guardrails[{i}].tolerance", "must lie in [0, 1)"));
            }
        }
        if (ClickTypes is null || ClickTypes.Count == 0 || ClickTypes.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add(("clickTypes", "must name at least one event type"));
        }
        if (ConversionTypes is null || ConversionTypes.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add(("conversionTypes", "must hold event type names"));
        }
        if (!(AttributionWindowMinutes > 0 && AttributionWindowMinutes <= 7 * 24 * 60))
        {
            problems.Add(("attributionWindowMinutes", "must lie in (0, 10080] (a week)"));
        }
        if (!(PreExperimentDays >= 0 && PreExperimentDays <= 365))
        {
            problems.Add(("preExperimentDays", "must lie in [0, 365]"));
        }
        return problems;
    }

    /// <summary>Whether the arms (names, shares, pipelines) or the traffic differ from <paramref name="other"/>'s.</summary>
    /// <param name="other">Another version.</param>
    public bool ChangesAllocation(ExperimentDefinition other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Traffic != other.Traffic || Layer != other.Layer
            || JsonSerializer.Serialize(Arms, Json) != JsonSerializer.Serialize(other.Arms, Json);
    }

    private static bool IsName(string? name, int max) =>
        !string.IsNullOrEmpty(name) && name.Length <= max && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
