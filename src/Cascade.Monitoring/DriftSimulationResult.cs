using System.Globalization;
using System.Text.Json;

namespace Cascade.Monitoring;

/// <summary>How quickly one kind of shift was detected over the runs.</summary>
/// <param name="Runs">Runs with the shift.</param>
/// <param name="Detected">Runs in which a relevant signal alarmed before the run ended.</param>
/// <param name="MeanWindows">Mean detection delay in windows (1 = the first shifted window); infinite when a run missed.</param>
/// <param name="MaxWindows">The longest delay; infinite when a run missed.</param>
/// <param name="WithinTwoWindows">Share of runs detected within 2 windows.</param>
public sealed record DetectionSummary(int Runs, int Detected, double MeanWindows, double MaxWindows, double WithinTwoWindows);

/// <summary>
/// What a drift simulation measured. False-alarm rates are alarms per signal per 30 days of hourly windows (720),
/// counted on the windows before the injection; the headline figure is the worst signal's.
/// </summary>
/// <param name="Days">Days per run.</param>
/// <param name="Runs">Runs.</param>
/// <param name="Shift">The shift injected.</param>
/// <param name="Seed">The seed.</param>
/// <param name="EventsPerWindow">Mean impressions per hourly window.</param>
/// <param name="InjectAt">The window the shift started at, or null with no shift.</param>
/// <param name="UnshiftedWindows">Windows before the injection, over all runs.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="FalseAlarmsPerSignal">Per signal (kind:name), false alarms per 30 days.</param>
/// <param name="Detection">The detection of the injected shift, or null with no shift.</param>
public sealed record DriftSimulationResult(
    int Days,
    int Runs,
    ShiftKind Shift,
    ulong Seed,
    int EventsPerWindow,
    int? InjectAt,
    long UnshiftedWindows,
    double Seconds,
    IReadOnlyDictionary<string, double> FalseAlarmsPerSignal,
    DetectionSummary? Detection)
{
    /// <summary>The shift kinds' names as written in the JSON and on the command line.</summary>
    public static string KindName(ShiftKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The worst signal's false alarms per 30 days (0 when nothing was monitored).</summary>
    public double FalseAlarmsPerFeaturePer30Days => FalseAlarmsPerSignal.Count > 0 ? FalseAlarmsPerSignal.Values.Max() : 0;

    /// <summary>The mean over signals of false alarms per 30 days.</summary>
    public double MeanFalseAlarmsPer30Days => FalseAlarmsPerSignal.Count > 0 ? FalseAlarmsPerSignal.Values.Average() : 0;

    /// <summary>The mean detection delay for <paramref name="kind"/>, or null when that kind was not simulated.</summary>
    public double? DetectionWindows(ShiftKind kind) => Shift == kind ? Detection?.MeanWindows : null;

    /// <summary>The one summary line: <c>drift: false_alarms_per_feature_30d=… covariate_windows=… concept_windows=… popularity_windows=…</c> (n/a for a kind not simulated, inf when a run missed).</summary>
    public string SummaryLine() => string.Create(CultureInfo.InvariantCulture,
        $"drift: false_alarms_per_feature_30d={FalseAlarmsPerFeaturePer30Days:0.0000} covariate_windows={Format(DetectionWindows(ShiftKind.Covariate))} concept_windows={Format(DetectionWindows(ShiftKind.Concept))} popularity_windows={Format(DetectionWindows(ShiftKind.Popularity))}");

    /// <summary>Writes the result as one JSON object with snake_case keys (docs/monitoring.md lists them).</summary>
    /// <param name="stream">Where to write.</param>
    public void WriteJson(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("days", Days);
        json.WriteNumber("runs", Runs);
        json.WriteString("shift", KindName(Shift));
        json.WriteNumber("seed", Seed);
        json.WriteNumber("events_per_window", EventsPerWindow);
        if (InjectAt is { } at)
        {
            json.WriteNumber("inject_at_window", at);
        }
        else
        {
            json.WriteNull("inject_at_window");
        }
        json.WriteNumber("unshifted_windows", UnshiftedWindows);
        json.WriteNumber("seconds", Math.Round(Seconds, 2));
        json.WriteNumber("false_alarms_per_feature_per_30_days", FalseAlarmsPerFeaturePer30Days);
        json.WriteNumber("mean_false_alarms_per_feature_per_30_days", MeanFalseAlarmsPer30Days);
        json.WriteStartObject("false_alarms_by_signal");
        foreach (var (signal, rate) in FalseAlarmsPerSignal)
        {
            json.WriteNumber(signal, rate);
        }
        json.WriteEndObject();
        json.WriteStartObject("detection_windows");
        foreach (var kind in new[] { ShiftKind.Covariate, ShiftKind.Concept, ShiftKind.Popularity })
        {
            if (Shift != kind || Detection is not { } d)
            {
                json.WriteNull(KindName(kind));
                continue;
            }
            json.WriteStartObject(KindName(kind));
            json.WriteNumber("runs", d.Runs);
            json.WriteNumber("detected", d.Detected);
            Finite(json, "mean", d.MeanWindows);
            Finite(json, "max", d.MaxWindows);
            json.WriteNumber("within_2_windows", d.WithinTwoWindows);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Finite(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Format(double? value) => value switch
    {
        null => "n/a",
        { } v when double.IsPositiveInfinity(v) => "inf",
        { } v => v.ToString("0.00", CultureInfo.InvariantCulture),
    };
}
