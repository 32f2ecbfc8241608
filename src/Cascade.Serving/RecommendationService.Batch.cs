using Cascade.Pipeline;
using Cascade.Serving.Paging;

namespace Cascade.Serving;

// Batch mode: precomputing every user's list, and serving a request from it.
public sealed partial class RecommendationService
{
    private List<Recommendation>? FromBatch(string app, ServedBundle bundle, RecommendQuery query, int[] history, PageState page, long now)
    {
        var stored = Batch!.Read(app, query.UserId!);
        if (stored is null)
        {
            return null;
        }
        var seen = new HashSet<int>(history);
        var list = new List<Recommendation>(query.Count);
        var notLive = NotLive(app, bundle, stored.Value.Items.Select(i => i.ItemId));
        foreach (var item in stored.Value.Items)
        {
            int index = bundle.Items.IndexOf(item.ItemId);
            if ((index >= 0 && (seen.Contains(index) || !bundle.Items.IsServable(index, now))) || page.WasServed(item.ItemId) || notLive.Contains(item.ItemId))
            {
                continue;
            }
            list.Add(new Recommendation(item.ItemId, item.Score, ["batch", .. item.Sources]));
            if (list.Count == query.Count)
            {
                return list;
            }
        }
        return null; // too few left after filtering: compute online
    }

    /// <summary>
    /// Precomputes the top <paramref name="n"/> of every user of the current bundle (training one when there is none)
    /// into <paramref name="store"/>, in parallel, resuming an interrupted run over the same log sequence.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <param name="store">Destination.</param>
    /// <param name="n">Items per user (store more than a page so read-time filters leave enough).</param>
    /// <param name="progress">Receives the number of users done (including those done by an earlier, interrupted run).</param>
    /// <param name="cancellationToken">Stops between chunks; what is written stays and a later run resumes.</param>
    public BatchSummary RunBatch(string app, BatchStore store, int n, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        long startedAt = _clock.GetTimestamp();
        if (!Bundles.IsTrained(app))
        {
            Bundles.Train(app);
        }
        var bundle = Bundles.Serving(app);
        long sequence = bundle.Snapshot.Sequence;
        long now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var users = bundle.Snapshot.UserIds;
        var done = store.BeginRun(app, sequence, users.Count, now);
        var todo = Enumerable.Range(0, users.Count).Where(u => !done.Contains(users[u])).ToArray();
        long finished = done.Count;
        progress?.Report(finished);
        const int chunk = 512;
        var chunks = Enumerable.Range(0, (todo.Length + chunk - 1) / chunk).ToArray();
        Parallel.ForEach(chunks, new ParallelOptions { CancellationToken = cancellationToken }, c =>
        {
            var lists = new List<(string, IReadOnlyList<StoredItem>)>(chunk);
            foreach (int u in todo.AsSpan(c * chunk, Math.Min(chunk, todo.Length - c * chunk)))
            {
                var history = RecommendationPipeline.HistoryOf(bundle.Snapshot.Matrix, u);
                var result = bundle.Pipeline.Run(new PipelineRequest(u, history, n, now) { Seed = (ulong)u });
                lists.Add((users[u], [.. result.Items.Select(i => new StoredItem(bundle.Items.Ids[i.Item], i.Score, [.. i.Sources]))]));
            }
            store.Write(app, sequence, now, lists);
            progress?.Report(Interlocked.Add(ref finished, lists.Count));
        });
        store.FinishRun(app, sequence, _clock.GetUtcNow().ToUnixTimeMilliseconds());
        return new BatchSummary(app, users.Count, todo.Length, done.Count, sequence, _clock.GetElapsedTime(startedAt));
    }
}
