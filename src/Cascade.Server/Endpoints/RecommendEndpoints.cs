using Cascade.Core.Domain;
using Cascade.Features;
using Cascade.Pipeline;
using Cascade.Server.Experiments;
using Cascade.Server.Infrastructure;
using Cascade.Serving;
using Cascade.Serving.Ingestion;
using Cascade.Serving.Paging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Recommendations: the multi-stage pipeline per user or session, similar items, popular and latest listings.</summary>
internal static class RecommendEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var app = routes.MapGroup("").AddEndpointFilter<ServingErrorFilter>().RequireScope(Scope.Read).WithPipelineGate();
        var admin = routes.MapGroup("").WithTags("Admin").RequireScope(Scope.Admin);
        app.MapGet("/v1/recommend/{userId}", Recommend).WithTags("Recommend")
            .WithSummary("Top-n items for a user through every pipeline stage (retrieve → filter → rank → re-rank). n 1–200 (default 10); cursor = nextCursor of the previous page (never repeats an item); category limits to one category; explain=true adds each item's trail and the stage timings; variant names the variant recorded with the impressions (default Cascade:Variant) when no experiment assigns the user; arm=experiment:arm[,…] forces arms for QA (that traffic is left out of reports).")
            .Produces<RecommendResponse>().ProducesProblem(400).ProducesProblem(422).ProducesProblem(503);
        app.MapPost("/v1/recommend", RecommendSession).WithJsonBody<SessionRequest>(batch: false).WithTags("Recommend")
            .WithSummary("Recommendations for an anonymous session (or a user plus recent items not yet sent as events): the body names the session's recent items, newest first.")
            .Accepts<SessionRequest>("application/json").Produces<RecommendResponse>().ProducesProblem(400).ProducesProblem(415).ProducesProblem(422).ProducesProblem(503);
        app.MapGet("/v1/similar/{itemId}", Similar).WithTags("Recommend")
            .WithSummary("Items similar to an item by the item-to-item model (n 1–200, default 10), hidden and expired items removed.")
            .Produces<ListingResponse>().ProducesProblem(404).ProducesProblem(422).ProducesProblem(503);
        app.MapGet("/v1/popular", Popular).WithTags("Recommend")
            .WithSummary("The most popular items, decayed by age as configured for the trending source (n 1–200, default 10; optional category).")
            .Produces<ListingResponse>().ProducesProblem(422).ProducesProblem(503);
        app.MapGet("/v1/latest", Latest).WithTags("Recommend")
            .WithSummary("The newest servable items by creation time (n 1–200, default 10; optional category).")
            .Produces<ListingResponse>().ProducesProblem(422).ProducesProblem(503);
        admin.MapPost("/v1/admin/bundle", LoadBundle).WithJsonBody<BundleRequest>(batch: false)
            .WithSummary("Load a model bundle written by `cascade train --output DIR` into the server's bundles folder (Cascade:BundlesDirectory, default DATA/bundles; path names the bundle's folder there), verify every file's length and checksum, smoke-test it and swap it in without dropping a request (admin scope). A damaged, mismatched, failing or slow (Cascade:BundleLoadTimeoutSeconds) bundle is refused (409) and the old one keeps serving.")
            .Accepts<BundleRequest>("application/json").Produces<TrainingSummary>().ProducesProblem(409).ProducesProblem(422);
        admin.MapGet("/v1/admin/stats", Stats)
            .WithSummary("Latency of each pipeline stage over the recent requests (mean, p50, p95, p99 in ms; window of 8192 per stage) and how often each degraded since start (admin scope).")
            .Produces<StatsResponse>();
        admin.MapPost("/v1/admin/train", Train)
            .WithSummary("Retrain the app's pipeline from the event log now, smoke-test it and swap it in (admin scope); a bundle that fails the smoke test is refused (409) and the old one keeps serving. The server also retrains every Cascade:TrainingIntervalSeconds.")
            .Produces<TrainingSummary>().ProducesProblem(409);
    }

    private static async Task<IResult> LoadBundle(HttpContext http, RecommendationService service, ServerOptions options)
    {
        var load = await BundleFolders.LoadAsync(service, options, http.App(), http.Body<BundleRequest>().Elements[0]!.Path, http.RequestAborted);
        return load.Summary is { } summary ? Results.Ok(summary)
            : load.Status == StatusCodes.Status409Conflict ? Refused(load.Field, load.Reason)
            : Problems.Invalid(load.Field, load.Reason);
    }

    // A bundle that was not put in service (loaded or trained): 409, naming what the request could change.
    private static IResult Refused(string field, string detail) =>
        Results.Problem(title: "The bundle was refused; the previous one keeps serving.", detail: detail, statusCode: StatusCodes.Status409Conflict,
            type: "https://cascade.dev/problems/bundle-refused",
            extensions: new Dictionary<string, object?> { ["errors"] = new[] { new FieldError(field, detail) } });

    private static IResult Stats(HttpContext http, RecommendationService service, OnlineFeatureStore features)
    {
        string appName = http.App();
        return Results.Ok(new StatsResponse(service.Bundles.BundleVersion(appName), service.ImpressionFailures, service.Metrics.Snapshot(), GcStats.Now(service.Bundles.LastCompaction),
            StateStats.Of(appName, service.Changes, features), service.Bundles.Selection(appName)));
    }

    private static IResult Train(HttpContext http, RecommendationService service)
    {
        try
        {
            return Results.Ok(service.Bundles.Train(http.App()));
        }
        catch (InvalidOperationException e)
        {
            return Refused("app", e.Message);
        }
    }

    private static IResult Recommend(string userId, string? n, string? cursor, string? category, string? explain, string? variant, string? arm, HttpContext http,
        RecommendationService service, ExperimentService experiments)
    {
        if (InputValidator.WhyNotId(userId) is { } badId)
        {
            return Problems.Invalid("userId", badId);
        }
        if (ParseCount(n, service, out int count) is { } bad)
        {
            return bad;
        }
        if (ParseFlag("explain", explain, out bool explainFlag) is { } badFlag)
        {
            return badFlag;
        }
        if (variant is not null && !FeedbackEvent.IsValidVariant(variant))
        {
            return InvalidVariant(variant);
        }
        return Run(service, experiments, http.App(), new RecommendQuery(userId, count) { Cursor = cursor, Category = category, Explain = explainFlag, Variant = variant },
            userId, userId, arm);
    }

    private static IResult RecommendSession(HttpContext http, RecommendationService service, ExperimentService experiments)
    {
        var session = http.Body<SessionRequest>().Elements[0]!;
        int count = session.N ?? 10;
        if (count < 1 || count > service.Options.MaxResults)
        {
            return Problems.Invalid("n", $"{count} is not between 1 and {service.Options.MaxResults}");
        }
        var items = session.Items ?? [];
        if (items.Count > 1000)
        {
            return Problems.Invalid("items", $"{items.Count} items; at most 1000 recent items are accepted");
        }
        for (int i = 0; i < items.Count; i++)
        {
            if (InputValidator.WhyNotId(items[i]) is { } badItem)
            {
                return Problems.Invalid($"items[{i}]", badItem);
            }
        }
        if (session.UserId is { } u && InputValidator.WhyNotId(u) is { } badUser)
        {
            return Problems.Invalid("userId", badUser);
        }
        if (session.Variant is { } v && !FeedbackEvent.IsValidVariant(v))
        {
            return InvalidVariant(v);
        }
        var query = new RecommendQuery(session.UserId, count)
        {
            Variant = session.Variant,
            SessionItems = items,
            Category = session.Category,
            Cursor = session.Cursor,
            Explain = session.Explain ?? false,
        };
        if (session.SessionId is { } sid && InputValidator.WhyNotId(sid) is { } badSession)
        {
            return Problems.Invalid("sessionId", badSession);
        }
        return Run(service, experiments, http.App(), query, session.UserId, session.UserId ?? session.SessionId, session.Arm);
    }

    // Assigns the request's unit (the user, or the session of an anonymous request) to the running experiments: the
    // impressions carry the variant tag, and an arm with a pipeline of its own serves the request from its bundle.
    private static IResult Run(RecommendationService service, ExperimentService experiments, string app, RecommendQuery query, string? userId, string? unitId, string? arm)
    {
        var (badArm, forced) = ExperimentService.ParseForced(arm);
        if (badArm is not null)
        {
            return Problems.Invalid([badArm]);
        }
        foreach (var (experiment, name) in forced ?? new Dictionary<string, string>())
        {
            if (experiments.WhyNotForced(app, experiment, name) is { } why)
            {
                return Problems.Invalid("arm", why);
            }
        }
        var exposures = experiments.Assign(app, unitId, forced);
        if (exposures.Count > 0)
        {
            query = query with { Variant = Cascade.Experiments.RunningExperiments.Tag(exposures), Arm = experiments.PipelineArm(app, exposures) };
        }
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        bool failed = true, degraded = false;
        try
        {
            var r = service.Recommend(app, query);
            failed = false;
            degraded = r.Degraded.Count > 0;
            return Results.Ok(new RecommendResponse(r.RequestId, userId, r.Items, r.NextCursor, r.Degraded, r.BundleVersion, r.Variant, r.Stages,
                exposures.Count == 0 ? null : exposures));
        }
        catch (PageCursorException e)
        {
            failed = false;
            return Problems.Invalid("cursor", e.Message, StatusCodes.Status400BadRequest);
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or BundleNotReadyException)
        {
            failed = false; // the client's mistake or a bundle not ready yet (answered by the filter): not the arm's failure
            throw;
        }
        finally
        {
            experiments.RecordServing(app, exposures, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, degraded, failed);
        }
    }

    private static IResult Similar(string itemId, string? n, HttpContext http, RecommendationService service)
    {
        if (InputValidator.WhyNotId(itemId) is { } badId)
        {
            return Problems.Invalid("itemId", badId);
        }
        if (ParseCount(n, service, out int count) is { } bad)
        {
            return bad;
        }
        try
        {
            return Results.Ok(new ListingResponse(Guid.NewGuid().ToString("N"), service.Similar(http.App(), itemId, count)));
        }
        catch (KeyNotFoundException)
        {
            return Problems.NotFound("Item", itemId, "itemId");
        }
    }

    private static IResult Popular(string? n, string? category, HttpContext http, RecommendationService service) =>
        Listing(n, category, http, service, latest: false);

    private static IResult Latest(string? n, string? category, HttpContext http, RecommendationService service) =>
        Listing(n, category, http, service, latest: true);

    private static IResult Listing(string? n, string? category, HttpContext http, RecommendationService service, bool latest)
    {
        string appName = http.App();
        if (ParseCount(n, service, out int count) is { } bad)
        {
            return bad;
        }
        var items = latest ? service.Latest(appName, count, category) : service.Popular(appName, count, category);
        return Results.Ok(new ListingResponse(Guid.NewGuid().ToString("N"), items));
    }

    private static IResult InvalidVariant(string variant) =>
        Problems.Invalid("variant", $"'{(variant.Length > 80 ? variant[..80] + "…" : variant)}' is not 1–{FeedbackEvent.MaxVariantLength} letters, digits, '.', '_', '-' or ':'");

    private static IResult? ParseCount(string? n, RecommendationService service, out int count)
    {
        count = 10;
        if (n is not null && (!int.TryParse(n, out count) || count < 1 || count > service.Options.MaxResults))
        {
            return Problems.Invalid("n", $"'{n}' is not an integer between 1 and {service.Options.MaxResults}");
        }
        return null;
    }

    private static IResult? ParseFlag(string name, string? text, out bool value)
    {
        value = false;
        if (text is not null && !bool.TryParse(text, out value))
        {
            return Problems.Invalid(name, $"'{text}' is not true or false");
        }
        return null;
    }
}

