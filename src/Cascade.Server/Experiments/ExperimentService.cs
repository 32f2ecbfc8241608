using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cascade.Core.Domain;
using Cascade.Experiments;
using Cascade.Pipeline;
using Cascade.Serving;
using Cascade.Serving.Ingestion;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Server.Experiments;

/// <summary>Why an experiment operation was refused: the field, the reason and the HTTP status (404, 409 or 422).</summary>
public sealed class ExperimentRefusedException(int status, string field, string reason) : Exception(reason)
{
    /// <summary>The HTTP status that answers it: 404, 409 or 422.</summary>
    public int Status { get; } = status;

    /// <summary>The field the refusal names.</summary>
    public string Field { get; } = field;
}

/// <summary>An experiment's report and where its figures came from.</summary>
/// <param name="Experiment">The definition (newest version).</param>
/// <param name="Report">The statistics and verdict; null before two arms have exposures.</param>
/// <param name="EventsRead">Log events the report read.</param>
/// <param name="ForcedImpressions">Impressions of forced (QA) arms, left out.</param>
/// <param name="LateOutcomes">Outcomes after the attribution window, left out.</param>
/// <param name="ElapsedMs">How long the report took.</param>
/// <param name="Note">Why there is no report yet, or null.</param>
/// <param name="Serving">The serving guardrails per arm in this process since it started (latency, degraded and error shares); empty offline.</param>
public sealed record ExperimentReportResponse(ExperimentDefinition Experiment, ExperimentReport? Report, long EventsRead, long ForcedImpressions,
    long LateOutcomes, double ElapsedMs, string? Note, IReadOnlyList<ArmServingReport>? Serving = null);

