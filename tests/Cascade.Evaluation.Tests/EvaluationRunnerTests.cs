using System.Text.Json;
using Cascade.Evaluation.Data;
using Cascade.Evaluation.Reporting;
using Cascade.Evaluation.Running;
using Cascade.Evaluation.Splitting;
using Cascade.Models;
using Cascade.Models.Baselines;

namespace Cascade.Evaluation.Tests;

public sealed class EvaluationRunnerTests
{
    /// <summary>
    /// Train a = {1, 2}, b = {1, 3}, c = {1, 2, 3}; test a = {3, 4}, b = {2}, d = {5} (d has no training rows).
    /// Popularity 1: 3, 2: 2, 3: 2, then 4 and 5 with 0 (ties to the lower dense id, 4 before 5).
    /// </summary>
    private static (InteractionData, DataSplit) Tiny()
    {
        var data = new InteractionData();
        var train = new[] { ("a", "1"), ("a", "2"), ("b", "1"), ("b", "3"), ("c", "1"), ("c", "2"), ("c", "3") }
            .Select(p => data.Add(p.Item1, p.Item2, 4, 100)).ToArray();
        var test = new[] { ("a", "3"), ("a", "4"), ("b", "2"), ("d", "5") }.Select(p => data.Add(p.Item1, p.Item2, 5, 200)).ToArray();
        return (data, new DataSplit(train, test));
    }

    [Fact]
    public void Most_popular_on_the_tiny_example_scores_what_is_worked_out_by_hand()
    {
        var (data, split) = Tiny();
        var set = EvaluationSet.Create(data, split);
        Assert.Equal(2, set.Users.Length); // d has no training data
        Assert.Equal(1, set.ColdTestRows);
        var result = EvaluationRunner.Evaluate(new MostPopular(), "mostpop", set, new EvaluationOptions { K = 2 });
        // a (seen 1, 2) gets [3, 4]: both relevant → P 1, R 1, AP (1/1 + 2/2)/2 = 1, nDCG 1.
        // b (seen 1, 3) gets [2, 4]: 2 relevant at rank 1 → P 1/2, R 1, AP 1, nDCG 1.
        Assert.Equal(0.75, result["precision@2"], 12);
        Assert.Equal(1.0, result["recall@2"], 12);
        Assert.Equal(1.0, result["map"], 12);
        Assert.Equal(1.0, result["ndcg@2"], 12);
        Assert.Equal(1.0, result["mrr@2"], 12);
        Assert.Equal(2, result["users"]);
        Assert.True(result["fit_seconds"] >= 0);
    }

    [Fact]
    public void A_model_that_joins_by_item_id_gets_every_column_s_external_id_before_fitting()
    {
        var (data, split) = Tiny();
        var set = EvaluationSet.Create(data, split);
        var model = new IdRecordingModel();
        EvaluationRunner.Evaluate(model, "ids", set, new EvaluationOptions { K = 2 });
        Assert.Equal(["1", "2", "3", "4", "5"], model.IdsAtFit);
        Assert.Equal(set.Train.Columns, model.IdsAtFit!.Count);
        for (int i = 0; i < set.ItemIds.Count; i++)
        {
            Assert.Equal(data.Items.GetName(i), set.ItemIds[i]);
        }
    }

    /// <summary>Most popular, recording the item ids it had when Fit was called.</summary>
    private sealed class IdRecordingModel : Cascade.Models.IRecommender, Cascade.Models.IUsesItemIds
    {
        private readonly MostPopular _inner = new();
        private IReadOnlyList<string>? _ids;

        public IReadOnlyList<string>? IdsAtFit { get; private set; }

        public string Name => "ids";

        public bool IsFitted => _inner.IsFitted;

        public int UserCount => _inner.UserCount;

        public int ItemCount => _inner.ItemCount;

        public void UseItemIds(IReadOnlyList<string> itemIds) => _ids = itemIds;

        public void Fit(Cascade.Core.CsrMatrix interactions, CancellationToken cancellationToken = default)
        {
            IdsAtFit = _ids;
            _inner.Fit(interactions, cancellationToken);
        }

        public void Score(int user, Span<float> scores) => _inner.Score(user, scores);

        public Cascade.Models.Recommendation[] Recommend(int user, int k, bool excludeSeen = true) => _inner.Recommend(user, k, excludeSeen);

        public Cascade.Models.Recommendation[][] RecommendBatch(ReadOnlySpan<int> users, int k, bool excludeSeen = true, CancellationToken cancellationToken = default) =>
            _inner.RecommendBatch(users, k, excludeSeen, cancellationToken);

        public Cascade.Models.Recommendation[] SimilarItems(int item, int k) => _inner.SimilarItems(item, k);

        public void Save(Stream stream) => _inner.Save(stream);
    }

    [Fact]
    public void The_json_report_is_keyed_by_model_then_metric()
    {
        var (data, split) = Tiny();
        var set = EvaluationSet.Create(data, split);
        var results = new[]
        {
            EvaluationRunner.Evaluate(new MostPopular(), "mostpop", set, new EvaluationOptions { K = 2 }),
            EvaluationRunner.Evaluate(ModelCatalog.Default.Create(ModelSpec.Parse("sar:decay=false")), "sar:decay=false", set, new EvaluationOptions { K = 2 }),
        };
        using var stream = new MemoryStream();
        ReportWriter.WriteJson(stream, results);
        using var json = JsonDocument.Parse(stream.ToArray());
        Assert.Equal(0.75, json.RootElement.GetProperty("mostpop").GetProperty("precision@2").GetDouble(), 12);
        Assert.True(json.RootElement.GetProperty("sar:decay=false").TryGetProperty("fit_seconds", out _));
        var report = new EvaluationReport("tiny", 7, 4, 2, 4, 5, 2, results);
        Assert.Contains("| mostpop |", ReportWriter.FormatMarkdown(report, "cascade evaluate"));
        Assert.Contains("precision@2", ReportWriter.FormatTable(report));
    }