/// <summary>Recommendations for an anonymous session.</summary>
/// <param name="UserId">Optional user; their stored history is used too.</param>
/// <param name="Items">The session's recent item ids, newest first (at most 1000).</param>
/// <param name="N">How many (1–200, default 10).</param>
/// <param name="Category">Only this category.</param>
/// <param name="Cursor">nextCursor of the previous page.</param>
/// <param name="Explain">Add trails and stage timings.</param>
/// <param name="Variant">The variant to record with the impressions when no experiment assigns the unit; default Cascade:Variant.</param>
/// <param name="SessionId">The anonymous session's id: the experiment unit when there is no user.</param>
/// <param name="Arm">Forced experiment arms for QA, <c>experiment:arm</c> separated by commas (left out of reports).</param>
internal sealed record SessionRequest(string? UserId, IReadOnlyList<string>? Items, int? N, string? Category, string? Cursor, bool? Explain, string? Variant = null,
    string? SessionId = null, string? Arm = null);

/// <summary>A recommendation response.</summary>
/// <param name="RequestId">Send it back with clicks (requestId, position) to join them to this response's impressions.</param>
/// <param name="UserId">The user (null for an anonymous session).</param>
/// <param name="Items">Best first: id, score, sources, and with explain the trail through every stage.</param>
/// <param name="NextCursor">Pass as cursor for the next page; null when the feed ends.</param>
/// <param name="Degraded">Stages that degraded (timeout, error) and what was served instead.</param>
/// <param name="BundleVersion">The model bundle that answered.</param>
/// <param name="Variant">The variant recorded with this page's impressions: the experiment tag (<c>{experiment}.{version}.{arm}</c> per experiment, joined by ':') when experiments assign the unit.</param>
/// <param name="Stages">With explain: each stage's time, output count and degradation.</param>
/// <param name="Experiments">The unit's arms in running experiments (experiment, arm, version, forced), or null for none.</param>
internal sealed record RecommendResponse(string RequestId, string? UserId, IReadOnlyList<Recommendation> Items, string? NextCursor,
    IReadOnlyList<string> Degraded, string BundleVersion, string Variant, IReadOnlyList<StageReport>? Stages,
    IReadOnlyList<Cascade.Experiments.ExperimentExposure>? Experiments = null);

