using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Pipeline.Reranking;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline.Tests.Pipeline;

public sealed class PipelineTests
{
    private static (PipelineData Data, ItemTable Items) Data(int users = 30, int items = 40, int seed = 1)
    {
        var random = new Random(seed);
        var b = new CsrMatrixBuilder();
        for (int u = 0; u < users; u++)
        {
            foreach (int i in Enumerable.Range(0, items).OrderBy(_ => random.Next()).Take(5 + random.Next(5)))
            {
                // Popularity skews to low item ids.
                int item = Math.Min(i, random.Next(items));
                b.Add(u, item, 1, 1_000_000 + random.Next(1000));
            }
        }
        var table = ItemTable.Build([.. Enumerable.Range(0, items).Select(i =>
            new Item(Apps.Default, $"i{i}", "", [$"c{i % 4}"], [], "{}", DateTimeOffset.FromUnixTimeMilliseconds(i * 1000L), false, null))]);
        return (new PipelineData(b.Build(users, items), table), table);
    }

    private static RecommendationPipeline Build(ItemTable items, PipelineData data, params (ICandidateSource Source, int Quota)[] sources)
    {
        foreach (var (s, _) in sources)
        {
            s.Fit(data);
        }
        var fallback = new PopularitySource("fallback");
        fallback.Fit(data);
        return new RecommendationPipeline(items, [.. sources.Select(s => new SourceSlot(s.Source, s.Quota))], fallback, null, null, []);
    }

