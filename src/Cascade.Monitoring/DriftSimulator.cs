using System.Diagnostics;

namespace Cascade.Monitoring;

/// <summary>
/// Calibrates the detectors on traffic with a known truth: each run draws item popularity and a reference from
/// <see cref="DriftSimulationOptions.ReferenceWindows"/> hourly windows of unshifted traffic, then feeds a
/// <see cref="DriftMonitor"/> one hourly window at a time for <see cref="DriftSimulationOptions.Days"/> days, the shift
/// applied from <see cref="DriftSimulationOptions.InjectionWindow"/> on. A window in which a signal (a feature, a
/// prediction, a served-list metric, a concept figure, an event type) has any statistic at drift is one alarm of that
/// signal; alarms before the injection (all of them with no shift) are false alarms. The detection delay is the number
/// of shifted windows up to and including the first alarm of a signal the shift is about (the shifted feature; any
/// concept signal; any served-list signal); a run stops there. Runs are seeded by their index, so figures do not
/// depend on the number of threads.
/// </summary>
public sealed class DriftSimulator
{
    private const int TrainingInteractions = 200_000;
    private readonly DriftSimulationOptions _options;

    /// <summary>A simulator with <paramref name="options"/>.</summary>
    /// <param name="options">The settings.</param>
    public DriftSimulator(DriftSimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validate();
    }

    /// <summary>Runs every simulation and aggregates what they measured.</summary>
    /// <param name="progress">Told the number of finished runs as they finish; may be null.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    public DriftSimulationResult Run(IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var traffic = new SimulatedTraffic(_options);
        int finished = 0;
        var outcomes = Enumerable.Range(0, _options.Runs).AsParallel().AsOrdered()
            .WithDegreeOfParallelism(_options.Parallelism > 0 ? _options.Parallelism : Environment.ProcessorCount)
            .WithCancellation(cancellationToken)
            .Select(run =>
            {
                var outcome = RunOne(traffic, run, cancellationToken);
                progress?.Report(Interlocked.Increment(ref finished));
                return outcome;
            })
            .ToArray();
        return Aggregate(outcomes, clock.Elapsed.TotalSeconds);
    }

    /// <summary>One run, deterministic in its index.</summary>
    internal RunOutcome RunOne(SimulatedTraffic traffic, int run, CancellationToken cancellationToken = default)
    {
        var random = new SplitMixRandom(SplitMixRandom.Mix(_options.Seed, (ulong)run));
        var popularity = traffic.Popularity(TrainingInteractions, ref random);
        var builder = new ReferenceBuilder(_options.Drift, popularity, _options.CatalogSize);
        for (int w = 0; w < _options.ReferenceWindows; w++)
        {
            builder.Add(traffic.Window(w - _options.ReferenceWindows, ShiftKind.None, 0, ref random));
        }
        var monitor = new DriftMonitor(builder.Build(), _options.Drift);
        int shiftedFeature = run % SimulatedTraffic.NumericNames.Length;
        string shiftedName = SimulatedTraffic.NumericNames[shiftedFeature];
        int inject = _options.Shift == ShiftKind.None ? _options.Windows : _options.InjectionWindow;
        var falseAlarms = new Dictionary<string, int>(StringComparer.Ordinal);
        var alarmed = new HashSet<string>(StringComparer.Ordinal);
        int? delay = null;
        for (int w = 0; w < _options.Windows; w++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bool shifted = w >= inject;
            var report = monitor.Evaluate(traffic.Window(w, shifted ? _options.Shift : ShiftKind.None, shiftedFeature, ref random));
            alarmed.Clear();
            foreach (var signal in report.Signals)
            {
                string key = signal.Kind + ":" + signal.Signal;
                if (!shifted)
                {
                    // Every monitored signal is listed, so one that never alarms still counts in the mean.
                    falseAlarms.TryAdd(key, 0);
                }
                if (signal.Status == DriftStatus.Drift && alarmed.Add(key) && !shifted)
                {
                    falseAlarms[key]++;
                }
                if (shifted && signal.Status == DriftStatus.Drift && IsAbout(signal, shiftedName))
                {
                    delay ??= w - inject + 1;
                }
            }
            if (delay is not null)
            {
                break;
            }
        }
        return new RunOutcome(Math.Min(inject, _options.Windows), falseAlarms, delay);
    }

    private bool IsAbout(DriftSignal signal, string shiftedFeature) => _options.Shift switch
    {
        ShiftKind.Covariate => signal.Kind == SignalKinds.Data && signal.Signal == shiftedFeature,
        ShiftKind.Concept => signal.Kind == SignalKinds.Concept,
        ShiftKind.Popularity => signal.Kind == SignalKinds.Served,
        _ => false,
    };

    private DriftSimulationResult Aggregate(RunOutcome[] outcomes, double seconds)
    {
        long unshiftedWindows = outcomes.Sum(o => (long)o.UnshiftedWindows);
        var perSignal = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (string key in outcomes.SelectMany(o => o.FalseAlarms.Keys).Distinct())
        {
            long alarms = outcomes.Sum(o => (long)o.FalseAlarms.GetValueOrDefault(key));
            perSignal[key] = unshiftedWindows > 0 ? alarms * (30.0 * 24) / unshiftedWindows : 0;
        }
        DetectionSummary? detection = null;
        if (_options.Shift != ShiftKind.None)
        {
            var delays = outcomes.Where(o => o.Delay is not null).Select(o => (double)o.Delay!.Value).ToArray();
            detection = new DetectionSummary(
                Runs: outcomes.Length,
                Detected: delays.Length,
                MeanWindows: delays.Length == outcomes.Length ? delays.Average() : double.PositiveInfinity,
                MaxWindows: delays.Length == outcomes.Length ? delays.Max() : double.PositiveInfinity,
                WithinTwoWindows: (double)delays.Count(d => d <= 2) / outcomes.Length);
        }
        return new DriftSimulationResult(
            Days: _options.Days,
            Runs: _options.Runs,
            Shift: _options.Shift,
            Seed: _options.Seed,
            EventsPerWindow: _options.EventsPerWindow,
            InjectAt: _options.Shift == ShiftKind.None ? null : _options.InjectionWindow,
            UnshiftedWindows: unshiftedWindows,
            Seconds: seconds,
            FalseAlarmsPerSignal: perSignal,
            Detection: detection);
    }

    /// <summary>What one run found.</summary>
    /// <param name="UnshiftedWindows">Windows before the injection.</param>
    /// <param name="FalseAlarms">Per signal (kind:name), windows with an alarm before the injection.</param>
    /// <param name="Delay">Shifted windows up to the first relevant alarm, or null if none came.</param>
    internal sealed record RunOutcome(int UnshiftedWindows, Dictionary<string, int> FalseAlarms, int? Delay);
}