/// <summary>Which bundle to load.</summary>
/// <param name="Path">The name of the bundle's folder in the server's bundles folder (Cascade:BundlesDirectory).</param>
internal sealed record BundleRequest(string? Path);

/// <summary>Serving statistics.</summary>
/// <param name="BundleVersion">The bundle serving the key's app (null before the first training).</param>
/// <param name="ImpressionFailures">Impression writes that failed since start.</param>
/// <param name="Stages">Per-stage latency, "total" first.</param>
/// <param name="Gc">The server process's garbage collections since start (pauses show up in the latency tail).</param>
/// <param name="State">What the in-memory serving state holds (it grows with the data, so it is watched).</param>
/// <param name="Selection">How the serving bundle's configuration was chosen by model selection (trials, metric, time, choice), or null when it was not.</param>
internal sealed record StatsResponse(string? BundleVersion, long ImpressionFailures, IReadOnlyList<StageLatency> Stages, GcStats Gc, StateStats State,
    Cascade.Pipeline.Selection.SelectionReport? Selection);

/// <summary>The in-memory serving state: recent changes (request path) and the online feature store (POST /v1/rank).</summary>
/// <param name="RecentUsers">The key's app's users with history since the recent changes' floor (null when the follower is off).</param>
/// <param name="RecentItems">The key's app's items hidden, expired or upserted since that floor (null when off).</param>
/// <param name="RecentFloor">The key's app's floor: changes after this log sequence are kept (it moves up at each bundle swap).</param>
/// <param name="FeatureUsers">Users with online feature state in the key's app.</param>
/// <param name="FeatureItems">Items with online feature state in the key's app.</param>
/// <param name="FeaturePairs">User × item pairs with exact history in the key's app (at most FeatureSetOptions.MaxItemsPerUser, 2,000 by default, per user).</param>
/// <param name="WorkingSetMb">The server process's working set, MB.</param>
internal sealed record StateStats(int? RecentUsers, int? RecentItems, long? RecentFloor, int FeatureUsers, int FeatureItems, long FeaturePairs, double WorkingSetMb)
{
    /// <summary>The figures now.</summary>
    public static StateStats Of(string app, RecentChanges? changes, OnlineFeatureStore features)
    {
        var counts = features.Count(app);
        return new StateStats(changes?.UsersOf(app), changes?.ChangedItemsOf(app), changes?.FloorOf(app), counts.Users, counts.Items, counts.Pairs,
            Math.Round(Environment.WorkingSet / 1048576.0, 1));
    }
}

