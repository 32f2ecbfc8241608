using System.Collections.Concurrent;
using System.Globalization;
using Cascade.Core;
using Cascade.Experiments;
using Cascade.Storage.Engine;

namespace Cascade.Server.Dashboard;

/// <summary>
/// What the dashboard keeps beyond the services it reads: the catalog's item and user counts, refreshed in the
/// background every few seconds, and each experiment's reports, computed in the background and kept so its page shows
/// the latest at once and charts them over time. No page waits for the catalog's counts or the log. Everything else a page shows comes from the services the JSON API uses.
/// </summary>
internal sealed class DashboardData(CascadeEngine engine, TimeProvider? clock = null)
{
    /// <summary>How long the item and user counts are reused.</summary>
    public static readonly TimeSpan CountsLifetime = TimeSpan.FromSeconds(30);

    /// <summary>How many reports per experiment are kept.</summary>
    public const int MaxReports = 200;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, long Items, long Users)> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _counting = new(StringComparer.Ordinal);
    private readonly Lock _countGate = new();
    private readonly ConcurrentDictionary<(string App, string Id), RecentHistory<(DateTimeOffset At, ExperimentReport Report)>> _reports = new();
    private readonly ConcurrentDictionary<(string App, string Id), (DateTimeOffset At, Server.Experiments.ExperimentReportResponse Response)> _latest = new();
    private readonly ConcurrentDictionary<(string App, string Id), Task> _computing = new();
    private readonly ConcurrentDictionary<(string App, string Id), string> _reportErrors = new();
    private readonly Lock _computeGate = new();

    /// <summary>How old the latest report may be before a visit of its page starts a new one.</summary>
    public static readonly TimeSpan ReportLifetime = TimeSpan.FromMinutes(5);

    /// <summary>The latest report of experiment <paramref name="id"/> computed by this process, and when.</summary>
    public (DateTimeOffset At, Server.Experiments.ExperimentReportResponse Response)? LatestReport(string app, string id) =>
        _latest.TryGetValue((app, id), out var latest) ? latest : null;

    /// <summary>Whether a report of experiment <paramref name="id"/> is being computed.</summary>
    public bool IsComputing(string app, string id) => _computing.TryGetValue((app, id), out var task) && !task.IsCompleted;

    /// <summary>
    /// Starts computing a report of experiment <paramref name="id"/> in the background (a report reads the log: seconds
    /// at 10M events), unless one is being computed; the page shows the latest finished one meanwhile.
    /// </summary>
    /// <returns>The computation, for a caller that wants to wait.</returns>
    public Task ComputeReport(string app, string id, Func<Server.Experiments.ExperimentReportResponse> report)
    {
        lock (_computeGate)
        {
            if (_computing.TryGetValue((app, id), out var running) && !running.IsCompleted)
            {
                return running;
            }
            var task = Task.Run(() =>
            {
                try
                {
                    var response = report();
                    _latest[(app, id)] = (_clock.GetUtcNow(), response);
                    _reportErrors.TryRemove((app, id), out _);
                    if (response.Report is { } r)
                    {
                        Keep(app, id, r);
                    }
                }
                catch (Exception e) when (e is Server.Experiments.ExperimentRefusedException or IOException or InvalidDataException or InvalidOperationException)
                {
                    _reportErrors[(app, id)] = e.Message;
                }
            });
            _computing[(app, id)] = task;
            return task;
        }
    }

    /// <summary>Why the last computation of experiment <paramref name="id"/>'s report failed, if it did.</summary>
    public string? ReportError(string app, string id) => _reportErrors.GetValueOrDefault((app, id));

    /// <summary>
    /// The app's items and users in the catalog as last counted, or null before the first count. A count older than
    /// <see cref="CountsLifetime"/> (or none) starts a new one in the background — a count over a million rows takes
    /// from tens to hundreds of milliseconds — so a page never waits for it.
    /// </summary>
    public (long Items, long Users)? Counts(string app)
    {
        var now = _clock.GetUtcNow();
        bool have = _counts.TryGetValue(app, out var c);
        if (!have || now - c.At >= CountsLifetime)
        {
            lock (_countGate)
            {
                if (!_counting.TryGetValue(app, out var running) || running.IsCompleted)
                {
                    _counting[app] = Task.Run(() =>
                    {
                        var (items, users) = engine.Catalog.CountEntities(app);
                        _counts[app] = (_clock.GetUtcNow(), items, users);
                    });
                }
            }
        }
        return have ? (c.Items, c.Users) : null;
    }

    /// <summary>Keeps a report of experiment <paramref name="id"/> for its charts over time.</summary>
    public void Keep(string app, string id, ExperimentReport report)
    {
        _reports.GetOrAdd((app, id), _ => new RecentHistory<(DateTimeOffset, ExperimentReport)>(MaxReports)).Add((_clock.GetUtcNow(), report));
    }

    /// <summary>The reports of experiment <paramref name="id"/> computed by this process, oldest first.</summary>
    public IReadOnlyList<(DateTimeOffset At, ExperimentReport Report)> Reports(string app, string id) =>
        _reports.TryGetValue((app, id), out var reports) ? reports.ToList() : [];

    /// <summary>A duration in words: 42 s, 5 min, 3.2 h, 2.1 d.</summary>
    public static string Age(TimeSpan age) => age.TotalSeconds switch
    {
        < 90 => $"{Math.Max(0, age.TotalSeconds):0} s",
        < 5400 => $"{age.TotalMinutes:0} min",
        < 172_800 => string.Create(CultureInfo.InvariantCulture, $"{age.TotalHours:0.0} h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{age.TotalDays:0.0} d"),
    };

    /// <summary>A number for a table cell: invariant, at most four decimals, "–" for NaN or null.</summary>
    public static string Num(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("0.####", CultureInfo.InvariantCulture) : "–";

    /// <summary>A time for a chart's axis or a table: UTC, minutes.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);
}
