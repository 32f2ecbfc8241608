using Cascade.Core.Domain;

namespace Cascade.Experiments;

/// <summary>
/// Turns a log's events into an experiment's per-unit statistics (<see cref="ArmData"/>), in one pass in log order:
/// exposures are the impressions whose variant tag names the experiment's running version (forced QA traffic left
/// out); outcomes are the click and conversion events that carry the request id of an exposed impression and come
/// within the attribution window (each shown item counts one click at most); the CUPED covariate is each unit's clicks
/// in the days before the start. The unit is the impression's user id (the session id of an anonymous request).
/// </summary>
public sealed class ExposureJoin
{
    private readonly ExperimentDefinition _definition;
    private readonly HashSet<string> _clickTypes;
    private readonly HashSet<string> _conversionTypes;
    private readonly long _start;
    private readonly long _stop;
    private readonly long _preStart;
    private readonly long _window;
    private readonly int _version;
    private readonly Dictionary<string, Unit> _units = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _preClicks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Shown> _requests = new(StringComparer.Ordinal);

    /// <summary>Prepares the join for <paramref name="definition"/> (a started experiment).</summary>
    /// <param name="definition">The experiment; it must have been started.</param>
    /// <exception cref="ArgumentException">The experiment has not started.</exception>
    public ExposureJoin(ExperimentDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.StartedAtMs is not { } start || definition.RunningVersion is not { } version)
        {
            throw new ArgumentException($"Experiment '{definition.Id}' has not started; it has no exposures.", nameof(definition));
        }
        _definition = definition;
        _clickTypes = [.. definition.ClickTypes];
        _conversionTypes = [.. definition.ConversionTypes];
        _start = start;
        _stop = definition.StoppedAtMs ?? long.MaxValue;
        _preStart = definition.PreExperimentDays > 0 ? start - (long)(definition.PreExperimentDays * 86_400_000) : start;
        _window = (long)(definition.AttributionWindowMinutes * 60_000);
        _version = version;
    }

    /// <summary>Impressions seen with this experiment's tag but forced (QA) and so left out.</summary>
    public long ForcedImpressions { get; private set; }

    /// <summary>Outcomes that named an exposed request but came after the attribution window.</summary>
    public long LateOutcomes { get; private set; }

    /// <summary>Units seen in two arms (only possible if the log was written by another assignment); counted in their first arm.</summary>
    public long ConflictingUnits { get; private set; }

    /// <summary>Events read.</summary>
    public long EventsRead { get; private set; }

    /// <summary>Takes the next event of the log (in log order).</summary>
    /// <param name="e">The event.</param>
    public void Add(FeedbackEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        EventsRead++;
        long ts = e.TimestampMs;
        if (e.Type == "impression")
        {
            if (ts >= _start && ts <= _stop && ArmOf(e.Variant) is { } arm)
            {
                Expose(e, arm);
            }
            return;
        }
        bool click = _clickTypes.Contains(e.Type);
        bool conversion = !click && _conversionTypes.Contains(e.Type);
        if (!click && !conversion)
        {
            return;
        }
        if (click && ts >= _preStart && ts < _start)
        {
            _preClicks[e.UserId] = _preClicks.GetValueOrDefault(e.UserId) + 1;
        }
        if (e.RequestId is null || !_requests.TryGetValue(e.RequestId, out var shown))
        {
            return;
        }
        if (ts - shown.Time > _window)
        {
            LateOutcomes++;
            return;
        }
        var unit = shown.Unit;
        if (click)
        {
            shown.Clicked ??= new HashSet<string>(StringComparer.Ordinal);
            if (shown.Clicked.Add(e.ItemId))
            {
                unit.Clicks++;
            }
        }
        else
        {
            unit.Conversions++;
            unit.Value += e.Value ?? 0;
        }
    }

    /// <summary>The arms' per-unit statistics, control first, in the definition's arm order.</summary>
    public IReadOnlyList<ArmData> Build()
    {
        var arms = new List<ArmData>(_definition.Arms.Count);
        for (int a = 0; a < _definition.Arms.Count; a++)
        {
            var units = _units.Where(u => u.Value.Arm == a).Select(u => (Id: u.Key, Stats: u.Value)).ToList();
            bool cuped = _definition.PreExperimentDays > 0;
            arms.Add(new ArmData(
                _definition.Arms[a].Name,
                _definition.Arms[a].Share,
                [.. units.Select(u => (double)u.Stats.Impressions)],
                [.. units.Select(u => u.Stats.Clicks)],
                [.. units.Select(u => u.Stats.Conversions)],
                [.. units.Select(u => u.Stats.Value)],
                cuped ? [.. units.Select(u => _preClicks.GetValueOrDefault(u.Id))] : []));
        }
        return arms;
    }

    // Variants repeat (one per arm and version, a few more with other layers' tags): each is parsed once.
    private readonly Dictionary<string, int> _variantArms = new(StringComparer.Ordinal);
    private const int NoArm = -1;
    private const int ForcedArm = -2;

    private int? ArmOf(string? variant)
    {
        if (variant is null)
        {
            return null;
        }
        if (!_variantArms.TryGetValue(variant, out int arm))
        {
            arm = NoArm;
            if (variant.Contains(_definition.Id, StringComparison.Ordinal))
            {
                foreach (var x in RunningExperiments.Parse(variant))
                {
                    if (x.Experiment == _definition.Id && x.Version == _version)
                    {
                        arm = x.Forced ? ForcedArm : _definition.ArmIndex(x.Arm);
                        break;
                    }
                }
            }
            _variantArms[variant] = arm;
        }
        if (arm == ForcedArm)
        {
            ForcedImpressions++;
            return null;
        }
        return arm < 0 ? null : arm;
    }

    private void Expose(FeedbackEvent e, int arm)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_units, e.UserId, out bool known);
        slot ??= new Unit(arm);
        var unit = slot;
        if (known && unit.Arm != arm && !unit.Conflicted)
        {
            unit.Conflicted = true;
            ConflictingUnits++;
        }
        unit.Impressions++;
        if (e.RequestId is { } request)
        {
            ref var shown = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_requests, request, out _);
            shown ??= new Shown(unit, e.TimestampMs);
        }
    }

    private sealed class Unit(int arm)
    {
        public int Arm { get; } = arm;
        public bool Conflicted { get; set; }
        public long Impressions { get; set; }
        public double Clicks { get; set; }
        public double Conversions { get; set; }
        public double Value { get; set; }
    }

    private sealed class Shown(Unit unit, long time)
    {
        public Unit Unit { get; } = unit;
        public long Time { get; } = time;
        public HashSet<string>? Clicked { get; set; }
    }
}
