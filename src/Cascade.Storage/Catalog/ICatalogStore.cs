using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Projections;

namespace Cascade.Storage.Catalog;

/// <summary>
/// The catalog: items, users, each user's events and the persisted dense-id mapping, all derived from the event
/// log. The embedded implementation is <see cref="SqliteCatalogStore"/>; a PostgreSQL one satisfies the same
/// contract (tests/Cascade.Storage.Tests/CatalogStoreContract.cs). Implementations are thread-safe.
/// </summary>
public interface ICatalogStore : ILogProjection, IDisposable
{
    /// <summary>
    /// The log position of the catalog (its last applied record: sequence, log id and the record's CRC), committed with
    /// the rows; the engine checks it against the log when it opens (docs/formats/log-identity.md).
    /// </summary>
    LogMark Mark { get; }

    /// <summary>Events in the catalog (all apps) from log records after <paramref name="sequence"/>: what a log cut at that sequence lost.</summary>
    long CountEventsAfter(long sequence);

    /// <summary>
    /// Applies log records in sequence order, atomically with the new <see cref="ILogProjection.AppliedSequence"/>. Records at or
    /// below the applied sequence are skipped, so replaying is harmless.
    /// </summary>
    void Apply(IReadOnlyList<LogRecord> records);

    /// <summary>Deletes everything, for a rebuild from the log.</summary>
    void Reset();

    /// <summary>The item, or null.</summary>
    Item? GetItem(string app, string id);

    /// <summary>The items among <paramref name="ids"/> that exist, by id, in one read (a page of recommendations).</summary>
    IReadOnlyDictionary<string, Item> GetItems(string app, IReadOnlyCollection<string> ids);

    /// <summary>The user, or null.</summary>
    User? GetUser(string app, string id);

    /// <summary>The user's events, newest first, at most <paramref name="limit"/>.</summary>
    IReadOnlyList<FeedbackEvent> GetUserEvents(string app, string userId, int limit);

    /// <summary>
    /// The user's events of the given types, newest first, at most <paramref name="limit"/> (a user's history without
    /// the impressions that outnumber it).
    /// </summary>
    IReadOnlyList<FeedbackEvent> GetUserEvents(string app, string userId, int limit, IReadOnlyCollection<string> types);

    /// <summary>The ids of the items the user has any event with.</summary>
    IReadOnlySet<string> GetUserItemIds(string app, string userId);

    /// <summary>All items of the app (for training and filters).</summary>
    IReadOnlyList<Item> ListItems(string app);

    /// <summary>The persisted dense-id mapping of one kind, in dense order.</summary>
    IReadOnlyList<string> LoadIds(string app, IdKind kind);

    /// <summary>Counts of items, users and events of the app.</summary>
    CatalogCounts Count(string app);

    /// <summary>The app's items and users (no event count: that one scans the events table).</summary>
    (long Items, long Users) CountEntities(string app);

    /// <summary>The newest version of each of the app's experiments, by id.</summary>
    IReadOnlyList<ExperimentRecord> ListExperiments(string app);

    /// <summary>Every version of one experiment, oldest first (empty when unknown).</summary>
    IReadOnlyList<ExperimentRecord> ExperimentVersions(string app, string id);
}

/// <summary>Which id space a dense id belongs to.</summary>
public enum IdKind
{
    /// <summary>Users.</summary>
    User = 0,

    /// <summary>Items.</summary>
    Item = 1,
}

/// <summary>Sizes of an app's catalog.</summary>
/// <param name="Items">Items.</param>
/// <param name="Users">Users.</param>
/// <param name="Events">Events.</param>
public sealed record CatalogCounts(long Items, long Users, long Events);
