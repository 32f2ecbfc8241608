using System.Collections.Concurrent;
using Cascade.Experiments;
using Cascade.Serving;

namespace Cascade.Server.Experiments;

/// <summary>One arm's serving guardrail figures since the server started.</summary>
/// <param name="Arm">The arm.</param>
/// <param name="Requests">Requests served to units of the arm (forced ones left out).</param>
/// <param name="Degraded">Of those, requests in which a stage degraded.</param>
/// <param name="Errors">Requests that failed (a 5xx would have been answered; counted, never expected).</param>
/// <param name="Latency">Latency of the most recent requests (window of 8192): mean, p50, p95, p99 ms.</param>
/// <param name="DegradedVsControl">For a treatment arm: the degraded share against the control's (two proportions); null for the control or without requests.</param>
/// <param name="GuardrailHit">For a treatment arm: whether its degraded or error share is significantly above the control's (p &lt; 0.05).</param>
public sealed record ArmServingReport(string Arm, long Requests, long Degraded, long Errors, StageLatency Latency, ComparisonResult? DegradedVsControl, bool? GuardrailHit);

/// <summary>
/// The serving guardrails of running experiments, per arm, in memory: request latency, degraded and error shares.
/// They describe this process since it started (a restart or another node starts again), so they sit beside the
/// log-derived report rather than in it.
/// </summary>
internal sealed class ArmServing
{
    private readonly ConcurrentDictionary<(string App, string Experiment), Experiment> _experiments = new();

    /// <summary>Records one served request for each (non-forced) exposure.</summary>
    public void Record(string app, IReadOnlyList<ExperimentExposure> exposures, double milliseconds, bool degraded, bool error)
    {
        foreach (var e in exposures)
        {
            if (!e.Forced)
            {
                _experiments.GetOrAdd((app, e.Experiment), _ => new Experiment()).Record(e.Arm, milliseconds, degraded, error);
            }
        }
    }

    /// <summary>The arms' figures, in the definition's arm order, compared with the first arm (the control).</summary>
    public IReadOnlyList<ArmServingReport> Report(string app, ExperimentDefinition definition)
    {
        if (!_experiments.TryGetValue((app, definition.Id), out var experiment))
        {
            return [];
        }
        var latency = experiment.Latency.Snapshot().ToDictionary(l => l.Stage, StringComparer.Ordinal);
        var reports = new List<ArmServingReport>();
        var (controlRequests, controlDegraded, controlErrors) = experiment.Counts(definition.Arms[0].Name);
        foreach (var arm in definition.Arms)
        {
            var (requests, degraded, errors) = experiment.Counts(arm.Name);
            var figures = latency.GetValueOrDefault(arm.Name) ?? new StageLatency(arm.Name, 0, 0, 0, 0, 0, 0);
            ComparisonResult? vsControl = null;
            bool? hit = null;
            if (arm != definition.Arms[0] && requests > 0 && controlRequests > 0)
            {
                vsControl = FixedHorizon.TwoProportionZ(controlDegraded, controlRequests, degraded, requests);
                var errorsVsControl = FixedHorizon.TwoProportionZ(controlErrors, controlRequests, errors, requests);
                hit = (vsControl.AbsoluteLift > 0 && vsControl.PValue < 0.05) || (errorsVsControl.AbsoluteLift > 0 && errorsVsControl.PValue < 0.05);
            }
            reports.Add(new ArmServingReport(arm.Name, requests, degraded, errors, figures, vsControl, hit));
        }
        return reports;
    }

    private sealed class Experiment
    {
        private readonly ConcurrentDictionary<string, long[]> _counts = new(StringComparer.Ordinal);

        public StageMetrics Latency { get; } = new();

        public void Record(string arm, double milliseconds, bool degraded, bool error)
        {
            var counts = _counts.GetOrAdd(arm, _ => new long[3]);
            Interlocked.Increment(ref counts[0]);
            if (degraded)
            {
                Interlocked.Increment(ref counts[1]);
            }
            if (error)
            {
                Interlocked.Increment(ref counts[2]);
            }
            Latency.Record(arm, milliseconds, degraded);
        }

        public (long Requests, long Degraded, long Errors) Counts(string arm) =>
            _counts.TryGetValue(arm, out var c) ? (Interlocked.Read(ref c[0]), Interlocked.Read(ref c[1]), Interlocked.Read(ref c[2])) : (0, 0, 0);
    }
}
