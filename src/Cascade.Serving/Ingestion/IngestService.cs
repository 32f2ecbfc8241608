using Cascade.Core.Domain;
using Cascade.Storage.Engine;

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
    public async Task<IReadOnlyList<ElementResult>> IngestEventsAsync(string app, IReadOnlyList<EventInput?> inputs, bool isBatch)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var now = _clock.GetUtcNow();
        var results = new ElementResult[inputs.Count];
        var valid = new List<FeedbackEvent>(inputs.Count);
        var positions = new List<int>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
        {
            var errors = new List<FieldError>();
            var e = InputValidator.ToEvent(inputs[i], app, now, Engine.EventTypes, errors, isBatch ? $"[{i}]." : "");
            if (e is null)
            {
                results[i] = new ElementResult(i, ElementStatus.Invalid, null, errors);
                continue;
            }
            valid.Add(e);
            positions.Add(i);
        }
        if (valid.Count > 0)
        {
            var appended = await Engine.AppendEventsAsync(valid).ConfigureAwait(false);
            for (int k = 0; k < appended.Length; k++)
            {
                results[positions[k]] = new ElementResult(positions[k], appended[k].Duplicate ? ElementStatus.Duplicate : ElementStatus.Stored, appended[k].Sequence, null);
            }
        }
        return results;
    }

    /// <summary>Validates and upserts items.</summary>
    public async Task<IReadOnlyList<ElementResult>> UpsertItemsAsync(string app, IReadOnlyList<ItemInput?> inputs, string? pathId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var now = _clock.GetUtcNow();
        var results = new ElementResult[inputs.Count];
        var valid = new List<Item>();
        var positions = new List<int>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var errors = new List<FieldError>();
            var item = InputValidator.ToItem(inputs[i], pathId, app, now, errors, pathId is null ? $"[{i}]." : "");
            if (item is null)
            {
                results[i] = new ElementResult(i, ElementStatus.Invalid, null, errors);
                continue;
            }
            valid.Add(item);
            positions.Add(i);
        }
        if (valid.Count > 0)
        {
            var appended = await Engine.UpsertItemsAsync(valid, cancellationToken).ConfigureAwait(false);
            for (int k = 0; k < appended.Length; k++)
            {
                results[positions[k]] = new ElementResult(positions[k], ElementStatus.Stored, appended[k].Sequence, null);
            }
        }
        return results;
    }

    /// <summary>Validates and upserts users.</summary>
    public async Task<IReadOnlyList<ElementResult>> UpsertUsersAsync(string app, IReadOnlyList<UserInput?> inputs, string? pathId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var results = new ElementResult[inputs.Count];
        var valid = new List<User>();
        var positions = new List<int>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var errors = new List<FieldError>();
            var user = InputValidator.ToUser(inputs[i], pathId, app, errors, pathId is null ? $"[{i}]." : "");
            if (user is null)
            {
                results[i] = new ElementResult(i, ElementStatus.Invalid, null, errors);
                continue;
            }
            valid.Add(user);
            positions.Add(i);
        }
        if (valid.Count > 0)
        {
            var appended = await Engine.UpsertUsersAsync(valid, cancellationToken).ConfigureAwait(false);
            for (int k = 0; k < appended.Length; k++)
            {
                results[positions[k]] = new ElementResult(positions[k], ElementStatus.Stored, appended[k].Sequence, null);
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
