using System.Diagnostics;
using System.Runtime.InteropServices;
using Cascade.Core;
using Cascade.Core.Telemetry;
using Cascade.Pipeline.Ranking;
using Cascade.Pipeline.Reranking;
using Cascade.Pipeline.Sources;
using Cascade.Ranking;

namespace Cascade.Pipeline;

/// <summary>A source and how many candidates it may propose per request.</summary>
/// <param name="Source">The fitted source.</param>
/// <param name="Quota">Most candidates per request.</param>
/// <param name="Weight">Its weight in reciprocal-rank fusion (0: its candidates are ranked but add nothing to the fusion order).</param>
public sealed record SourceSlot(ICandidateSource Source, int Quota, float Weight = 1f);

/// <summary>
/// Time budget of each stage. A source that has not answered within <see cref="Sources"/> is left out; a ranker that
/// has not scored within <see cref="Ranker"/> is replaced by the retrieval order; re-rankers stop once
/// <see cref="Rerank"/> is spent. Each such case is reported in <see cref="PipelineResult.Degraded"/>.
/// </summary>
/// <param name="Sources">Budget of the retrieval stage (all sources run concurrently).</param>
/// <param name="Ranker">Budget of feature building and scoring.</param>
/// <param name="Rerank">Budget of all re-rankers together.</param>
public sealed record StageBudgets(TimeSpan Sources, TimeSpan Ranker, TimeSpan Rerank)
{
    /// <summary>No budgets and no concurrency: offline evaluation, batch precomputation, tests.</summary>
    public static StageBudgets Unlimited { get; } = new(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>Whether stages run under deadlines.</summary>
    public bool Enforced => Sources != Timeout.InfiniteTimeSpan || Ranker != Timeout.InfiniteTimeSpan || Rerank != Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Under deadlines, run sources concurrently (the first on the request's thread, the others on the pool; a late
    /// one is left out) — true, the default — or one after another on the request's thread, skipping the rest once
    /// <see cref="Sources"/> is spent.
    /// </summary>
    public bool ConcurrentSources { get; init; } = true;
}

/// <summary>One request to the pipeline, in dense ids.</summary>
/// <param name="User">Dense user id of the bundle, or −1 (anonymous session, or a user newer than the bundle).</param>
/// <param name="History">The user's items, newest first.</param>
/// <param name="Count">How many items to return.</param>
/// <param name="NowMs">Request time (Unix ms).</param>
public sealed record PipelineRequest(int User, IReadOnlyList<int> History, int Count, long NowMs)
{
    /// <summary>Leave out the items of <see cref="History"/> (default true).</summary>
    public bool ExcludeHistory { get; init; } = true;

    /// <summary>Further items to leave out (blocked; served on earlier pages).</summary>
    public IReadOnlyCollection<int>? Excluded { get; init; }

    /// <summary>Only items of this category code, or −1.</summary>
    public int Category { get; init; } = -1;

    /// <summary>A business predicate on dense item ids, or null.</summary>
    public Func<int, bool>? Predicate { get; init; }

    /// <summary>Record each candidate's trail.</summary>
    public bool Explain { get; init; }

    /// <summary>Seed of randomised re-rankers (derive it from the request id).</summary>
    public ulong Seed { get; init; }
}

/// <summary>What one stage did.</summary>
/// <param name="Stage">"source:NAME", "merge", "ranker", "rerank:NAME".</param>
/// <param name="Milliseconds">Wall time.</param>
/// <param name="Count">Items out of the stage.</param>
/// <param name="Degraded">Why the stage degraded (timeout, error), or null.</param>
public sealed record StageReport(string Stage, double Milliseconds, int Count, string? Degraded = null);

/// <summary>The pipeline's answer.</summary>
/// <param name="Items">The top <see cref="PipelineRequest.Count"/> candidates, best first.</param>
/// <param name="Stages">Per-stage timings and counts.</param>
/// <param name="CandidateCount">Distinct candidates after merging.</param>
public sealed record PipelineResult(IReadOnlyList<Candidate> Items, IReadOnlyList<StageReport> Stages, int CandidateCount)
{
    /// <summary>The stages that degraded, e.g. "source:als: timeout after 20 ms".</summary>
    public IReadOnlyList<string> Degraded => [.. Stages.Where(s => s.Degraded is not null).Select(s => $"{s.Stage}: {s.Degraded}")];
}

/// <summary>
/// A fitted multi-stage recommender: retrieve from several sources (each with a quota, concurrently, under a
/// budget) → merge and de-duplicate (reciprocal-rank fusion as the pre-ranking score) → score with a ranker over
/// the candidates' features → re-rank (diversity, caps, boosts, exploration) → top n. Immutable once built and safe
/// for concurrent requests; a newer one is swapped in whole (see the serving layer).
/// </summary>
public sealed partial class RecommendationPipeline
{
    /// <summary>The k of reciprocal-rank fusion: a candidate at rank r of a source of weight w gains w / (k + r + 1).</summary>
    public const float FusionK = 60f;

    [ThreadStatic]
    private static Dictionary<int, Candidate>? t_byItem;

    /// <summary>Creates a pipeline over fitted parts.</summary>
    /// <param name="items">The item table.</param>
    /// <param name="sources">Fitted sources with quotas.</param>
    /// <param name="fallback">A fitted popularity source used when every source fails.</param>
    /// <param name="features">The candidate feature definition (null without a ranker).</param>
    /// <param name="ranker">A fitted ranker over <paramref name="features"/>' schema, or null (fusion order).</param>
    /// <param name="rerankers">Re-rankers in order.</param>
    public RecommendationPipeline(ItemTable items, IReadOnlyList<SourceSlot> sources, PopularitySource fallback,
        CandidateFeatures? features, IRanker? ranker, IReadOnlyList<IReranker> rerankers)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(fallback);
        ArgumentNullException.ThrowIfNull(rerankers);
        if (ranker is not null && (features is null || !features.Schema.Equals(ranker.Schema)))
        {
            throw new ArgumentException("The ranker was not fitted on the candidate feature schema.", nameof(ranker));
        }
        Items = items;
        Sources = sources;
        Fallback = fallback;
        Features = features;
        Ranker = ranker;
        Rerankers = rerankers;
    }

    /// <summary>The item table.</summary>
    public ItemTable Items { get; }

    /// <summary>Sources with quotas.</summary>
    public IReadOnlyList<SourceSlot> Sources { get; }

    /// <summary>The popularity fallback.</summary>
    public PopularitySource Fallback { get; }

    /// <summary>The feature definition of the ranker (null without one).</summary>
    public CandidateFeatures? Features { get; }

    /// <summary>The ranker, or null.</summary>
    public IRanker? Ranker { get; }

    /// <summary>Re-rankers in order.</summary>
    public IReadOnlyList<IReranker> Rerankers { get; }

    /// <summary>The configuration it was built from (null when assembled by hand).</summary>
    public PipelineOptions? Options { get; init; }

    /// <summary>The fitted models of its sources, by model spec (for saving a bundle).</summary>
    public IReadOnlyDictionary<string, Models.IRecommender> Models { get; init; } = new Dictionary<string, Models.IRecommender>();

    /// <summary>What the build could not do as configured (e.g. too little data to train the ranker), or null.</summary>
    public string? Note { get; init; }

    /// <summary>What the ranker was trained on, or null (no ranker trained in this build).</summary>
    public RankerTraining? RankerTraining { get; init; }

    /// <summary>What model selection did to choose <see cref="Options"/>, or null (selection off).</summary>
    public Selection.SelectionReport? Selection { get; internal set; }

    /// <summary>Runs the request through every stage.</summary>
    /// <param name="request">The request.</param>
    /// <param name="budgets">Stage budgets (<see cref="StageBudgets.Unlimited"/> offline).</param>
    public PipelineResult Run(PipelineRequest request, StageBudgets? budgets = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        budgets ??= StageBudgets.Unlimited;
        var reports = new List<StageReport>(Sources.Count + Rerankers.Count + 3);
        var sourceRequest = new SourceRequest(Items, request.User, request.History, request.NowMs, request.ExcludeHistory,
            request.Excluded, request.Category, request.Predicate);
        List<Candidate> candidates;
        // Spans for tracing (null, and free, when nothing listens): the pipeline, and under it each stage and source.
        using var span = CascadeTelemetry.Activities.StartActivity("pipeline");
        try
        {
            List<ScoredItem>?[] proposals;
            using (CascadeTelemetry.Activities.StartActivity("retrieve"))
            {
                proposals = Retrieve(sourceRequest, budgets, reports);
            }
            using (CascadeTelemetry.Activities.StartActivity("merge"))
            {
                candidates = Merge(proposals, request, sourceRequest, reports);
            }
            // The ranker reads every model source's score of every candidate: from what retrieval computed, not again.
            using (CascadeTelemetry.Activities.StartActivity("ranker"))
            {
                Rank(request, sourceRequest, candidates, budgets, reports);
            }
        }
        finally
        {
            sourceRequest.ReleaseScores();
        }
        using (CascadeTelemetry.Activities.StartActivity("rerank"))
        {
            Rerank(request, candidates, budgets, reports);
        }
        if (span is not null)
        {
            foreach (var r in reports.Where(r => r.Degraded is not null))
            {
                span.AddEvent(new ActivityEvent("degraded", tags: new ActivityTagsCollection { ["stage"] = r.Stage, ["reason"] = r.Degraded }));
            }
        }
        int distinct = candidates.Count;
        if (candidates.Count > request.Count)
        {
            candidates.RemoveRange(request.Count, candidates.Count - request.Count);
        }
        return new PipelineResult(candidates, reports, distinct);
    }

    private List<ScoredItem>?[] Retrieve(SourceRequest request, StageBudgets budgets, List<StageReport> reports)
    {
        var results = new List<ScoredItem>?[Sources.Count];
        if (!budgets.Enforced)
        {
            for (int s = 0; s < Sources.Count; s++)
            {
                long started = Stopwatch.GetTimestamp();
                var slot = Sources[s];
                var list = new List<ScoredItem>(slot.Quota);
                try
                {
                    slot.Source.Propose(request, slot.Quota, list);
                    results[s] = list;
                    reports.Add(new StageReport("source:" + slot.Source.Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds, list.Count));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    reports.Add(new StageReport("source:" + slot.Source.Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, $"error: {e.Message}"));
                }
            }
            return results;
        }
        long start = Stopwatch.GetTimestamp();
        if (!budgets.ConcurrentSources)
        {
            for (int s = 0; s < Sources.Count; s++)
            {
                var slot = Sources[s];
                string stage = "source:" + slot.Source.Name;
                if (Stopwatch.GetElapsedTime(start) >= budgets.Sources)
                {
                    reports.Add(new StageReport(stage, 0, 0, $"skipped: the sources' budget of {budgets.Sources.TotalMilliseconds:0.#} ms was spent"));
                    continue;
                }
                try
                {
                    var (list, ms) = Propose(slot, request);
                    results[s] = list;
                    reports.Add(new StageReport(stage, ms, list.Count));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    reports.Add(new StageReport(stage, Stopwatch.GetElapsedTime(start).TotalMilliseconds, 0, $"error: {e.Message}"));
                }
            }
            return results;
        }
        // Sources 1..n-1 run on the thread pool; source 0 runs on the request's own thread meanwhile, so a request
        // needs one pool thread fewer and a single-source pipeline none. Then the rest get what is left of the budget.
        var tasks = new Task<(List<ScoredItem> List, double Ms)>[Sources.Count];
        for (int s = 1; s < Sources.Count; s++)
        {
            var slot = Sources[s];
            tasks[s] = Task.Run(() => Propose(slot, request));
        }
        try
        {
            tasks[0] = Task.FromResult(Propose(Sources[0], request));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            tasks[0] = Task.FromException<(List<ScoredItem>, double)>(e);
        }
        var remaining = budgets.Sources - Stopwatch.GetElapsedTime(start);
        try
        {
            Task.WaitAll(tasks, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        }
        catch (AggregateException)
        {
            // Each faulted source is reported below.
        }
        for (int s = 0; s < Sources.Count; s++)
        {
            string stage = "source:" + Sources[s].Source.Name;
            var task = tasks[s];
            if (task.IsCompletedSuccessfully)
            {
                results[s] = task.Result.List;
                reports.Add(new StageReport(stage, task.Result.Ms, task.Result.List.Count));
            }
            else if (task.IsFaulted)
            {
                reports.Add(new StageReport(stage, Stopwatch.GetElapsedTime(start).TotalMilliseconds, 0, $"error: {task.Exception!.InnerException?.Message}"));
            }
            else
            {
                _ = task.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
                reports.Add(new StageReport(stage, Stopwatch.GetElapsedTime(start).TotalMilliseconds, 0, $"timeout after {budgets.Sources.TotalMilliseconds:0.#} ms"));
            }
        }
        return results;
    }

    private static (List<ScoredItem> List, double Ms) Propose(SourceSlot slot, SourceRequest request)
    {
        using var span = CascadeTelemetry.Activities.StartActivity("source:" + slot.Source.Name);
        long t0 = Stopwatch.GetTimestamp();
        var list = new List<ScoredItem>(slot.Quota);
        slot.Source.Propose(request, slot.Quota, list);
        span?.SetTag("cascade.candidates", list.Count);
        return (list, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    }

    private List<Candidate> Merge(List<ScoredItem>?[] proposals, PipelineRequest request, SourceRequest sourceRequest, List<StageReport> reports)
    {
        long started = Stopwatch.GetTimestamp();
        string? degraded = null;
        bool usedFallback = false;
        if (proposals.All(p => p is null || p.Count == 0))
        {
            // Every source failed or timed out (degraded), or none had anything for this request (an anonymous user
            // when every source needs a history): serve popularity rather than nothing.
            var fallback = new List<ScoredItem>();
            Fallback.Propose(sourceRequest, Math.Max(request.Count * 3, 50), fallback);
            if (Sources.Count == 0 || proposals.Any(p => p is null))
            {
                degraded = "every source failed: served the popularity fallback";
            }
            proposals = [fallback];
            usedFallback = true;
        }
        int proposed = 0;
        foreach (var list in proposals)
        {
            proposed += list?.Count ?? 0;
        }
        var candidates = new List<Candidate>(proposed);
        var byItem = t_byItem ??= new Dictionary<int, Candidate>();
        byItem.EnsureCapacity(proposed);
        try
        {
            for (int s = 0; s < proposals.Length; s++)
            {
                var list = proposals[s];
                if (list is null)
                {
                    continue;
                }
                string name = usedFallback ? "fallback" : Sources[s].Source.Name;
                float weight = usedFallback ? 1f : Sources[s].Weight;
                string[] proposedBy = [name];
                for (int rank = 0; rank < list.Count; rank++)
                {
                    var (item, score) = list[rank];
                    ref var candidate = ref CollectionsMarshal.GetValueRefOrAddDefault(byItem, item, out bool exists);
                    if (!exists)
                    {
                        candidate = new Candidate(item, 0f, proposedBy) { RetrievalScore = score };
                        if (request.Explain)
                        {
                            candidate.StartTrail();
                        }
                        candidates.Add(candidate);
                    }
                    candidate!.AddHit(new SourceHit(s, score, rank), name);
                    candidate.Score += weight / (FusionK + rank + 1);
                    if (request.Explain)
                    {
                        ExplainProposal(candidate, name, rank, score);
                    }
                }
            }
        }
        finally
        {
            byItem.Clear(); // keeps its capacity for the thread's next request, not its candidates
        }
        if (!usedFallback && Options?.Fusion == "score")
        {
            FuseScores(proposals, sourceRequest, candidates, request.Explain);
        }
        SortByScore(candidates);
        reports.Add(new StageReport("merge", Stopwatch.GetElapsedTime(started).TotalMilliseconds, candidates.Count, degraded));
        return candidates;
    }

    // Formatted only when the request explains: a lambda here would allocate its closure for every proposal.
    private static void ExplainProposal(Candidate candidate, string source, int rank, float score) =>
        candidate.Explain("source:" + source, $"proposed at rank {rank + 1} with score {score:G4}");

    private void Rank(PipelineRequest request, SourceRequest sourceRequest, List<Candidate> candidates, StageBudgets budgets, List<StageReport> reports)
    {
        if (Ranker is null || Features is null || candidates.Count == 0)
        {
            return;
        }
        long started = Stopwatch.GetTimestamp();
        float[] scores;
        string? degraded = null;
        try
        {
            // Scored on the request's own thread, the budget checked between blocks of rows: handing the work to the
            // pool would only queue it behind other requests' work under load while this thread waits for it.
            long deadline = budgets.Ranker == Timeout.InfiniteTimeSpan ? long.MaxValue
                : started + (long)(budgets.Ranker.TotalSeconds * Stopwatch.Frequency);
            if (Score(request, sourceRequest, candidates, deadline) is not { } inTime)
            {
                reports.Add(new StageReport("ranker", Stopwatch.GetElapsedTime(started).TotalMilliseconds, candidates.Count,
                    $"timeout after {budgets.Ranker.TotalMilliseconds:0.#} ms: kept the retrieval order"));
                return;
            }
            scores = inTime;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            degraded = $"error: {(e as AggregateException)?.InnerException?.Message ?? e.Message}: kept the retrieval order";
            reports.Add(new StageReport("ranker", Stopwatch.GetElapsedTime(started).TotalMilliseconds, candidates.Count, degraded));
            return;
        }
        for (int i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            c.Score = c.RankerScore = scores[i];
            if (request.Explain)
            {
                c.Explain("ranker", $"{Ranker.Name} scored {scores[i]:G4}");
            }
        }
        SortByScore(candidates);
        reports.Add(new StageReport("ranker", Stopwatch.GetElapsedTime(started).TotalMilliseconds, candidates.Count));
    }

    private const int ScoreBlock = 128;

    [ThreadStatic]
    private static RankingDataset? t_block;

    // The candidates' scores, or null when the deadline (a Stopwatch timestamp) passed before every block was scored.
    // Rows are written block by block into a per-thread buffer and scored there: no request allocates its feature
    // matrix, and the deadline is checked between blocks.
    private float[]? Score(PipelineRequest request, SourceRequest sourceRequest, List<Candidate> candidates, long deadline)
    {
        var rows = Features!.Prepare(request.History, request.NowMs, candidates, ScoreAll(Sources, sourceRequest, candidates), request.User);
        var schema = Features.Schema;
        int n = candidates.Count;
        var scores = new float[n];
        for (int start = 0; start < n; start += ScoreBlock)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return null;
            }
            int count = Math.Min(ScoreBlock, n - start);
            var block = count == ScoreBlock && t_block is { } reused && ReferenceEquals(reused.Schema, schema) ? reused
                : new RankingDataset(schema, count, new int[count * schema.FieldCount], new float[count * schema.NumericCount], validate: false);
            if (count == ScoreBlock)
            {
                t_block = block;
            }
            rows.Fill(start, count, block.Numeric, block.Categorical);
            Ranker!.Predict(block, scores.AsSpan(start, count));
        }
        return scores;
    }

    private void Rerank(PipelineRequest request, List<Candidate> candidates, StageBudgets budgets, List<StageReport> reports)
    {
        if (Rerankers.Count == 0 || candidates.Count == 0)
        {
            return;
        }
        var context = new RerankContext(Items, request.Count, request.NowMs, request.Seed, request.Explain);
        long stageStart = Stopwatch.GetTimestamp();
        foreach (var reranker in Rerankers)
        {
            string stage = "rerank:" + reranker.Name;
            if (budgets.Rerank != Timeout.InfiniteTimeSpan && Stopwatch.GetElapsedTime(stageStart) > budgets.Rerank)
            {
                reports.Add(new StageReport(stage, 0, candidates.Count, $"skipped: re-rank budget of {budgets.Rerank.TotalMilliseconds:0.#} ms spent"));
                continue;
            }
            long started = Stopwatch.GetTimestamp();
            var before = candidates.ToList();
            try
            {
                reranker.Rerank(context, candidates);
                reports.Add(new StageReport(stage, Stopwatch.GetElapsedTime(started).TotalMilliseconds, candidates.Count));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                candidates.Clear();
                candidates.AddRange(before);
                reports.Add(new StageReport(stage, Stopwatch.GetElapsedTime(started).TotalMilliseconds, candidates.Count, $"error: {e.Message}: skipped"));
            }
        }
    }

    /// <summary>
    /// Each source's score of every candidate, for sources that can score items they did not propose
    /// (<see cref="ICandidateScorer"/>); null rows for the others.
    /// </summary>
    /// <param name="sources">The sources, in the feature definition's order.</param>
    /// <param name="request">The request.</param>
    /// <param name="candidates">The candidates.</param>
    public static float[]?[] ScoreAll(IReadOnlyList<SourceSlot> sources, SourceRequest request, IReadOnlyList<Candidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(candidates);
        var result = new float[]?[sources.Count];
        int[]? items = null;
        for (int s = 0; s < sources.Count; s++)
        {
            if (sources[s].Source is ICandidateScorer scorer)
            {
                items ??= [.. candidates.Select(c => c.Item)];
                result[s] = new float[items.Length];
                scorer.ScoreItems(request, items, result[s]);
            }
        }
        return result;
    }

    private static void SortByScore(List<Candidate> candidates) =>
        candidates.Sort(static (a, b) => b.Score.CompareTo(a.Score) is var c && c != 0 ? c : a.Item.CompareTo(b.Item));

    /// <summary>The time of the user's newest interaction in <paramref name="interactions"/>, or null (no timestamps, no interactions).</summary>
    /// <param name="interactions">Users × items.</param>
    /// <param name="user">Dense user id.</param>
    public static long? LastActivityMs(CsrMatrix interactions, int user)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        if ((uint)user >= (uint)interactions.Rows || interactions.Timestamps is null || interactions.RowLength(user) == 0)
        {
            return null;
        }
        long newest = long.MinValue;
        foreach (long t in interactions.RowTimestamps(user))
        {
            newest = Math.Max(newest, t);
        }
        return newest;
    }

    /// <summary>The user's items in <paramref name="interactions"/>, newest first (by timestamp when present, else by column order reversed).</summary>
    /// <param name="interactions">Users × items.</param>
    /// <param name="user">Dense user id (out of range gives an empty history).</param>
    public static int[] HistoryOf(CsrMatrix interactions, int user)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        if ((uint)user >= (uint)interactions.Rows)
        {
            return [];
        }
        var items = interactions.RowIndices(user).ToArray();
        if (interactions.Timestamps is not null)
        {
            var times = interactions.RowTimestamps(user).ToArray();
            Array.Sort(times, items);
        }
        Array.Reverse(items);
        return items;
    }
}
