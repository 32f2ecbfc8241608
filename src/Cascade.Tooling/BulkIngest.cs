using Cascade.Serving.Ingestion;

namespace Cascade.Tooling;

/// <summary>Counts of a bulk load.</summary>
/// <param name="Stored">Records written.</param>
/// <param name="Duplicates">Events whose id was already stored.</param>
/// <param name="Invalid">Records refused.</param>
/// <param name="FirstErrors">The first few refusals, for the report.</param>
public sealed record BulkResult(long Stored, long Duplicates, long Invalid, IReadOnlyList<string> FirstErrors)
{
    /// <summary>Adds two results.</summary>
    public BulkResult Plus(BulkResult other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Stored + other.Stored, Duplicates + other.Duplicates, Invalid + other.Invalid, [.. FirstErrors.Concat(other.FirstErrors).Take(10)]);
    }
}

/// <summary>Loads large streams through <see cref="IngestService"/> (the API's own path) in batches.</summary>
public static class BulkIngest
{
    /// <summary>Records per group commit.</summary>
    public const int BatchSize = 5_000;

    /// <summary>Ingests events; <paramref name="progress"/> receives the running count.</summary>
    public static Task<BulkResult> EventsAsync(IngestService ingest, string app, IEnumerable<EventInput> events, IProgress<long>? progress = null) =>
        RunAsync(events, batch => ingest.IngestEventsAsync(app, batch, isBatch: true), progress);

    /// <summary>Ingests items.</summary>
    public static Task<BulkResult> ItemsAsync(IngestService ingest, string app, IEnumerable<ItemInput> items, IProgress<long>? progress = null) =>
        RunAsync(items, batch => ingest.UpsertItemsAsync(app, batch, null), progress);

    /// <summary>Ingests users.</summary>
    public static Task<BulkResult> UsersAsync(IngestService ingest, string app, IEnumerable<UserInput> users, IProgress<long>? progress = null) =>
        RunAsync(users, batch => ingest.UpsertUsersAsync(app, batch, null), progress);

    private static async Task<BulkResult> RunAsync<T>(IEnumerable<T> source, Func<List<T?>, Task<IReadOnlyList<ElementResult>>> write, IProgress<long>? progress)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(source);
        long stored = 0, dup = 0, invalid = 0, seen = 0;
        var errors = new List<string>();
        var batch = new List<T?>(BatchSize);
        // Two batches in flight: the next is parsed and validated while the previous one is being fsync'd.
        Task<IReadOnlyList<ElementResult>>? inFlight = null;
        void Count(IReadOnlyList<ElementResult> results, long offset)
        {
            foreach (var r in results)
            {
                switch (r.Status)
                {
                    case ElementStatus.Stored: stored++; break;
                    case ElementStatus.Duplicate: dup++; break;
                    default:
                        invalid++;
                        if (errors.Count < 10 && r.Errors is { } es)
                        {
                            errors.Add($"record {offset + r.Index + 1}: " + string.Join("; ", es.Select(e => $"{e.Field}: {e.Reason}")));
                        }
                        break;
                }
            }
        }
        long inFlightOffset = 0;
        foreach (var item in source)
        {
            batch.Add(item);
            if (batch.Count == BatchSize)
            {
                if (inFlight is not null)
                {
                    Count(await inFlight.ConfigureAwait(false), inFlightOffset);
                }
                inFlightOffset = seen;
                seen += batch.Count;
                inFlight = write(batch);
                batch = new List<T?>(BatchSize);
                progress?.Report(seen);
            }
        }
        if (inFlight is not null)
        {
            Count(await inFlight.ConfigureAwait(false), inFlightOffset);
        }
        if (batch.Count > 0)
        {
            Count(await write(batch).ConfigureAwait(false), seen);
            seen += batch.Count;
            progress?.Report(seen);
        }
        return new BulkResult(stored, dup, invalid, errors);
    }
}
