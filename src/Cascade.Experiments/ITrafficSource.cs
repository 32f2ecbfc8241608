namespace Cascade.Experiments;

/// <summary>
/// Where the simulator's traffic comes from: a population of users whose impressions and clicks per day depend on the
/// arm they are in. <see cref="ClickModelTraffic"/> draws them from a known click model; another source can run the
/// real serving path for each user and arm at small scale.
/// </summary>
public interface ITrafficSource
{
    /// <summary>The true control CTR (Σ clicks / Σ impressions in expectation), when the source knows it; coverage of the absolute lift needs it.</summary>
    double? TrueControlRate { get; }

    /// <summary>The true relative CTR lift of arm 1 over arm 0, when the source knows it; coverage and power need it.</summary>
    double? TrueRelativeLift { get; }

    /// <summary>A run of <paramref name="users"/> users; the simulator makes one per worker thread and reuses it for many runs.</summary>
    /// <param name="users">The number of users.</param>
    ITrafficRun CreateRun(int users);
}

/// <summary>One simulated experiment's traffic. The simulator calls <see cref="Begin"/>, then <see cref="Assign"/>, then <see cref="Day"/> for each day in order.</summary>
public interface ITrafficRun
{
    /// <summary>
    /// Draws a new population from <paramref name="seed"/> (the same seed gives the same population) and writes each
    /// user's pre-experiment clicks and impressions (the CUPED covariate comes from them).
    /// </summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="preClicks">Per user: clicks before the experiment.</param>
    /// <param name="preImpressions">Per user: impressions before the experiment.</param>
    void Begin(ulong seed, Span<double> preClicks, Span<double> preImpressions);

    /// <summary>Tells the run each user's arm (0 = control A, 1 = treatment B) for the days that follow.</summary>
    /// <param name="arms">Per user: the arm.</param>
    void Assign(ReadOnlySpan<byte> arms);

    /// <summary>Writes one day's impressions and clicks per user (0 for a user who does not come that day).</summary>
    /// <param name="day">The day, from 0.</param>
    /// <param name="impressions">Per user: impressions that day.</param>
    /// <param name="clicks">Per user: clicks that day (at most the impressions).</param>
    void Day(int day, Span<int> impressions, Span<int> clicks);
}