    [Fact]
    public void Merge_deduplicates_records_every_source_and_orders_by_reciprocal_rank_fusion()
    {
        var (data, items) = Data();
        var pipeline = Build(items, data, (new PopularitySource("pop"), 40), (new LatestSource("new"), 40));
        var result = pipeline.Run(new PipelineRequest(-1, [], 60, 10_000_000) { Explain = true });
        Assert.Equal(result.Items.Select(c => c.Item).Distinct().Count(), result.Items.Count);
        foreach (var c in result.Items)
        {
            Assert.Equal(c.Hits.Count, c.Sources.Count);
            float fused = c.Hits.Sum(h => 1f / (60 + h.Rank + 1));
            Assert.Equal(fused, c.Score, 5);
            Assert.NotNull(c.Trail);
            Assert.All(c.Trail!, t => Assert.StartsWith("source:", t.Stage, StringComparison.Ordinal));
        }
        Assert.True(result.Items.Zip(result.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Contains(result.Items, c => c.Sources.Count == 2);
    }

    [Fact]
    public void Score_fusion_sums_each_sources_standardised_scores_with_its_weight()
    {
        var (data, items) = Data();
        var ease = new Models.Linear.Ease(new Models.Linear.EaseOptions { Lambda = 10 });
        var model = new ModelSource("ease", ease);
        var pop = new PopularitySource("pop");
        model.Fit(data);
        pop.Fit(data);
        var fallback = new PopularitySource("fallback");
        fallback.Fit(data);
        var pipeline = new RecommendationPipeline(items, [new SourceSlot(model, 5, 2f), new SourceSlot(pop, 15, 0.5f)], fallback, null, null, [])
        {
            Options = new PipelineOptions { Fusion = "score" },
        };
        int[] history = RecommendationPipeline.HistoryOf(data.Interactions, 3);
        var result = pipeline.Run(new PipelineRequest(3, history, 100, 10_000_000) { Explain = true });
        var candidates = result.Items;
        Assert.Equal(result.CandidateCount, candidates.Count);
        Assert.True(candidates.Count > 15); // the model proposed items popularity did not
        // The model scores every candidate; popularity only those it proposed, the others count its lowest.
        var all = new float[items.Count];
        ease.Score(3, all);
        double[] Z(IEnumerable<double> v)
        {
            var x = v.ToArray();
            double mean = x.Where(double.IsFinite).Average();
            double sd = Math.Sqrt(x.Where(double.IsFinite).Average(a => (a - mean) * (a - mean)));
            var z = x.Select(a => double.IsFinite(a) ? (a - mean) / sd : double.NaN).ToArray();
            double lowest = z.Where(double.IsFinite).Min();
            return [.. z.Select(a => double.IsFinite(a) ? a : lowest)];
        }
        var zModel = Z(candidates.Select(c => (double)all[c.Item]));
        var zPop = Z(candidates.Select(c => c.Hits.Where(h => h.Source == 1).Select(h => (double)h.Score).DefaultIfEmpty(double.NaN).First()));
        for (int i = 0; i < candidates.Count; i++)
        {
            Assert.Equal((2 * zModel[i]) + (0.5 * zPop[i]), candidates[i].Score, 4);
            Assert.Contains(candidates[i].Trail!, t => t.Stage == "fusion");
        }
        Assert.True(candidates.Zip(candidates.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Contains(candidates, c => c.Sources.Count == 1 && c.Sources[0] == "pop");
        Assert.Contains(candidates, c => c.Sources.Count == 1 && c.Sources[0] == "ease");
    }

    [Fact]
    public void Standardise_gives_mean_zero_and_unit_sd_and_the_lowest_to_missing_scores()
    {
        float[] v = [1, 3, float.NaN, 5];
        RecommendationPipeline.Standardise(v);
        float s = MathF.Sqrt(8f / 3);
        Assert.Equal([-2 / s, 0, -2 / s, 2 / s], v, new FloatComparer(1e-5f));
        float[] flat = [4, 4, float.NaN];
        RecommendationPipeline.Standardise(flat);
        Assert.Equal([0f, 0f, 0f], flat);
        float[] none = [float.NaN, float.NaN];
        RecommendationPipeline.Standardise(none);
        Assert.Equal([0f, 0f], none);
    }

    private sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }

    [Fact]
    public void An_unknown_fusion_is_refused_naming_the_setting()
    {
        var options = new PipelineOptions { Fusion = "borda", Sources = [new SourceOptions { Name = "pop", Kind = "popular" }] };
        Assert.Contains(options.Validate(), e => e.Contains("Pipeline:Fusion", StringComparison.Ordinal));
        options.Fusion = "score";
        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Seen_category_and_excluded_items_are_never_proposed()
    {
        var (data, items) = Data();
        var pipeline = Build(items, data, (new PopularitySource("pop"), 40), (new LatestSource("new"), 40));
        int[] history = [0, 1, 2];
        int category = items.Categories[5][0];
        var result = pipeline.Run(new PipelineRequest(0, history, 40, 10_000_000) { Excluded = [5, 9], Category = category });
        Assert.NotEmpty(result.Items);
        Assert.All(result.Items, c =>
        {
            Assert.DoesNotContain(c.Item, history);
            Assert.NotEqual(5, c.Item);
            Assert.Contains(category, items.Categories[c.Item]);
        });
    }

    [Fact]
    public void A_failing_source_degrades_and_the_others_still_serve()
    {
        var (data, items) = Data();
        var pipeline = Build(items, data, (new Throwing("broken"), 10), (new PopularitySource("pop"), 10));
        // A generous budget: the healthy source runs on the thread pool, which a busy test run can leave it waiting
        // for; this test is about the error, not the clock (budgets have their own tests).
        var result = pipeline.Run(new PipelineRequest(-1, [], 5, 10_000_000), new StageBudgets(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60)));
        Assert.Equal(5, result.Items.Count);
        Assert.Contains(result.Degraded, d => d.StartsWith("source:broken: error", StringComparison.Ordinal));
        Assert.All(result.Items, c => Assert.Equal(["pop"], c.Sources));
    }

    [Fact]
    public void A_slow_source_is_cut_at_its_budget_and_when_every_source_fails_popularity_is_served()
    {
        var (data, items) = Data();
        using var gate = new ManualResetEventSlim(false);
        // The first source runs on the request's thread; the slow one runs beside it on the pool and is cut.
        var pipeline = Build(items, data, (new Throwing("broken"), 10), (new Slow("slow", gate), 10));
        var result = pipeline.Run(new PipelineRequest(-1, [], 5, 10_000_000), new StageBudgets(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        gate.Set();
        Assert.Contains(result.Degraded, d => d.StartsWith("source:slow: timeout", StringComparison.Ordinal));
        Assert.Contains(result.Degraded, d => d.Contains("popularity fallback", StringComparison.Ordinal));
        Assert.Equal(5, result.Items.Count);
        Assert.All(result.Items, c => Assert.Equal(["fallback"], c.Sources));
    }

    [Fact]
    public void Sequential_sources_degrade_a_failing_one_and_skip_the_rest_once_the_budget_is_spent()
    {
        var (data, items) = Data();
        var budgets = new StageBudgets(TimeSpan.FromMilliseconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)) { ConcurrentSources = false };
        var healthy = Build(items, data, (new Throwing("broken"), 10), (new PopularitySource("pop"), 10));
        var served = healthy.Run(new PipelineRequest(-1, [], 5, 10_000_000), budgets);
        Assert.Equal(5, served.Items.Count);
        Assert.Equal(["source:broken: error: index unavailable"], served.Degraded);
        Assert.All(served.Items, c => Assert.Equal(["pop"], c.Sources));

        using var gate = new ManualResetEventSlim(false);
        using var timer = new Timer(_ => gate.Set(), null, 100, Timeout.Infinite); // the slow source answers after the budget
        var late = Build(items, data, (new Slow("slow", gate), 10), (new PopularitySource("pop"), 10));
        var result = late.Run(new PipelineRequest(-1, [], 5, 10_000_000), budgets);
        // Its answer is kept (the work is done, on this thread); the source after it is skipped.
        Assert.Equal(["source:pop: skipped: the sources' budget of 30 ms was spent"], result.Degraded);
        Assert.Equal([0], result.Items.Select(c => c.Item));
        Assert.Equal(["slow"], result.Items[0].Sources);
    }

    [Fact]
    public void Sequential_and_concurrent_sources_give_the_same_answer()
    {
        var (data, items) = Data();
        var pipeline = Build(items, data, (new PopularitySource("pop"), 15), (new LatestSource("new"), 15));
        var request = new PipelineRequest(0, [0, 1, 2], 10, 10_000_000);
        // Budgets far above the work: the comparison is of the answers, and a loaded CI machine must not time a source out.
        var budgets = new StageBudgets(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60));
        var concurrent = pipeline.Run(request, budgets);
        var sequential = pipeline.Run(request, budgets with { ConcurrentSources = false });
        Assert.Empty(concurrent.Degraded);
        Assert.Empty(sequential.Degraded);
        Assert.Equal(concurrent.Items.Select(c => (c.Item, c.Score)), sequential.Items.Select(c => (c.Item, c.Score)));
    }

    [Fact]
    public void A_failing_reranker_is_skipped_and_reported()
    {
        var (data, items) = Data();
        var pop = new PopularitySource("pop");
        pop.Fit(data);
        var fallback = new PopularitySource("fallback");
        fallback.Fit(data);
        var pipeline = new RecommendationPipeline(items, [new SourceSlot(pop, 10)], fallback, null, null, [new BrokenReranker()]);
        var plain = new RecommendationPipeline(items, [new SourceSlot(pop, 10)], fallback, null, null, []);
        var request = new PipelineRequest(-1, [], 10, 10_000_000);
        var result = pipeline.Run(request);
        Assert.Contains(result.Degraded, d => d.StartsWith("rerank:broken: error", StringComparison.Ordinal));
        Assert.Equal(plain.Run(request).Items.Select(c => c.Item), result.Items.Select(c => c.Item));
    }

    [Fact]
    public void Holdout_keeps_every_interaction_exactly_once()
    {
        var (data, _) = Data(users: 50);
        var (rest, heldOut) = PipelineBuilder.Holdout(data.Interactions, 0.25, 7);
        for (int u = 0; u < data.Interactions.Rows; u++)
        {
            var all = data.Interactions.RowIndices(u).ToArray().ToHashSet();
            var kept = rest.RowIndices(u).ToArray().ToHashSet();
            var held = heldOut[u] ?? [];
            Assert.Empty(kept.Intersect(held));
            Assert.True(all.SetEquals(kept.Union(held)));
            if (all.Count >= 2)
            {
                Assert.NotEmpty(held);
                Assert.NotEmpty(kept);
            }
        }
    }

    [Fact]
    public void Invalid_options_list_every_problem_with_its_setting()
    {
        var options = new PipelineOptions
        {
            Sources =
            [
                new SourceOptions { Name = "a", Kind = "nope", Quota = 0 },
                new SourceOptions { Name = "a", Kind = "model" },
            ],
            Ranker = new RankerOptions { HoldoutFraction = 2 },
            Rerankers = [new RerankerOptions { Kind = "shuffle" }],
        };
        var errors = options.Validate();
        Assert.Contains(errors, e => e.Contains("Sources:0:Kind 'nope'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Sources:0:Quota 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Sources:1:Name 'a'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Sources:1:Model is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("HoldoutFraction", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Rerankers:0:Kind 'shuffle'", StringComparison.Ordinal));
        Assert.Empty(PipelineOptions.Default().Validate());
        var ex = Assert.Throws<ArgumentException>(() => PipelineBuilder.Build(options, Data().Data));
        Assert.Contains("Sources:0:Kind", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_pipeline_builds_and_serves_known_and_anonymous_users()
    {
        var (data, _) = Data();
        var pipeline = PipelineBuilder.Build(PipelineOptions.Default(), data);
        var known = pipeline.Run(new PipelineRequest(3, RecommendationPipeline.HistoryOf(data.Interactions, 3), 10, 10_000_000));
        Assert.Equal(10, known.Items.Count);
        Assert.Contains(known.Items, c => c.Sources.Contains("als"));
        var session = pipeline.Run(new PipelineRequest(-1, [1, 2], 10, 10_000_000));
        Assert.Contains(session.Items, c => c.Sources.Contains("similar"));
        Assert.Empty(known.Degraded);
    }

    [Theory]
    [InlineData("lr", null)]
    [InlineData("listnet", null)]
    [InlineData("listnet", "als.z")]
    public void Pipeline_recommender_trains_a_ranker_and_recommends_like_a_model(string kind, string? init)
    {
        var (data, _) = Data(users: 80, items: 60);
        var options = PipelineOptions.Default();
        options.Ranker = new RankerOptions { Kind = kind, Parameters = init is null ? [] : new() { ["init"] = init } };
        var model = new PipelineRecommender(options);
        model.Fit(data.Interactions);
        var ranker = Assert.IsAssignableFrom<Cascade.Ranking.IRanker>(model.Pipeline.Ranker);
        Assert.Equal(kind, ranker.Name);
        using (var file = new MemoryStream())
        {
            ranker.Save(file);
            file.Position = 0;
            Assert.Equal(kind, Cascade.Pipeline.Ranking.RankerCatalog.Load(file).Name);
        }
        var recs = model.Recommend(2, 10);
        Assert.Equal(10, recs.Length);
        var seen = data.Interactions.RowIndices(2).ToArray();
        Assert.All(recs, r => Assert.DoesNotContain(r.Item, seen));
        var batch = model.RecommendBatch([2, 5], 10);
        Assert.Equal(recs.Select(r => r.Item), batch[0].Select(r => r.Item));
    }

    [Fact]
    public void Model_sources_score_any_candidate_as_the_model_does_and_unknown_users_get_nan()
    {
        var (data, items) = Data();
        var model = new Cascade.Models.Baselines.MostPopular();
        var source = new ModelSource("pop-model", model);
        source.Fit(data);
        var request = new SourceRequest(items, 2, [], 10_000_000);
        int[] asked = [0, 5, 39];
        var scores = new float[3];
        source.ScoreItems(request, asked, scores);
        var all = new float[model.ItemCount];
        model.Score(2, all);
        Assert.Equal(asked.Select(i => all[i]), scores);
        source.ScoreItems(new SourceRequest(items, -1, [], 10_000_000), asked, scores);
        Assert.All(scores, v => Assert.True(float.IsNaN(v)));
    }

    private sealed class Throwing(string name) : ICandidateSource
    {
        public string Name => name;

        public void Fit(PipelineData data, CancellationToken cancellationToken = default)
        {
        }

        public void Propose(SourceRequest request, int quota, List<ScoredItem> output) => throw new InvalidOperationException("index unavailable");
    }

    private sealed class Slow(string name, ManualResetEventSlim gate) : ICandidateSource
    {
        public string Name => name;

        public void Fit(PipelineData data, CancellationToken cancellationToken = default)
        {
        }

        public void Propose(SourceRequest request, int quota, List<ScoredItem> output)
        {
            gate.Wait(TimeSpan.FromSeconds(10));
            output.Add(new ScoredItem(0, 1));
        }
    }

    private sealed class BrokenReranker : IReranker
    {
        public string Name => "broken";

        public void Rerank(RerankContext context, List<Candidate> candidates)
        {
            candidates.RemoveAt(0);
            throw new InvalidOperationException("boom");
        }
    }
}