/// <summary>
/// Experiments as data: definitions are versions in the event log (kind 5) that the catalog keeps, so a restart keeps
/// them; this service validates changes, writes them, keeps each app's running experiments in memory for assignment
/// on the request path, registers arms with pipelines of their own with the bundle manager, and builds reports from
/// the log's impressions and outcomes.
/// </summary>
/// <param name="engine">The storage engine.</param>
/// <param name="recommendations">The serving service (its bundle manager serves the arms).</param>
/// <param name="holdoutShare">The global holdout's share of units.</param>
/// <param name="bundlesRoot">The bundles folder that arms' <c>bundle</c> names are in (<c>Cascade:BundlesDirectory</c>).</param>
/// <param name="clock">The clock; the system's when null.</param>
public sealed class ExperimentService(CascadeEngine engine, RecommendationService recommendations, double holdoutShare, string bundlesRoot, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, RunningExperiments> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _writeGates = new(StringComparer.Ordinal);
    private readonly ArmServing _serving = new();

    /// <summary>Records a served request of units in <paramref name="exposures"/> for the serving guardrails.</summary>
    public void RecordServing(string app, IReadOnlyList<ExperimentExposure> exposures, double milliseconds, bool degraded, bool error)
    {
        if (exposures.Count > 0)
        {
            _serving.Record(app, exposures, milliseconds, degraded, error);
            foreach (var e in exposures)
            {
                Exposures.Add(1, new KeyValuePair<string, object?>("experiment", e.Experiment), new KeyValuePair<string, object?>("arm", e.Arm),
                    new KeyValuePair<string, object?>("forced", e.Forced));
            }
        }
    }

    private static readonly System.Diagnostics.Metrics.Counter<long> Exposures = Core.Telemetry.CascadeTelemetry.Meter.CreateCounter<long>(
        "cascade.experiment.exposures", "{request}", "Recommend requests served to units of a running experiment, by experiment, arm and forced (QA).");

    /// <summary>The newest version of every experiment of the app.</summary>
    public IReadOnlyList<(ExperimentDefinition Definition, int Version)> List(string app) =>
        [.. engine.Catalog.ListExperiments(app).Select(r => (Parse(r), r.Version))];

    /// <summary>The newest version of one experiment, or null.</summary>
    public (ExperimentDefinition Definition, int Version)? Find(string app, string id) =>
        engine.Catalog.ExperimentVersions(app, id) is { Count: > 0 } versions ? (Parse(versions[^1]), versions[^1].Version) : null;

    /// <summary>Stores a new experiment as a draft (version 1).</summary>
    /// <exception cref="ExperimentRefusedException">Invalid (422) or the id exists (409).</exception>
    public async Task<(ExperimentDefinition, int)> CreateAsync(string app, ExperimentDefinition definition, CancellationToken cancellationToken)
    {
        var problems = definition.Problems();
        if (problems.Count > 0)
        {
            throw new ExperimentRefusedException(422, problems[0].Field, problems[0].Message);
        }
        for (int i = 0; i < definition.Arms.Count; i++)
        {
            if (definition.Arms[i].Pipeline is { } p && WhyNotPipeline(p) is { } bad)
            {
                throw new ExperimentRefusedException(422, $"arms[{i}].pipeline", bad);
            }
            if (definition.Arms[i].Bundle is { } name && WhyNotBundle(name) is { } missing)
            {
                throw new ExperimentRefusedException(422, $"arms[{i}].bundle", missing);
            }
        }
        var gate = _writeGates.GetOrAdd(app, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Find(app, definition.Id) is not null)
            {
                throw new ExperimentRefusedException(409, "id", $"experiment '{definition.Id}' exists; a running experiment's arms and shares cannot change — create one with a new id");
            }
            var stored = definition with
            {
                Status = ExperimentStatus.Draft,
                FirstBucket = null,
                EndBucket = null,
                RunningVersion = null,
                StartedAtMs = null,
                StartSequence = null,
                StoppedAtMs = null,
            };
            await WriteAsync(app, stored, 1, cancellationToken).ConfigureAwait(false);
            return (stored, 1);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Starts a draft: takes a bucket range in its layer and begins assigning units.</summary>
    /// <exception cref="ExperimentRefusedException">Unknown (404), not a draft, no room in the layer, or pipeline arms in two layers (409).</exception>
    public Task<(ExperimentDefinition, int)> StartAsync(string app, string id, CancellationToken cancellationToken) =>
        ChangeAsync(app, id, (current, version) =>
        {
            if (current.Status != ExperimentStatus.Draft)
            {
                throw new ExperimentRefusedException(409, "status", $"experiment '{id}' is {current.Status}; only a draft starts (create a new experiment to run again)");
            }
            var running = Running(app).Definitions;
            if (current.Arms.Any(a => a.HasOwnBundle)
                && running.FirstOrDefault(r => r.Layer != current.Layer && r.Arms.Any(a => a.HasOwnBundle)) is { } other)
            {
                throw new ExperimentRefusedException(409, "layer", $"experiment '{other.Id}' runs arms with pipelines of their own in layer '{other.Layer}'; experiments that change the pipeline must share a layer, so a request is served by one pipeline");
            }
            if (RunningExperiments.FreeRange(current, running) is not { } range)
            {
                throw new ExperimentRefusedException(409, "traffic", $"layer '{current.Layer}' has no free range for {current.Traffic:P0} of its units; stop an experiment there or lower traffic");
            }
            return current with
            {
                Status = ExperimentStatus.Running,
                FirstBucket = range.First,
                EndBucket = range.End,
                RunningVersion = version + 1,
                StartedAtMs = _clock.GetUtcNow().ToUnixTimeMilliseconds(),
                StartSequence = engine.Log.LastSequence,
            };
        }, cancellationToken);

    /// <summary>Stops a running experiment: nobody is assigned any more; its report stays.</summary>
    /// <exception cref="ExperimentRefusedException">Unknown (404) or not running (409).</exception>
    public Task<(ExperimentDefinition, int)> StopAsync(string app, string id, CancellationToken cancellationToken) =>
        ChangeAsync(app, id, (current, _) => current.Status != ExperimentStatus.Running
            ? throw new ExperimentRefusedException(409, "status", $"experiment '{id}' is {current.Status}, not running")
            : current with { Status = ExperimentStatus.Stopped, StoppedAtMs = _clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken);

    /// <summary>
    /// The request's exposures: the unit's arms in the running experiments whose arms are all ready (an arm with a
    /// pipeline of its own waits for its bundle), plus forced arms.
    /// </summary>
    public IReadOnlyList<ExperimentExposure> Assign(string app, string? unitId, IReadOnlyDictionary<string, string>? forced)
    {
        var running = Running(app);
        if (!running.Any)
        {
            return [];
        }
        var exposures = running.Assign(unitId, forced);
        return exposures.Count == 0 ? exposures : [.. exposures.Where(e => Ready(app, running.Find(e.Experiment)!))];
    }

    /// <summary>The app's running experiments (loaded from the catalog on first use).</summary>
    public RunningExperiments Running(string app) => _running.GetOrAdd(app, Load);

    /// <summary>Why a forced arm cannot be served, or null.</summary>
    public string? WhyNotForced(string app, string experiment, string arm) => Running(app).WhyNotForced(experiment, arm);

    /// <summary>The arm key whose bundle serves the request (<c>experiment/arm</c>), or null.</summary>
    public string? PipelineArm(string app, IReadOnlyList<ExperimentExposure> exposures) =>
        exposures.Count == 0 || Running(app).PipelineArm(exposures) is not { } arm ? null : $"{arm.Experiment}/{arm.Arm}";

    /// <summary>Builds the experiment's report from the log.</summary>
    /// <exception cref="ExperimentRefusedException">Unknown experiment (404).</exception>
    public ExperimentReportResponse Report(string app, string id, CancellationToken cancellationToken)
    {
        var found = Find(app, id) ?? throw new ExperimentRefusedException(404, "id", $"no experiment has id '{id}'");
        var definition = found.Definition;
        long started = Stopwatch.GetTimestamp();
        if (definition.StartedAtMs is null)
        {
            return new ExperimentReportResponse(definition, null, 0, 0, 0, 0, "The experiment has not started.");
        }
        var join = new ExposureJoin(definition);
        // CUPED needs each unit's clicks before the start, so the report reads the log from its beginning then.
        long from = definition.PreExperimentDays > 0 ? 1 : (definition.StartSequence ?? 0) + 1;
        long read = 0;
        foreach (var record in engine.Log.ReadFrom(from))
        {
            if (record.Kind == RecordKind.Event && RecordCodec.DecodeEvent(record.Payload.Span) is { } e && e.App == app)
            {
                join.Add(e);
            }
            if ((++read & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        var arms = join.Build();
        double elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (arms[0].Units == 0 || arms.Skip(1).All(a => a.Units == 0))
        {
            return new ExperimentReportResponse(definition, null, join.EventsRead, join.ForcedImpressions, join.LateOutcomes, Math.Round(elapsed, 1),
                "No exposures yet in the control and at least one other arm.", _serving.Report(app, definition));
        }
        var report = ExperimentReportBuilder.Build(definition.Id, arms, definition.ReportOptions());
        return new ExperimentReportResponse(definition, report, join.EventsRead, join.ForcedImpressions, join.LateOutcomes,
            Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1), null, _serving.Report(app, definition));
    }

    /// <summary>The arms with pipelines of their own and their bundles.</summary>
    public IReadOnlyList<ArmBundleStatus> ArmStatus(string app) => recommendations.Bundles.ArmStatus(app);

    private bool Ready(string app, ExperimentDefinition definition)
    {
        foreach (var arm in definition.Arms)
        {
            if (arm.HasOwnBundle && !recommendations.Bundles.IsArmReady(app, $"{definition.Id}/{arm.Name}"))
            {
                return false;
            }
        }
        return true;
    }

    private async Task<(ExperimentDefinition, int)> ChangeAsync(string app, string id, Func<ExperimentDefinition, int, ExperimentDefinition> change,
        CancellationToken cancellationToken)
    {
        var gate = _writeGates.GetOrAdd(app, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (current, version) = Find(app, id) ?? throw new ExperimentRefusedException(404, "id", $"no experiment has id '{id}'");
            var next = change(current, version);
            await WriteAsync(app, next, version + 1, cancellationToken).ConfigureAwait(false);
            return (next, version + 1);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task WriteAsync(string app, ExperimentDefinition definition, int version, CancellationToken cancellationToken)
    {
        string json = JsonSerializer.Serialize(definition, ExperimentDefinition.Json);
        await engine.PutExperimentAsync(new ExperimentRecord(app, definition.Id, version, json, _clock.GetUtcNow().ToUnixTimeMilliseconds()), cancellationToken)
            .ConfigureAwait(false);
        var running = Load(app);
        _running[app] = running;
    }

    private RunningExperiments Load(string app)
    {
        var running = engine.Catalog.ListExperiments(app).Select(Parse).Where(d => d.Status == ExperimentStatus.Running).ToList();
        var arms = new Dictionary<string, ArmSource>(StringComparer.Ordinal);
        foreach (var d in running)
        {
            foreach (var arm in d.Arms)
            {
                if (arm.Pipeline is { } p)
                {
                    arms[$"{d.Id}/{arm.Name}"] = new ArmSource(PipelineConfiguration.FromJson(JsonNode.Parse(p.GetRawText()), $"Arm '{arm.Name}' of experiment '{d.Id}'"), null);
                }
                else if (arm.Bundle is { } bundle)
                {
                    arms[$"{d.Id}/{arm.Name}"] = new ArmSource(null, Path.Combine(Path.GetFullPath(bundlesRoot), bundle));
                }
            }
        }
        if (arms.Count > 0 || recommendations.Bundles.HasArms(app))
        {
            recommendations.Bundles.SetArms(app, arms);
        }
        return new RunningExperiments(running, holdoutShare);
    }

    private static ExperimentDefinition Parse(ExperimentRecord record) =>
        JsonSerializer.Deserialize<ExperimentDefinition>(record.DefinitionJson, ExperimentDefinition.Json)
        ?? throw new InvalidDataException($"Experiment '{record.Id}' version {record.Version} is empty.");

    private string? WhyNotBundle(string name)
    {
        var folder = new DirectoryInfo(Path.Combine(Path.GetFullPath(bundlesRoot), name));
        return folder.Exists && folder.LinkTarget is null ? null
            : $"'{name}' is not a bundle folder in the bundles folder (Cascade:BundlesDirectory); write one with `cascade train --output` or POST /v1/admin/bundle's folder";
    }

    private static string? WhyNotPipeline(JsonElement pipeline)
    {
        try
        {
            PipelineConfiguration.FromJson(JsonNode.Parse(pipeline.GetRawText()), "the arm's pipeline");
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>Parses the request's forced arms, "experiment:arm" separated by commas; (field error, or the map).</summary>
    public static (FieldError? Error, IReadOnlyDictionary<string, string>? Forced) ParseForced(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return (null, null);
        }
        var forced = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in text.Split(','))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == part.Length - 1 || !forced.TryAdd(part[..colon], part[(colon + 1)..]))
            {
                return (new FieldError("arm", $"'{(text.Length > 80 ? text[..80] + "…" : text)}' is not experiment:arm pairs separated by commas, one per experiment"), null);
            }
        }
        return (null, forced);
    }
}
