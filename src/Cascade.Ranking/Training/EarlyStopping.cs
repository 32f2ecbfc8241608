namespace Cascade.Ranking.Training;

/// <summary>
/// Tracks a validation metric where lower is better (logloss) and says when to stop: after <c>patience</c> steps
/// without an improvement of more than <c>minDelta</c>.
/// </summary>
internal sealed class EarlyStopping(int patience, double minDelta = 1e-5)
{
    private int _sinceBest;

    public double BestMetric { get; private set; } = double.PositiveInfinity;

    public int BestStep { get; private set; }

    public bool ShouldStop => _sinceBest >= patience;

    /// <summary>Records the metric of <paramref name="step"/>; true when it is the new best (snapshot the model then).</summary>
    public bool Report(int step, double metric)
    {
        if (metric < BestMetric - minDelta)
        {
            BestMetric = metric;
            BestStep = step;
            _sinceBest = 0;
            return true;
        }
        _sinceBest++;
        return false;
    }
}