/// <summary>Garbage collections of the server process since start.</summary>
/// <param name="Gen0">Generation-0 collections.</param>
/// <param name="Gen1">Generation-1 collections.</param>
/// <param name="Gen2">Generation-2 (full) collections.</param>
/// <param name="TotalPauseMs">Milliseconds the runtime paused threads for collections.</param>
/// <param name="HeapMb">Managed heap size after the last collection, MB.</param>
/// <param name="CommittedMb">Memory the GC has committed from the OS after the last collection (the heap, its free space and what it keeps for later allocations), MB.</param>
/// <param name="FragmentedMb">Free space inside the heap after the last collection, MB.</param>
/// <param name="Compactions">Compacting collections run after bundle swaps (<c>Cascade:CompactAfterTraining</c>).</param>
/// <param name="LastCompactionPauseMs">How long the last of them paused the process, ms (null before the first).</param>
internal sealed record GcStats(int Gen0, int Gen1, int Gen2, double TotalPauseMs, double HeapMb, double CommittedMb, double FragmentedMb, int Compactions, double? LastCompactionPauseMs)
{
    /// <summary>The figures now; <paramref name="last"/> is the last compaction after a bundle swap (or null).</summary>
    public static GcStats Now(HeapCompaction? last = null)
    {
        var info = GC.GetGCMemoryInfo();
        return new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
            Math.Round(GC.GetTotalPauseDuration().TotalMilliseconds, 1), Mb(info.HeapSizeBytes), Mb(info.TotalCommittedBytes), Mb(info.FragmentedBytes),
            last?.Count ?? 0, last is null ? null : Math.Round(last.Pause.TotalMilliseconds, 1));
    }

    private static double Mb(long bytes) => Math.Round(bytes / 1048576.0, 1);
}

/// <summary>A listing (similar, popular, latest).</summary>
/// <param name="RequestId">Request id.</param>
/// <param name="Items">Best first.</param>
internal sealed record ListingResponse(string RequestId, IReadOnlyList<Recommendation> Items);
