using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cascade.Monitoring;

/// <summary>The verdict on one signal in one window, worst last.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriftStatus>))]
public enum DriftStatus
{
    /// <summary>Too few values (or clicks, or lists) in the window to judge.</summary>
    [JsonStringEnumMemberName("insufficient-data")]
    InsufficientData,

    /// <summary>Below the warning threshold.</summary>
    [JsonStringEnumMemberName("ok")]
    Ok,

    /// <summary>At or above the warning threshold, or above the drift threshold for fewer than the consecutive windows required.</summary>
    [JsonStringEnumMemberName("warning")]
    Warning,

    /// <summary>At or above the drift threshold for the consecutive windows required.</summary>
    [JsonStringEnumMemberName("drift")]
    Drift,
}

/// <summary>What a signal watches.</summary>
public static class SignalKinds
{
    /// <summary>An input feature's distribution, missing-value and unknown-category rates.</summary>
    public const string Data = "data";

    /// <summary>The distribution of ranker scores and predicted CTR.</summary>
    public const string Prediction = "prediction";

    /// <summary>What was served: popularity bias, coverage, Gini, novelty, personalisation.</summary>
    public const string Served = "served";

    /// <summary>The ranker against the clicks: online AUC, CTR, calibration.</summary>
    public const string Concept = "concept";

    /// <summary>The hourly count of each event type.</summary>
    public const string Events = "events";
}

/// <summary>The time span a report covers.</summary>
/// <param name="Start">Inclusive start.</param>
/// <param name="End">Exclusive end.</param>
public sealed record DriftWindow(DateTimeOffset Start, DateTimeOffset End);

/// <summary>
/// One monitored signal in one window. Every statistic reads the same way: <see cref="Value"/> at or above
/// <see cref="Threshold"/> is drift, at or above <see cref="WarningThreshold"/> a warning. Tests with a p-value
/// express their level as a critical value of the statistic (the KS distance, the chi-square value, the absolute
/// difference of AUCs) and carry the p-value beside it.
/// </summary>
/// <param name="Signal">The monitored quantity: a feature name, <c>score</c>, <c>pctr</c>, <c>auc</c>, <c>coverage</c>, <c>events:click</c>…</param>
/// <param name="Kind">One of <see cref="SignalKinds"/>.</param>
/// <param name="Statistic">The statistic's name, e.g. <c>psi</c>, <c>ks</c>, <c>chi2</c>, <c>auc-diff</c>.</param>
/// <param name="Value">The statistic's value in this window.</param>
/// <param name="Threshold">The value from which the status is drift.</param>
/// <param name="WarningThreshold">The value from which the status is warning.</param>
/// <param name="PValue">The test's p-value, or null for an effect size without one.</param>
/// <param name="Observed">The monitored quantity in the window (e.g. the AUC, the missing rate), or null for a distribution.</param>
/// <param name="Reference">The same quantity in the reference, or null.</param>
/// <param name="Samples">The values (impressions, lists, events) the window contributed.</param>
/// <param name="Window">The window.</param>
/// <param name="Status">The verdict.</param>
public sealed record DriftSignal(
    string Signal,
    string Kind,
    string Statistic,
    double Value,
    double Threshold,
    double WarningThreshold,
    double? PValue,
    double? Observed,
    double? Reference,
    long Samples,
    DriftWindow Window,
    DriftStatus Status);

/// <summary>
/// The drift verdict of one window: one entry per monitored signal and statistic, and the worst status among them.
/// Shaped for JSON (snake_case keys through <see cref="JsonOptions"/>, statuses as <c>ok</c>, <c>warning</c>,
/// <c>drift</c>, <c>insufficient-data</c>) so a server can return it as it is.
/// </summary>
/// <param name="Window">The window.</param>
/// <param name="Status">The worst status of <paramref name="Signals"/> (insufficient-data counts below ok).</param>
/// <param name="Signals">Every signal's verdict.</param>
public sealed record DriftReport(DriftWindow Window, DriftStatus Status, IReadOnlyList<DriftSignal> Signals)
{
    /// <summary>The serializer settings of reports: snake_case keys, indented, a non-finite number written as a string such as "NaN".</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The report as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The signals whose status is <see cref="DriftStatus.Drift"/>.</summary>
    [JsonIgnore]
    public IEnumerable<DriftSignal> Drifting => Signals.Where(s => s.Status == DriftStatus.Drift);
}
