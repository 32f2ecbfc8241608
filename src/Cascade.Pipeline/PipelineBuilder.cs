using Cascade.Ann;
using Cascade.Core;
using Cascade.Features;
using Cascade.Models;
using Cascade.Models.Embeddings;
using Cascade.Pipeline.Ranking;
using Cascade.Pipeline.Reranking;
using Cascade.Pipeline.Selection;
using Cascade.Pipeline.Sources;
using Cascade.Ranking;

namespace Cascade.Pipeline;

/// <summary>Progress of a pipeline build: which step and how far.</summary>
/// <param name="Step">What is being done, e.g. "fitting source als".</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in all.</param>
public sealed record PipelineBuildProgress(string Step, int Done, int Total);

/// <summary>
/// Builds a <see cref="RecommendationPipeline"/> from <see cref="PipelineOptions"/> and data: creates and fits the
/// sources (sources naming the same model spec share one fitted model), and, when a ranker is configured, trains it
/// learning-to-rank style on a holdout carved from the data: each user's held-out items are the positives among the
/// candidates the sources (fitted on the rest) propose; groups are users; a share of users early-stops the ranker.
/// Exploration re-rankers read impression and click counts derived from the same data (<see cref="InteractionExplorationStats"/>).
/// </summary>
public static class PipelineBuilder
{
    /// <summary>Builds and fits the pipeline.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="data">Interactions and items.</param>
    /// <param name="seed">Seed of models and sampling.</param>
    /// <param name="progress">Receives build steps, or null.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <exception cref="ArgumentException">The options are invalid (the message lists every problem).</exception>
    /// <param name="prefitted">Models already fitted on <paramref name="data"/> (loaded from a bundle), by model spec; they are not fitted again.</param>
    /// <param name="prefittedRanker">A ranker already fitted for this configuration (loaded from a bundle); it is not trained again.</param>
    public static RecommendationPipeline Build(PipelineOptions options, PipelineData data, int seed = 42,
        IProgress<PipelineBuildProgress>? progress = null, IReadOnlyDictionary<string, IRecommender>? prefitted = null, IRanker? prefittedRanker = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid pipeline configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors), nameof(options));
        }
        // Selection (when on) chooses the configuration on a validation split; then it is built on all the data.
        (options, var selection) = PipelineSelection.Resolve(options, data, seed, progress, cancellationToken);
        IRanker? ranker = prefittedRanker;
        string? note = null;
        RankerTraining? training = null;
        if (ranker is null && options.Ranker is { } rankerOptions)
        {
            (ranker, note, training) = TrainRanker(options, rankerOptions, data, seed, progress, cancellationToken);
        }
        var models = prefitted is null ? new Dictionary<string, IRecommender>(StringComparer.Ordinal) : new Dictionary<string, IRecommender>(prefitted, StringComparer.Ordinal);
        var (slots, fallback) = FitSources(options, data, seed, progress, models, cancellationToken);
        var (entitySet, live) = EntitySetOf(options.Ranker, data);
        var features = new CandidateFeatures([.. slots.Select(s => s.Source.Name)], data.Items, fallback.Scores, ItemTimeline.From(data.Interactions),
            entitySet, entitySet is null ? null
            : live is not null ? new EntityFeatures(live.Store, data.Items, live.UserId, live.App)
            : EntityFeatures.Replay(entitySet, data));
        var explorationStats = options.Rerankers.Any(r => r.Kind == "explore") ? InteractionExplorationStats.From(data.Interactions) : null;
        var rerankers = options.Rerankers.Select(r => RerankerFactory.Create(r, data.Items, explorationStats)).ToArray();
        return new RecommendationPipeline(data.Items, slots, fallback, features, ranker, rerankers)
        {
            Options = options,
            Models = models,
            Note = note,
            RankerTraining = training,
            Selection = selection,
        };
    }

    /// <summary>
    /// The ranker's entity definitions, and the live store when they are its definitions (the same instance, so its
    /// rows fit); otherwise a set of their own (the bundle keeps a store of its interactions).
    /// </summary>
    private static (FeatureSet? Set, LiveFeatures? Live) EntitySetOf(RankerOptions? ranker, PipelineData data) =>
        ranker?.EntityFeatures is not { } entityOptions ? (null, null)
        : data.Live is { } live && live.Defines(entityOptions) ? (live.Store.Features, live)
        : (new FeatureSet(entityOptions), null);

    /// <summary>
    /// The entity rows of training requests, point in time: from the live store's events (the log's, impressions
    /// included) without the held-out positives when the ranker reads the live store; from the fitted interactions otherwise.
    /// </summary>
    private static RankingDataset?[] EntityRows(FeatureSet set, LiveFeatures? live, PipelineData fitData, HashSet<int>?[] heldOut,
        IReadOnlyList<(int User, long NowMs, IReadOnlyList<Candidate>? Candidates)> requests)
    {
        if (live is null)
        {
            return EntityFeatures.PointInTime(set, fitData, requests);
        }
        var users = new Dictionary<string, int>(live.UserIds.Count, StringComparer.Ordinal);
        for (int u = 0; u < live.UserIds.Count; u++)
        {
            users[live.UserIds[u]] = u;
        }
        bool HeldOut(Cascade.Core.Domain.FeedbackEvent e) =>
            live.EventTypes.TryGet(e.Type, out var type) && type.Role == Cascade.Core.Domain.EventRole.Positive
            && users.TryGetValue(e.UserId, out int u) && u < heldOut.Length && heldOut[u] is { } items && items.Contains(fitData.Items.IndexOf(e.ItemId));
        return EntityFeatures.PointInTime(set, live.EventTypes, fitData.Items, live.UserId, live.App, live.Events().Where(e => !HeldOut(e)), requests);
    }

    /// <summary>Creates and fits the configured sources on <paramref name="data"/>, plus the popularity fallback.</summary>
    /// <param name="options">The options.</param>
    /// <param name="data">Interactions and items.</param>
    /// <param name="seed">Seed of the models.</param>
    /// <param name="progress">Receives build steps, or null.</param>
    /// <param name="cancellationToken">Stops between sources.</param>
    /// <param name="models">Fitted models by spec: used when present, and every model fitted here is added (null: a private map).</param>
    public static (SourceSlot[] Slots, PopularitySource Fallback) FitSources(PipelineOptions options, PipelineData data, int seed,
        IProgress<PipelineBuildProgress>? progress = null, Dictionary<string, IRecommender>? models = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        models ??= new Dictionary<string, IRecommender>(StringComparer.Ordinal);
        var indexes = new Dictionary<string, AnnSource>(StringComparer.Ordinal);
        AnnSource AnnFor(string spec, IEmbeddingModel model, int? ef = null)
        {
            // One HNSW index per model, shared by its ann and item-to-item sources; the ann source's name is the first user's.
            if (!indexes.TryGetValue(spec.Trim(), out var ann))
            {
                ann = new AnnSource(spec.Trim(), model, new HnswOptions { Seed = (ulong)seed }, ef ?? 200, prefitted: true);
                ann.Fit(data, cancellationToken);
                indexes[spec.Trim()] = ann;
            }
            return ann;
        }
        var slots = new SourceSlot[options.Sources.Count];
        for (int i = 0; i < slots.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var o = options.Sources[i];
            progress?.Report(new PipelineBuildProgress($"fitting source {o.Name}", i, slots.Length));
            IRecommender Model()
            {
                string spec = o.Model!.Trim();
                if (!models.TryGetValue(spec, out var model))
                {
                    model = ModelCatalog.Default.Create(ModelSpec.Parse(spec), seed);
                    model.Fit(data.Interactions, cancellationToken);
                    models[spec] = model;
                }
                return model;
            }
            ICandidateSource source = o.Kind switch
            {
                "popular" => new PopularitySource(o.Name, o.HalfLifeHours is { } h ? TimeSpan.FromHours(h) : null),
                "latest" => new LatestSource(o.Name),
                "model" => new ModelSource(o.Name, Model(), prefitted: true),
                "ann" => Model() is IEmbeddingModel embedding
                    ? AnnFor(o.Model!, embedding, o.Ef)
                    : throw new ArgumentException($"Source '{o.Name}': model '{o.Model}' has no embeddings; kind 'ann' needs als, bpr or twotower."),
                "item-to-item" => new ItemToItemSource(o.Name, Model(), o.History ?? 20, o.Neighbours ?? 50, prefitted: true,
                    similar: o.UseIndex && Model() is IEmbeddingModel embedding ? AnnFor(o.Model!, embedding).SimilarItems : null),
                "category" => new CategorySource(o.Name),
                "rules" => new RulesSource(o.Name, o.Items!),
                _ => throw new ArgumentException($"Source kind '{o.Kind}' is unknown."),
            };
            if (source is AnnSource shared)
            {
                // Shared index, fitted once: the slot wraps it under this source's own name.
                source = new NamedSource(o.Name, shared);
            }
            else
            {
                source.Fit(data, cancellationToken);
            }
            slots[i] = new SourceSlot(source, o.Quota, (float)o.Weight);
        }
        var fallback = new PopularitySource("fallback");
        fallback.Fit(data, cancellationToken);
        progress?.Report(new PipelineBuildProgress("sources fitted", slots.Length, slots.Length));
        return (slots, fallback);
    }

    /// <summary>A fitted source proposed under another name (one ANN index serving several configured sources).</summary>
    private sealed class NamedSource(string name, ICandidateSource inner) : ICandidateSource, ICandidateScorer
    {
        public string Name => name;

        public void ScoreItems(SourceRequest request, ReadOnlySpan<int> items, Span<float> scores)
        {
            if (inner is ICandidateScorer scorer)
            {
                scorer.ScoreItems(request, items, scores);
            }
            else
            {
                scores.Fill(float.NaN);
            }
        }

        public void Fit(PipelineData data, CancellationToken cancellationToken = default) => inner.Fit(data, cancellationToken);

        public void Propose(SourceRequest request, int quota, List<ScoredItem> output) => inner.Propose(request, quota, output);
    }

    private const int MinimumRankerGroups = 20;

    private static (IRanker? Ranker, string? Note, RankerTraining? Training) TrainRanker(PipelineOptions options, RankerOptions rankerOptions, PipelineData data, int seed,
        IProgress<PipelineBuildProgress>? progress, CancellationToken cancellationToken)
    {
        CandidateFeatures? features = null;
        var validGroups = new List<RankingDataset?>();
        var trainGroups = new List<RankingDataset?>();
        // Served lists (the newest) train alongside the held-out groups; their clicks are held out of the sources'
        // data, so no source has seen the click it is asked to predict.
        var served = data.Served.Count > rankerOptions.MaxUsers ? data.Served.Skip(data.Served.Count - rankerOptions.MaxUsers).ToArray() : [.. data.Served];
        var clicks = new Dictionary<int, HashSet<int>>();
        foreach (var list in served)
        {
            for (int k = 0; k < list.Items.Length; k++)
            {
                if (list.Clicked[k])
                {
                    (clicks.TryGetValue(list.User, out var set) ? set : clicks[list.User] = []).Add(list.Items[k]);
                }
            }
        }
        int heldOutGroups = 0, servedGroups = 0;
        for (int fold = 0; fold < rankerOptions.HoldoutFolds; fold++)
        {
            int foldSeed = rankerOptions.Seed + 7919 * fold;
            var (fitPart, holdout) = Holdout(data.Interactions, rankerOptions.HoldoutFraction, foldSeed, clicks);
            var fitData = new PipelineData(fitPart, data.Items) { Live = data.Live };
            progress?.Report(new PipelineBuildProgress($"ranker: fitting sources on the rest of holdout {fold + 1}", fold, rankerOptions.HoldoutFolds));
            var (slots, fallback) = FitSources(options, fitData, seed, null, null, cancellationToken);
            var (entitySet, live) = EntitySetOf(rankerOptions, data);
            var foldFeatures = new CandidateFeatures([.. slots.Select(s => s.Source.Name)], data.Items, fallback.Scores, ItemTimeline.From(fitPart), entitySet);
            features ??= foldFeatures;
            var retrieval = new RecommendationPipeline(data.Items, slots, fallback, null, null, []);
            var users = Enumerable.Range(0, holdout.Length).Where(u => holdout[u] is { Count: > 0 }).ToArray();
            new Random(rankerOptions.Seed).Shuffle(users); // the same users validate in every fold
            if (users.Length > rankerOptions.MaxUsers)
            {
                users = users[..rankerOptions.MaxUsers];
            }
            int validUsers = Math.Max(1, (int)(users.Length * rankerOptions.ValidFraction));
            int depth = options.Sources.Sum(s => s.Quota);
            var groups = new RankingDataset?[users.Length];
            var requests = new (int User, long NowMs, IReadOnlyList<Candidate>? Candidates)[users.Length];
            var labelsOf = new float[users.Length][];
            var scoresOf = new float[]?[users.Length][];
            int done = 0;
            Parallel.For(0, users.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                int user = users[i];
                var history = RecommendationPipeline.HistoryOf(fitPart, user);
                // The request is replayed at the user's last activity: held-out items were chosen around then.
                long nowMs = RecommendationPipeline.LastActivityMs(fitPart, user) ?? fitData.NewestTimestampMs;
                var result = retrieval.Run(new PipelineRequest(user, history, depth, nowMs));
                var labels = new float[result.Items.Count];
                bool any = false;
                for (int r = 0; r < labels.Length; r++)
                {
                    if (holdout[user]!.Contains(result.Items[r].Item))
                    {
                        labels[r] = 1;
                        any = true;
                    }
                }
                if (any)
                {
                    var sourceRequest = new SourceRequest(data.Items, user, history, nowMs);
                    requests[i] = (user, nowMs, result.Items);
                    labelsOf[i] = labels;
                    scoresOf[i] = RecommendationPipeline.ScoreAll(slots, sourceRequest, result.Items);
                }
                int now = Interlocked.Increment(ref done);
                if (now % 100 == 0)
                {
                    progress?.Report(new PipelineBuildProgress("ranker: candidates for training users", now, users.Length));
                }
            });
            // The entity columns point in time: one replay of the fold's interactions, in time order.
            var entityRows = entitySet is null ? null : EntityRows(entitySet, live, fitData, holdout, requests);
            Parallel.For(0, users.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                if (requests[i].Candidates is { } candidates)
                {
                    int user = users[i];
                    groups[i] = foldFeatures.Build(RecommendationPipeline.HistoryOf(fitPart, user), requests[i].NowMs, candidates, labelsOf[i], scoresOf[i], entityRows?[i], user);
                    requests[i] = default;
                    scoresOf[i] = null!;
                }
            });
            validGroups.AddRange(groups.Take(validUsers));
            trainGroups.AddRange(groups.Skip(validUsers));
            heldOutGroups += groups.Count(g => g is not null);
            if (served.Length > 0)
            {
                var servedRows = ServedGroups(served, retrieval, slots, foldFeatures, fitData, depth,
                    requests => EntityRows(entitySet!, live, fitData, holdout, requests), cancellationToken);
                trainGroups.AddRange(servedRows);
                servedGroups += servedRows.Count(g => g is not null);
            }
        }
        int usable = trainGroups.Concat(validGroups).Count(g => g is not null);
        if (usable < MinimumRankerGroups)
        {
            // Too little data to learn a ranker (a new app, a test): serve the fusion order and say so.
            return (null, $"ranker '{rankerOptions.Kind}' not trained: only {usable} users had a held-out item among the candidates (at least {MinimumRankerGroups} needed); serving the retrieval (fusion) order", null);
        }
        var valid = Concat(features!.Schema, validGroups);
        var train = Concat(features.Schema, trainGroups);
        if (train.Rows == 0 || valid.Rows == 0)
        {
            return (null, $"ranker '{rankerOptions.Kind}' not trained: the training or validation users had no examples; serving the retrieval (fusion) order", null);
        }
        progress?.Report(new PipelineBuildProgress($"ranker: fitting {rankerOptions.Kind} on {train.Rows} rows", 0, 1));
        var ranker = RankerCatalog.Create(rankerOptions.Kind, rankerOptions.Parameters, seed);
        ranker.Fit(train, valid, null, cancellationToken);
        string? entitySource = rankerOptions.EntityFeatures is null ? null : EntitySetOf(rankerOptions, data).Live is null ? "bundle" : "live";
        return (ranker, null, new RankerTraining(heldOutGroups, servedGroups, train.Rows, valid.Rows, entitySource));
    }

    /// <summary>
    /// One training group per served list: its shown items as candidates — with the hits the fold's sources give them
    /// when retrieval at the list's time proposes them, none otherwise — labelled by the clicks; entity columns point
    /// in time at the list's time.
    /// </summary>
    private static RankingDataset?[] ServedGroups(ServedList[] served, RecommendationPipeline retrieval, SourceSlot[] slots, CandidateFeatures features,
        PipelineData fitData, int depth, Func<IReadOnlyList<(int User, long NowMs, IReadOnlyList<Candidate>? Candidates)>, RankingDataset?[]> entityRowsOf,
        CancellationToken cancellationToken)
    {
        var requests = new (int User, long NowMs, IReadOnlyList<Candidate>? Candidates)[served.Length];
        var scores = new float[]?[served.Length][];
        var histories = new IReadOnlyList<int>[served.Length];
        Parallel.For(0, served.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var list = served[i];
            var history = RecommendationPipeline.HistoryOf(fitData.Interactions, list.User);
            var proposed = retrieval.Run(new PipelineRequest(list.User, history, depth, list.TimeMs)).Items.ToDictionary(c => c.Item);
            var candidates = list.Items.Select(item => proposed.TryGetValue(item, out var c) ? c : new Candidate(item, 0, Array.Empty<string>())).ToList();
            histories[i] = history;
            requests[i] = (list.User, list.TimeMs, candidates);
            scores[i] = RecommendationPipeline.ScoreAll(slots, new SourceRequest(fitData.Items, list.User, history, list.TimeMs), candidates);
        });
        var entityRows = features.EntitySet is null ? null : entityRowsOf(requests);
        var groups = new RankingDataset?[served.Length];
        Parallel.For(0, served.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var list = served[i];
            groups[i] = features.Build(histories[i], list.TimeMs, requests[i].Candidates!, [.. list.Clicked.Select(c => c ? 1f : 0f)], scores[i], entityRows?[i], list.User);
        });
        return groups;
    }

    /// <summary>Holds out a share of each user's positive interactions (at least one, and only from users with two or more).</summary>
    /// <param name="interactions">Users × items.</param>
    /// <param name="fraction">Share held out.</param>
    /// <param name="seed">Seed.</param>
    /// <param name="alsoHeldOut">Per user, items held out besides the share (clicks the ranker learns from in served lists), or null.</param>
    public static (CsrMatrix Remaining, HashSet<int>?[] HeldOut) Holdout(CsrMatrix interactions, double fraction, int seed, IReadOnlyDictionary<int, HashSet<int>>? alsoHeldOut = null)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var random = new Random(seed);
        var builder = new CsrMatrixBuilder(interactions.NonZeros);
        var heldOut = new HashSet<int>?[interactions.Rows];
        for (int u = 0; u < interactions.Rows; u++)
        {
            var items = interactions.RowIndices(u);
            var values = interactions.RowValues(u);
            var times = interactions.Timestamps is null ? default : interactions.RowTimestamps(u);
            var order = Enumerable.Range(0, items.Length).ToArray();
            random.Shuffle(order);
            int take = items.Length >= 2 ? Math.Max(1, (int)Math.Round(items.Length * fraction)) : 0;
            if (take > 0)
            {
                heldOut[u] = [];
            }
            var also = alsoHeldOut?.GetValueOrDefault(u);
            for (int j = 0; j < order.Length; j++)
            {
                int k = order[j];
                if (j < take || also?.Contains(items[k]) == true)
                {
                    (heldOut[u] ??= []).Add(items[k]);
                }
                else
                {
                    builder.Add(u, items[k], values[k], times.IsEmpty ? 0 : times[k]);
                }
            }
        }
        return (builder.Build(interactions.Rows, interactions.Columns), heldOut);
    }

    private static RankingDataset Concat(FeatureSchema schema, IEnumerable<RankingDataset?> parts)
    {
        var list = parts.Where(p => p is not null).Select(p => p!).ToList();
        int rows = list.Sum(p => p.Rows);
        var categorical = new int[rows * schema.FieldCount];
        var numeric = new float[rows * schema.NumericCount];
        var labels = new float[rows];
        var offsets = new int[list.Count + 1];
        int at = 0;
        for (int g = 0; g < list.Count; g++)
        {
            var p = list[g];
            p.Categorical.CopyTo(categorical, at * schema.FieldCount);
            p.Numeric.CopyTo(numeric, at * schema.NumericCount);
            p.Labels!.CopyTo(labels, at);
            at += p.Rows;
            offsets[g + 1] = at;
        }
        return new RankingDataset(schema, rows, categorical, numeric, labels, offsets, validate: false);
    }
}

/// <summary>What a bundle's ranker was trained on.</summary>
/// <param name="HeldOutGroups">Users whose held-out interactions were among their candidates (all folds).</param>
/// <param name="ServedLists">Lists served before, from the log, with a click and an item shown but not clicked (all folds).</param>
/// <param name="TrainingRows">Rows the ranker was fitted on.</param>
/// <param name="ValidationRows">Rows of the validation users (early stopping).</param>
/// <param name="EntityFeatures">
/// Where the ranker's entity columns come from: "live" (the server's feature store, whose definitions they are;
/// trained from a replay of the log's events), "bundle" (a store of the bundle's own interactions), or null (none).
/// </param>
public sealed record RankerTraining(int HeldOutGroups, int ServedLists, int TrainingRows, int ValidationRows, string? EntityFeatures = null);
