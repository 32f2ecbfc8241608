namespace Cascade.Monitoring;

/// <summary>
/// What one window of the log holds, as columns: the input of <see cref="DriftMonitor.Evaluate"/> and of
/// <see cref="ReferenceBuilder.Add"/>. Every part is optional; a signal whose data is absent is not reported.
/// </summary>
public sealed class MonitoringWindow
{
    /// <summary>Inclusive start of the window.</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>Exclusive end of the window.</summary>
    public required DateTimeOffset End { get; init; }

    /// <summary>Numeric features by name, one value per impression; <see cref="double.NaN"/> is a missing value.</summary>
    public IReadOnlyDictionary<string, double[]> Numeric { get; init; } = new Dictionary<string, double[]>();

    /// <summary>Categorical features by name, one value per impression; null is a missing value.</summary>
    public IReadOnlyDictionary<string, string?[]> Categorical { get; init; } = new Dictionary<string, string?[]>();

    /// <summary>The ranker's score of each impression (empty when not logged).</summary>
    public ReadOnlyMemory<double> Scores { get; init; }

    /// <summary>The predicted CTR of each impression, in [0, 1] (empty when not logged).</summary>
    public ReadOnlyMemory<double> Predictions { get; init; }

    /// <summary>Whether each impression of <see cref="Predictions"/> was clicked (joined impressions and clicks; empty when not joined).</summary>
    public ReadOnlyMemory<bool> Clicked { get; init; }

    /// <summary>The lists served in the window, each the item ids in served order.</summary>
    public IReadOnlyList<string[]> ServedLists { get; init; } = [];

    /// <summary>The number of events of each type in the window.</summary>
    public IReadOnlyDictionary<string, long> EventCounts { get; init; } = new Dictionary<string, long>();
}
