namespace Cascade.Experiments;

/// <summary>One arm of an experiment and its share of the experiment's units.</summary>
/// <param name="Name">The arm's name, e.g. "A" or "control".</param>
/// <param name="Share">Its share of the experiment's units, above 0; the arms' shares sum to 1.</param>
public sealed record Arm(string Name, double Share);

/// <summary>
/// An experiment's place in a layer: it takes the units whose layer bucket lies in [<paramref name="FirstBucket"/>,
/// <paramref name="EndBucket"/>), and splits them into arms by a second bucket under its own salt.
/// </summary>
/// <param name="Name">The experiment's name.</param>
/// <param name="Salt">The experiment's salt (arm choice).</param>
/// <param name="Arms">The arms, in bucket order.</param>
/// <param name="FirstBucket">The first layer bucket it owns.</param>
/// <param name="EndBucket">One past the last layer bucket it owns.</param>
public sealed record ExperimentAllocation(string Name, string Salt, IReadOnlyList<Arm> Arms, int FirstBucket = 0, int EndBucket = Assignment.BucketCount);

/// <summary>A layer (namespace): its own salt, and experiments with disjoint layer-bucket ranges, so a unit is in at most one of them.</summary>
/// <param name="Name">The layer's name.</param>
/// <param name="Salt">The layer's salt.</param>
/// <param name="Experiments">The layer's experiments.</param>
public sealed record Layer(string Name, string Salt, IReadOnlyList<ExperimentAllocation> Experiments);

/// <summary>The global holdout: units whose bucket under <paramref name="Salt"/> is below Share × 10000 are in no experiment.</summary>
/// <param name="Salt">The holdout's salt.</param>
/// <param name="Share">The share of units held out, in [0, 1).</param>
public sealed record Holdout(string Salt, double Share);

/// <summary>A unit's arm in one experiment.</summary>
/// <param name="Layer">The layer's name.</param>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Arm">The arm's name.</param>
/// <param name="ArmIndex">The arm's index in the experiment.</param>
/// <param name="LayerBucket">The unit's bucket under the layer's salt.</param>
/// <param name="ArmBucket">The unit's bucket under the experiment's salt.</param>
public sealed record ArmAssignment(string Layer, string Experiment, string Arm, int ArmIndex, int LayerBucket, int ArmBucket);

/// <summary>
/// Assigns units to arms: held out (global holdout) → no experiment; otherwise, in each layer, the experiment whose
/// range holds the unit's layer bucket, and in it the arm whose range holds the unit's bucket under the experiment's
/// salt. Layers are independent because their salts differ; experiments in a layer are exclusive because their
/// ranges are disjoint. Pure and stateless: the same unit gets the same arms everywhere.
/// </summary>
public sealed class Assigner
{
    private readonly Layer[] _layers;
    private readonly int[][][] _armEnds;
    private readonly Holdout? _holdout;

    /// <summary>Checks and keeps the layers and holdout.</summary>
    /// <param name="layers">The layers; names and salts distinct.</param>
    /// <param name="holdout">The global holdout, or null for none.</param>
    public Assigner(IReadOnlyList<Layer> layers, Holdout? holdout = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (holdout is not null && !(holdout.Share >= 0 && holdout.Share < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(holdout), holdout.Share, "The holdout's share must lie in [0, 1).");
        }
        if (layers.Select(l => l.Salt).Distinct(StringComparer.Ordinal).Count() != layers.Count)
        {
            throw new ArgumentException("Every layer needs a salt of its own; two layers with one salt would not be independent.", nameof(layers));
        }
        _layers = [.. layers];
        _armEnds = new int[_layers.Length][][];
        for (int l = 0; l < _layers.Length; l++)
        {
            var experiments = _layers[l].Experiments.OrderBy(e => e.FirstBucket).ToArray();
            for (int e = 0; e < experiments.Length; e++)
            {
                var x = experiments[e];
                if (x.FirstBucket < 0 || x.EndBucket > Assignment.BucketCount || x.FirstBucket >= x.EndBucket)
                {
                    throw new ArgumentOutOfRangeException(nameof(layers), $"Experiment '{x.Name}' has the bucket range [{x.FirstBucket}, {x.EndBucket}); it must lie within [0, {Assignment.BucketCount}) and not be empty.");
                }
                if (e > 0 && experiments[e - 1].EndBucket > x.FirstBucket)
                {
                    throw new ArgumentException($"Experiments '{experiments[e - 1].Name}' and '{x.Name}' of layer '{_layers[l].Name}' overlap; experiments in one layer need disjoint bucket ranges.", nameof(layers));
                }
            }
            _armEnds[l] = [.. _layers[l].Experiments.Select(x => Assignment.ArmEnds([.. x.Arms.Select(a => a.Share)]))];
        }
        _holdout = holdout;
    }

    /// <summary>Whether the unit is in the global holdout.</summary>
    /// <param name="unitId">The unit's id.</param>
    public bool IsHeldOut(string unitId) =>
        _holdout is { Share: > 0 } h && Assignment.Bucket(h.Salt, unitId) < (int)Math.Round(h.Share * Assignment.BucketCount);

    /// <summary>The unit's arms, at most one per layer; none when it is held out.</summary>
    /// <param name="unitId">The unit's id.</param>
    public IReadOnlyList<ArmAssignment> Assign(string unitId)
    {
        ArgumentNullException.ThrowIfNull(unitId);
        if (IsHeldOut(unitId))
        {
            return [];
        }
        var result = new List<ArmAssignment>(_layers.Length);
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            int layerBucket = Assignment.Bucket(layer.Salt, unitId);
            for (int e = 0; e < layer.Experiments.Count; e++)
            {
                var experiment = layer.Experiments[e];
                if (layerBucket >= experiment.FirstBucket && layerBucket < experiment.EndBucket)
                {
                    int armBucket = Assignment.Bucket(experiment.Salt, unitId);
                    int arm = Assignment.ArmOf(armBucket, _armEnds[l][e]);
                    result.Add(new ArmAssignment(layer.Name, experiment.Name, experiment.Arms[arm].Name, arm, layerBucket, armBucket));
                    break;
                }
            }
        }
        return result;
    }
}