    [Fact]
    public void At_k_ten_the_result_has_the_metric_names_the_cli_json_promises()
    {
        var (data, split) = Tiny();
        var result = EvaluationRunner.Evaluate(new MostPopular(), "mostpop", EvaluationSet.Create(data, split));
        string[] names = [.. result.Metrics.Select(m => m.Key)];
        foreach (string expected in new[] { "map", "map@10", "ndcg@10", "precision@10", "recall@10", "mrr@10", "hit_rate@10", "coverage@10", "gini@10", "novelty@10", "ild@10", "serendipity@10", "fit_seconds", "eval_seconds" })
        {
            Assert.Contains(expected, names);
        }
        // Three candidate items per user at most, but precision still divides by k = 10: a has 2 hits, b has 1.
        Assert.Equal(((2.0 / 10) + (1.0 / 10)) / 2, result["precision@10"], 12);
    }

    [Fact]
    public void Model_specs_parse_build_the_model_and_reject_unknown_names_and_keys()
    {
        var spec = ModelSpec.Parse("RP3beta:beta=0.3, alpha=0.8");
        Assert.Equal("rp3beta", spec.Name);
        Assert.Equal("rp3beta:alpha=0.8,beta=0.3", spec.ToString());
        var model = Assert.IsType<Cascade.Models.Neighbourhood.Rp3Beta>(ModelCatalog.Default.Create(spec));
        Assert.Equal(0.3f, model.Options.Beta);
        Assert.Contains("Unknown model", Assert.Throws<ArgumentException>(() => ModelCatalog.Default.Create(ModelSpec.Parse("deepmagic"))).Message);
        Assert.Contains("no parameter 'gamma'", Assert.Throws<ArgumentException>(() => ModelCatalog.Default.Create(ModelSpec.Parse("ease:gamma=1"))).Message);
        Assert.Throws<FormatException>(() => ModelCatalog.Default.Create(ModelSpec.Parse("ease:lambda=lots")));
        foreach (string name in ModelCatalog.Default.Names)
        {
            Assert.NotNull(ModelCatalog.Default.Create(ModelSpec.Parse(name)));
        }
    }

    [Fact]
    public void Tuning_picks_the_best_validation_score_and_never_touches_the_test_rows()
    {
        var random = new Random(3);
        var data = new InteractionData();
        for (int u = 0; u < 40; u++)
        {
            for (int n = 0; n < 12; n++)
            {
                int item = random.NextDouble() < 0.8 ? ((u % 4) * 10) + random.Next(10) : random.Next(40);
                data.Add($"u{u}", $"i{item}", 1 + random.Next(5), random.Next(1000));
            }
        }
        var split = Splitter.Apply(data, data.AllRows(), "stratified-item:0.75", 1);
        var result = HyperParameterSearch.Search(data, split.Train, ModelSpec.Parse("ease"),
            new TuningOptions { MaxTrials = 4, Budget = TimeSpan.FromMinutes(1), Evaluation = new EvaluationOptions { K = 5, BeyondAccuracy = false } });
        Assert.Equal(4, result.Trials.Count);
        Assert.Equal("ease", result.Trials[0].Spec.ToString()); // the defaults come first
        Assert.Equal(result.Trials.Max(t => t.Score), result.BestScore);
        Assert.Equal("ndcg@5", result.Metric);

        // Dropping the test rows altogether (same id space) must not change the search.
        var data2 = new InteractionData();
        foreach (string user in data.Users.ToArray())
        {
            data2.Users.GetOrAdd(user);
        }
        foreach (string item in data.Items.ToArray())
        {
            data2.Items.GetOrAdd(item);
        }
        foreach (int r in split.Train)
        {
            data2.Add(data.Users.GetName(data.User(r)), data.Items.GetName(data.Item(r)), data.Rating(r), data.Time(r));
        }
        var again = HyperParameterSearch.Search(data2, data2.AllRows(), ModelSpec.Parse("ease"),
            new TuningOptions { MaxTrials = 4, Budget = TimeSpan.FromMinutes(1), Evaluation = new EvaluationOptions { K = 5, BeyondAccuracy = false } });
        Assert.Equal(result.Trials.Select(t => t.Score), again.Trials.Select(t => t.Score));

        // EASE's grid holds combinations the model refuses (no zero-diagonal constraint without a dropout): the
        // search passes them by instead of failing, and still tries the denoising variants it allows.
        var wide = HyperParameterSearch.Search(data, split.Train, ModelSpec.Parse("ease"),
            new TuningOptions { MaxTrials = 40, Budget = TimeSpan.FromMinutes(2), Evaluation = new EvaluationOptions { K = 5, BeyondAccuracy = false } });
        Assert.Equal(40, wide.Trials.Count);
        Assert.DoesNotContain(wide.Trials, t => t.Spec.ToString().Contains("zero-diagonal=false", StringComparison.Ordinal) && t.Spec.ToString().Contains("dropout=0,", StringComparison.Ordinal));
        Assert.Contains(wide.Trials, t => t.Spec.ToString().Contains("zero-diagonal=false", StringComparison.Ordinal));
    }
}
