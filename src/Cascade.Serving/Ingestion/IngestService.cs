using Cascade.Storage.Engine;
using Cascade.Storage.Log;

namespace Cascade.Serving.Ingestion;

/// <summary>
/// The one ingestion code path shared by the HTTP API and the importers: validate every element, append the
/// valid ones to the log in one group commit, and answer per element.
/// </summary>
public sealed class IngestService(CascadeEngine engine, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>The engine written to.</summary>
    public CascadeEngine Engine { get; } = engine;

    /// <summary>Validates and appends events; invalid ones are reported and not written.</summary>
    public Task<IReadOnlyList<ElementResult>> IngestEventsAsync(string app, IReadOnlyList<EventInput?> inputs, bool isBatch)
    {
        var now = _clock.GetUtcNow();
        return WriteAsync(inputs, (input, prefix, errors) => InputValidator.ToEvent(input, app, now, Engine.EventTypes, errors, isBatch ? prefix : ""),
            async events =>
            {
                var appended = await Engine.AppendEventsAsync(events).ConfigureAwait(false);
                for (int i = 0; i < events.Count; i++)
                {
                    // The type is one of the configured event types (validated), so the label stays bounded.
                    EventsIngested.Add(1, new KeyValuePair<string, object?>("type", events[i].Type),
                        new KeyValuePair<string, object?>("outcome", appended[i].Duplicate ? "duplicate" : "stored"));
                }
                return appended;
            });
    }

    private static readonly System.Diagnostics.Metrics.Counter<long> EventsIngested = Core.Telemetry.CascadeTelemetry.Meter.CreateCounter<long>(
        "cascade.ingest.events", "{event}", "Events acknowledged by POST /v1/events, by type and outcome (stored or duplicate).");

    /// <summary>Validates and upserts items; <paramref name="pathId"/> is the id from the URL of a single PUT.</summary>
    public Task<IReadOnlyList<ElementResult>> UpsertItemsAsync(string app, IReadOnlyList<ItemInput?> inputs, string? pathId, CancellationToken cancellationToken = default)
    {
        var now = _clock.GetUtcNow();
        return WriteAsync(inputs, (input, prefix, errors) => InputValidator.ToItem(input, pathId, app, now, errors, pathId is null ? prefix : ""),
            items => Engine.UpsertItemsAsync(items, cancellationToken));
    }

    /// <summary>Validates and upserts users; <paramref name="pathId"/> is the id from the URL of a single PUT.</summary>
    public Task<IReadOnlyList<ElementResult>> UpsertUsersAsync(string app, IReadOnlyList<UserInput?> inputs, string? pathId, CancellationToken cancellationToken = default) =>
        WriteAsync(inputs, (input, prefix, errors) => InputValidator.ToUser(input, pathId, app, errors, pathId is null ? prefix : ""),
            users => Engine.UpsertUsersAsync(users, cancellationToken));

    // Validates every element (prefixing field names with the element's index), writes the valid ones in one
    // group commit and answers per element in request order.
    private static async Task<IReadOnlyList<ElementResult>> WriteAsync<TInput, TRecord>(
        IReadOnlyList<TInput?> inputs,
        Func<TInput?, string, List<FieldError>, TRecord?> validate,
        Func<List<TRecord>, Task<AppendResult[]>> append)
        where TInput : class
        where TRecord : class
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new ElementResult[inputs.Count];
        var valid = new List<TRecord>(inputs.Count);
        var positions = new List<int>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
        {
            var errors = new List<FieldError>();
            var record = validate(inputs[i], $"[{i}].", errors);
            if (record is null)
            {
                results[i] = new ElementResult(i, ElementStatus.Invalid, null, errors);
                continue;
            }
            valid.Add(record);
            positions.Add(i);
        }
        if (valid.Count > 0)
        {
            var appended = await append(valid).ConfigureAwait(false);
            for (int k = 0; k < appended.Length; k++)
            {
                results[positions[k]] = new ElementResult(positions[k], appended[k].Duplicate ? ElementStatus.Duplicate : ElementStatus.Stored, appended[k].Sequence, null);
            }
        }
        return results;
    }
}

/// <summary>What happened to one element of a write.</summary>
public enum ElementStatus
{
    /// <summary>Written and acknowledged.</summary>
    Stored,

    /// <summary>Its event id was seen before; acknowledged, not stored again.</summary>
    Duplicate,

    /// <summary>Refused; see the errors.</summary>
    Invalid,
}

/// <summary>The answer for one element of a write.</summary>
/// <param name="Index">The element's position in the request.</param>
/// <param name="Status">What happened.</param>
/// <param name="Sequence">The log sequence that holds it.</param>
/// <param name="Errors">Why it was refused.</param>
public sealed record ElementResult(int Index, ElementStatus Status, long? Sequence, IReadOnlyList<FieldError>? Errors);
