using System.Globalization;

namespace Cascade.Experiments;

/// <summary>A unit's arm in one running experiment, as responses and impressions carry it.</summary>
/// <param name="Experiment">The experiment's id.</param>
/// <param name="Arm">The arm's name.</param>
/// <param name="Version">The running version of the definition.</param>
/// <param name="Forced">True when the request forced the arm (QA traffic, left out of reports).</param>
public sealed record ExperimentExposure(string Experiment, string Arm, int Version, bool Forced = false);

/// <summary>
/// The running experiments of one app: who gets which arm, the variant tag an impression carries, and the arm whose
/// pipeline serves the request. Immutable; the server builds a new one whenever a definition changes.
/// </summary>
/// <remarks>
/// The variant tag of a request is one token per experiment joined by ':' — <c>{id}.{version}.{arm}</c>, with
/// <c>.qa</c> appended when the arm was forced — so a report finds its exposures in the log without recomputing
/// hashes, and forced traffic is recognisable. Ids and arm names hold no '.' or ':'.
/// </remarks>
public sealed class RunningExperiments
{
    private readonly Assigner _assigner;
    private readonly Dictionary<string, ExperimentDefinition> _byId;

    /// <summary>No experiments.</summary>
    public static RunningExperiments None { get; } = new([], 0);

    /// <summary>Builds the assigner of <paramref name="running"/> (each with its bucket range set at start).</summary>
    /// <param name="running">The running experiments.</param>
    /// <param name="holdoutShare">The global holdout's share of units, in [0, 1): they are in no experiment.</param>
    public RunningExperiments(IReadOnlyList<ExperimentDefinition> running, double holdoutShare)
    {
        ArgumentNullException.ThrowIfNull(running);
        Definitions = running;
        _byId = running.ToDictionary(d => d.Id, StringComparer.Ordinal);
        var layers = running.GroupBy(d => d.Layer, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Layer(g.Key, "layer:" + g.Key, [.. g.Select(d => new ExperimentAllocation(
                d.Id, d.Id, [.. d.Arms.Select(a => new Arm(a.Name, a.Share))], d.FirstBucket ?? 0, d.EndBucket ?? Assignment.BucketCount))]))
            .ToList();
        _assigner = new Assigner(layers, holdoutShare > 0 ? new Holdout("holdout", holdoutShare) : null);
    }

    /// <summary>The running definitions.</summary>
    public IReadOnlyList<ExperimentDefinition> Definitions { get; }

    /// <summary>Whether any experiment runs.</summary>
    public bool Any => Definitions.Count > 0;

    /// <summary>The definition of a running experiment, or null.</summary>
    /// <param name="id">Its id.</param>
    public ExperimentDefinition? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>
    /// The unit's arms (at most one per layer; none in the holdout), with <paramref name="forced"/> arms replacing
    /// or adding the named experiments' arms.
    /// </summary>
    /// <param name="unitId">The user id, or the session id of an anonymous request.</param>
    /// <param name="forced">Experiment id → arm name forced by the request (checked with <see cref="WhyNotForced"/>), or null.</param>
    public IReadOnlyList<ExperimentExposure> Assign(string? unitId, IReadOnlyDictionary<string, string>? forced = null)
    {
        var result = new List<ExperimentExposure>();
        if (unitId is not null)
        {
            foreach (var a in _assigner.Assign(unitId))
            {
                if (forced is null || !forced.ContainsKey(a.Experiment))
                {
                    result.Add(new ExperimentExposure(a.Experiment, a.Arm, _byId[a.Experiment].RunningVersion ?? 1));
                }
            }
        }
        if (forced is not null)
        {
            foreach (var (experiment, arm) in forced)
            {
                result.Add(new ExperimentExposure(experiment, arm, _byId[experiment].RunningVersion ?? 1, Forced: true));
            }
        }
        return result;
    }

    /// <summary>Why a forced arm cannot be served (an unknown or stopped experiment, an unknown arm), or null.</summary>
    /// <param name="experiment">The experiment's id.</param>
    /// <param name="arm">The arm's name.</param>
    public string? WhyNotForced(string experiment, string arm) =>
        Find(experiment) is not { } d ? $"experiment '{experiment}' is not running"
        : d.ArmIndex(arm) < 0 ? $"experiment '{experiment}' has no arm '{arm}' (arms: {string.Join(", ", d.Arms.Select(a => a.Name))})"
        : null;

    /// <summary>The arm among <paramref name="exposures"/> whose own pipeline or bundle serves the request: (experiment id, arm name), or null for the serving pipeline.</summary>
    /// <param name="exposures">The request's exposures.</param>
    public (string Experiment, string Arm)? PipelineArm(IReadOnlyList<ExperimentExposure> exposures)
    {
        ArgumentNullException.ThrowIfNull(exposures);
        foreach (var e in exposures)
        {
            var d = _byId[e.Experiment];
            if (d.Arms[d.ArmIndex(e.Arm)].HasOwnBundle)
            {
                return (e.Experiment, e.Arm);
            }
        }
        return null;
    }

    /// <summary>The variant tag of a request's exposures (null when there are none).</summary>
    /// <param name="exposures">The exposures.</param>
    public static string? Tag(IReadOnlyList<ExperimentExposure> exposures)
    {
        ArgumentNullException.ThrowIfNull(exposures);
        return exposures.Count == 0 ? null
            : string.Join(':', exposures.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Experiment}.{e.Version}.{e.Arm}{(e.Forced ? ".qa" : "")}")));
    }

    /// <summary>The exposures a variant tag holds (empty for a variant that is not a tag).</summary>
    /// <param name="variant">An impression's variant.</param>
    public static IReadOnlyList<ExperimentExposure> Parse(string? variant)
    {
        if (string.IsNullOrEmpty(variant) || !variant.Contains('.', StringComparison.Ordinal))
        {
            return [];
        }
        var result = new List<ExperimentExposure>();
        foreach (string token in variant.Split(':'))
        {
            string[] parts = token.Split('.');
            if (parts.Length is 3 or 4 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int version)
                && (parts.Length == 3 || parts[3] == "qa"))
            {
                result.Add(new ExperimentExposure(parts[0], parts[2], version, parts.Length == 4));
            }
        }
        return result;
    }

    /// <summary>
    /// The bucket range a starting experiment takes in its layer: the first gap among the running experiments'
    /// ranges that holds its traffic share; null when the layer has no room.
    /// </summary>
    /// <param name="starting">The experiment to start.</param>
    /// <param name="running">The experiments running now.</param>
    public static (int First, int End)? FreeRange(ExperimentDefinition starting, IReadOnlyList<ExperimentDefinition> running)
    {
        ArgumentNullException.ThrowIfNull(starting);
        ArgumentNullException.ThrowIfNull(running);
        int size = (int)Math.Round(starting.Traffic * Assignment.BucketCount);
        int at = 0;
        foreach (var (first, end) in running.Where(r => r.Layer == starting.Layer && r.Id != starting.Id)
            .Select(r => (First: r.FirstBucket ?? 0, End: r.EndBucket ?? Assignment.BucketCount)).OrderBy(r => r.First))
        {
            if (first - at >= size)
            {
                return (at, at + size);
            }
            at = Math.Max(at, end);
        }
        return Assignment.BucketCount - at >= size ? (at, at + size) : null;
    }
}
