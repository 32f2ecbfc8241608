using System.Collections.Concurrent;
using Cascade.Serving.Popularity;
using Cascade.Storage.Engine;
using Cascade.Storage.Snapshot;

namespace Cascade.Serving;

/// <summary>Options of the recommendation service.</summary>
public sealed record RecommendationOptions
{
    /// <summary>Half-life of the trending score. Default 7 days; null disables decay.</summary>
    public TimeSpan? TrendingHalfLife { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Largest n a request may ask for. Default 200.</summary>
    public int MaxResults { get; init; } = 200;
}

/// <summary>One recommended item.</summary>
/// <param name="ItemId">The item.</param>
/// <param name="Score">Its score.</param>
/// <param name="Source">The stage that proposed it.</param>
public sealed record Recommendation(string ItemId, double Score, string Source);

/// <summary>
/// Serves recommendations from the trained baseline of each app, filtering out what the user has seen and what
/// may not be shown (hidden, expired). Models are trained from the event log on demand and by <see cref="Train"/>;
/// a trained model is swapped in atomically, so requests never see a half-built one.
/// </summary>
public sealed class RecommendationService(CascadeEngine engine, RecommendationOptions? options = null, TimeProvider? clock = null)
{
    private readonly ConcurrentDictionary<string, Trained> _models = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>The options in force.</summary>
    public RecommendationOptions Options { get; } = options ?? new RecommendationOptions();

    /// <summary>Trains the baseline of <paramref name="app"/> from the log and swaps it in.</summary>
    public TrainingSummary Train(string app)
    {
        var started = _clock.GetTimestamp();
        var snapshot = InteractionSnapshot.Build(engine, app);
        var model = TrendingPopularity.Fit(snapshot.Matrix, Options.TrendingHalfLife);
        _models[app] = new Trained(model, snapshot);
        return new TrainingSummary(app, snapshot.Matrix.Rows, snapshot.Matrix.Columns, snapshot.Matrix.NonZeros, snapshot.Sequence, _clock.GetElapsedTime(started));
    }

    /// <summary>Whether <paramref name="app"/> has a trained model.</summary>
    public bool IsTrained(string app) => _models.ContainsKey(app);

    /// <summary>The top <paramref name="n"/> items for the user, excluding seen, hidden and expired items.</summary>
    public IReadOnlyList<Recommendation> Recommend(string app, string userId, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, Options.MaxResults);
        if (!_models.TryGetValue(app, out var trained))
        {
            Train(app);
            trained = _models[app];
        }
        var seen = engine.Catalog.GetUserItemIds(app, userId);
        var now = _clock.GetUtcNow();
        var list = new List<Recommendation>(n);
        foreach (int i in trained.Model.Ranked)
        {
            string id = trained.Snapshot.ItemIds[i];
            if (seen.Contains(id))
            {
                continue;
            }
            var item = engine.Catalog.GetItem(app, id);
            if (item is not null && !item.IsServable(now))
            {
                continue;
            }
            list.Add(new Recommendation(id, trained.Model.Score(i), "trending"));
            if (list.Count == n)
            {
                break;
            }
        }
        return list;
    }

    private sealed record Trained(TrendingPopularity Model, InteractionSnapshot Snapshot);
}

/// <summary>What one training run did.</summary>
/// <param name="App">The app.</param>
/// <param name="Users">Rows of the interaction matrix.</param>
/// <param name="Items">Columns.</param>
/// <param name="Interactions">Non-zero entries.</param>
/// <param name="Sequence">The newest log record included.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record TrainingSummary(string App, int Users, int Items, int Interactions, long Sequence, TimeSpan Elapsed);
