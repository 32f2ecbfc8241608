using System.Collections.Concurrent;
using Cascade.Pipeline;

namespace Cascade.Serving;

/// <summary>The state of one experiment arm's bundle.</summary>
/// <param name="Arm">The arm's key (<c>experiment/arm</c>).</param>
/// <param name="Ready">Whether a bundle of the arm serves.</param>
/// <param name="Version">The serving bundle's version, or null.</param>
/// <param name="Failure">Why its last training failed, or null.</param>
public sealed record ArmBundleStatus(string Arm, bool Ready, string? Version, string? Failure);

/// <summary>What an experiment arm serves: a pipeline configuration of its own, or a trained bundle folder.</summary>
/// <param name="Pipeline">Trained on the serving bundle's snapshot, and again after each of its trainings; or null.</param>
/// <param name="BundleDirectory">A bundle folder (as <see cref="BundleManager.SaveBundle"/> writes), loaded once and served as trained; or null.</param>
public sealed record ArmSource(PipelineOptions? Pipeline, string? BundleDirectory);

public sealed partial class BundleManager
{
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, ArmSource>> _arms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string App, string Arm), ServedBundle> _armBundles = new();
    private readonly ConcurrentDictionary<(string App, string Arm), string> _armFailures = new();
    private readonly ConcurrentDictionary<string, Task> _armTraining = new(StringComparer.Ordinal);

    /// <summary>
    /// Sets the experiment arms of <paramref name="app"/> that serve a pipeline or a bundle of their own (key → source):
    /// bundles of arms no longer listed (or whose source changed) are dropped, and the listed ones without a bundle
    /// are trained in the background on the serving bundle's snapshot, or loaded from their bundle folder. After every
    /// later training of the serving bundle the pipeline arms are trained again on the same data, so such an arm is
    /// always compared on equal terms; a bundle arm serves as it was trained.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="arms">Arm key (<c>experiment/arm</c>) → what it serves; empty for none.</param>
    public void SetArms(string app, IReadOnlyDictionary<string, ArmSource> arms)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(arms);
        var before = _arms.GetValueOrDefault(app);
        _arms[app] = arms;
        foreach (var key in _armBundles.Keys.Where(k => k.App == app && (!arms.TryGetValue(k.Arm, out var source) || before?.GetValueOrDefault(k.Arm)?.BundleDirectory != source.BundleDirectory)))
        {
            _armBundles.TryRemove(key, out _);
            _armFailures.TryRemove(key, out _);
        }
        if (arms.Count > 0)
        {
            _ = TrainArmsInBackground(app);
        }
    }

    /// <summary>Whether <paramref name="app"/> has arms with pipelines of their own.</summary>
    public bool HasArms(string app) => _arms.TryGetValue(app, out var arms) && arms.Count > 0;

    /// <summary>Whether a bundle of the arm serves (fitted on the serving bundle's snapshot or an earlier one).</summary>
    /// <param name="app">The app.</param>
    /// <param name="arm">The arm's key.</param>
    public bool IsArmReady(string app, string arm) => _armBundles.ContainsKey((app, arm));

    /// <summary>The arms of <paramref name="app"/> and their bundles.</summary>
    public IReadOnlyList<ArmBundleStatus> ArmStatus(string app) =>
        !_arms.TryGetValue(app, out var arms) ? []
        : [.. arms.Keys.Order(StringComparer.Ordinal).Select(k => new ArmBundleStatus(k, _armBundles.TryGetValue((app, k), out var b), b?.Version, _armFailures.GetValueOrDefault((app, k))))];

    /// <summary>The bundle serving the arm, or null when it has none (yet).</summary>
    internal ServedBundle? ArmServing(string app, string arm) => _armBundles.GetValueOrDefault((app, arm));

    /// <summary>
    /// Trains, on the thread pool and one app at a time, every arm of <paramref name="app"/> whose bundle is missing
    /// or older than the serving bundle; completes when they are done (failures are kept per arm, see <see cref="ArmStatus"/>).
    /// </summary>
    public Task TrainArmsInBackground(string app)
    {
        while (true)
        {
            if (_armTraining.TryGetValue(app, out var running))
            {
                // One pass at a time; a pass that started before the latest change picks up the rest next time.
                return running.ContinueWith(_ => TrainArmsInBackground(app), TaskScheduler.Default).Unwrap();
            }
            var task = new Task(() => TrainArms(app), TaskCreationOptions.LongRunning);
            if (!_armTraining.TryAdd(app, task))
            {
                continue;
            }
            _ = task.ContinueWith(t => _armTraining.TryRemove(app, out var _), TaskScheduler.Default);
            task.Start(TaskScheduler.Default);
            return task;
        }
    }

    private void TrainArms(string app)
    {
        if (!_arms.TryGetValue(app, out var arms) || !_bundles.TryGetValue(app, out var control))
        {
            return; // the serving bundle's training trains the arms after it
        }
        foreach (var (arm, source) in arms.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (_armBundles.TryGetValue((app, arm), out var existing) && (source.BundleDirectory is not null || existing.Snapshot.Sequence >= control.Snapshot.Sequence))
            {
                continue;
            }
            try
            {
                var bundle = source.BundleDirectory is { } directory ? ReadBundle(app, directory, CancellationToken.None)
                    : Build(app, control.Snapshot, source.Pipeline ?? throw new InvalidOperationException($"Arm '{arm}' has neither a pipeline nor a bundle."));
                SmokeTest(bundle);
                if (_arms.TryGetValue(app, out var now) && now.ContainsKey(arm))
                {
                    _armBundles[(app, arm)] = bundle;
                    _armFailures.TryRemove((app, arm), out _);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _armFailures[(app, arm)] = e.Message;
            }
        }
    }
}
