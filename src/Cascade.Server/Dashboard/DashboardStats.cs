using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;

namespace Cascade.Server.Dashboard;

/// <summary>
/// The dashboard's figures of the log, kept in memory as a projection so no page reads the log: events per app,
/// type and UTC day (by the event's own timestamp), the events appended per minute over the last hour (by the
/// server's clock, counting only records appended after the server started), and the most recent events. It is
/// rebuilt from the whole log at start-up, in the background, on its own cursor (about a second per few million
/// records); until then its counts are partial and <see cref="AppliedSequence"/> says how far it is.
/// </summary>
internal sealed class DashboardStats : ILogProjection
{
    /// <summary>How many recent events <see cref="Recent"/> keeps.</summary>
    public const int RecentCapacity = 500;

    private const int RateMinutes = 60;
    private const long MaxDay = 2_932_896; // 9999-12-31: days outside 1970..9999 are counted on the nearest end
    private readonly Lock _gate = new();
    private readonly Dictionary<(string App, string Type, long Day), long> _perDay = [];
    private readonly Dictionary<string, long> _totals = new(StringComparer.Ordinal);
    private readonly (string App, FeedbackEvent Event, long Sequence)[] _recent = new (string, FeedbackEvent, long)[RecentCapacity];
    private readonly long[] _perMinute = new long[RateMinutes];
    private readonly long[] _minuteOf = new long[RateMinutes];
    private readonly long _startSequence;
    private readonly TimeProvider _clock;
    private int _recentNext;
    private int _recentCount;
    private long _applied;

    /// <param name="startSequence">The log's last sequence when the server started: later records count towards the ingestion rate.</param>
    /// <param name="clock">The clock of the ingestion rate.</param>
    public DashboardStats(long startSequence, TimeProvider? clock = null)
    {
        _startSequence = startSequence;
        _clock = clock ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Name => "dashboard";

    /// <inheritdoc />
    public long AppliedSequence => Interlocked.Read(ref _applied);

    /// <inheritdoc />
    public void Apply(LogBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var records = batch.Records;
        long minute = _clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        lock (_gate)
        {
            for (int i = batch.StartAfter(AppliedSequence); i < records.Count; i++)
            {
                if (records[i].Kind == RecordKind.Event)
                {
                    Observe(batch.Event(i), records[i].Sequence, minute);
                }
                Interlocked.Exchange(ref _applied, records[i].Sequence);
            }
        }
    }

    private void Observe(FeedbackEvent e, long sequence, long minute)
    {
        long day = Math.Clamp((long)Math.Floor(e.TimestampMs / 86_400_000.0), 0, MaxDay);
        var key = (e.App, e.Type, day);
        _perDay[key] = _perDay.GetValueOrDefault(key) + 1;
        _totals[e.App] = _totals.GetValueOrDefault(e.App) + 1;
        _recent[_recentNext] = (e.App, e, sequence);
        _recentNext = (_recentNext + 1) % RecentCapacity;
        _recentCount = Math.Min(_recentCount + 1, RecentCapacity);
        if (sequence > _startSequence)
        {
            int slot = (int)(minute % RateMinutes);
            if (_minuteOf[slot] != minute)
            {
                _minuteOf[slot] = minute;
                _perMinute[slot] = 0;
            }
            _perMinute[slot]++;
        }
    }

    /// <summary>The app's events in the log (impressions included).</summary>
    public long Events(string app)
    {
        lock (_gate)
        {
            return _totals.GetValueOrDefault(app);
        }
    }

    /// <summary>The app's events per type and UTC day, the newest <paramref name="days"/> days that have events, oldest first.</summary>
    public IReadOnlyList<(DateOnly Day, string Type, long Count)> PerDay(string app, int days)
    {
        List<(long Day, string Type, long Count)> rows;
        lock (_gate)
        {
            rows = [.. _perDay.Where(p => string.Equals(p.Key.App, app, StringComparison.Ordinal)).Select(p => (p.Key.Day, p.Key.Type, p.Value))];
        }
        var kept = rows.Select(r => r.Day).Distinct().Order().TakeLast(days).ToHashSet();
        return [.. rows.Where(r => kept.Contains(r.Day)).OrderBy(r => r.Day).ThenBy(r => r.Type, StringComparer.Ordinal)
            .Select(r => (DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(r.Day)), r.Type, r.Count))];
    }

    /// <summary>Events appended per minute (all apps) over the last hour, oldest minute first; the current minute is partial.</summary>
    public IReadOnlyList<(DateTimeOffset Minute, long Events)> PerMinute()
    {
        long now = _clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        var result = new (DateTimeOffset, long)[RateMinutes];
        lock (_gate)
        {
            for (int i = 0; i < RateMinutes; i++)
            {
                long minute = now - RateMinutes + 1 + i;
                int slot = (int)(minute % RateMinutes);
                result[i] = (DateTimeOffset.FromUnixTimeSeconds(minute * 60), _minuteOf[slot] == minute ? _perMinute[slot] : 0);
            }
        }
        return result;
    }

    /// <summary>The app's most recent events in the log, newest first, at most <paramref name="count"/> (of the last <see cref="RecentCapacity"/> of all apps).</summary>
    public IReadOnlyList<(FeedbackEvent Event, long Sequence)> Recent(string app, int count)
    {
        var result = new List<(FeedbackEvent, long)>(Math.Min(count, RecentCapacity));
        lock (_gate)
        {
            for (int i = 1; i <= _recentCount && result.Count < count; i++)
            {
                var (a, e, sequence) = _recent[(_recentNext - i + RecentCapacity) % RecentCapacity];
                if (string.Equals(a, app, StringComparison.Ordinal))
                {
                    result.Add((e, sequence));
                }
            }
        }
        return result;
    }
}
