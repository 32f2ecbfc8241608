using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Pipeline.Selection;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline.Tests.Pipeline;

/// <summary>Selection fits dozens of models on all cores; it runs apart, so tests that time sources under budgets stay quiet.</summary>
[CollectionDefinition(nameof(SelectionTests), DisableParallelization = true)]
public sealed class SelectionRunsAlone;

[Collection(nameof(SelectionTests))]
public sealed class SelectionTests
{
    private const long StartMs = 1_700_000_000_000;

    // Users and items in five taste clusters: a user's interactions come mostly from their cluster, popular items first,
    // one per hour, so the newest interactions are as predictable from the rest as any.
    private static PipelineData Clustered(int users = 300, int items = 150, int seed = 3)
    {
        var random = new Random(seed);
        var b = new CsrMatrixBuilder();
        for (int u = 0; u < users; u++)
        {
            int cluster = u % 5;
            var chosen = new HashSet<int>();
            int count = 10 + random.Next(20);
            while (chosen.Count < count)
            {
                int c = random.NextDouble() < 0.8 ? cluster : random.Next(5);
                // Within a cluster, item popularity falls off with its rank (squared uniform).
                int rank = (int)(Math.Pow(random.NextDouble(), 2) * (items / 5));
                chosen.Add(c + 5 * rank);
            }
            long t = StartMs + random.Next(1_000) * 3_600_000L;
            foreach (int item in chosen)
            {
                b.Add(u, item, 1, t += 3_600_000);
            }
        }
        var table = ItemTable.Build([.. Enumerable.Range(0, items).Select(i =>
            new Item(Apps.Default, $"i{i}", "", [$"c{i % 5}"], [], "{}", DateTimeOffset.FromUnixTimeMilliseconds(StartMs), false, null))]);
        return new PipelineData(b.Build(users, items), table);
    }

    private static SelectionOptions Quick() => new() { BudgetSeconds = 60, TrialsPerFamily = 6, Models = ["itemknn", "ease", "als"], Rankers = ["lr"] };

    // nDCG@10 of a configuration built on the split's fit part, computed here rather than by the selection code.
    private static double Validate(PipelineOptions options, PipelineData data, SelectionSplit split)
    {
        var pipeline = PipelineBuilder.Build(options, new PipelineData(split.Fit, data.Items), seed: 42);
        double sum = 0;
        for (int i = 0; i < split.Users.Length; i++)
        {
            int u = split.Users[i];
            var history = RecommendationPipeline.HistoryOf(split.Fit, u);
            long nowMs = RecommendationPipeline.LastActivityMs(split.Fit, u)!.Value;
            var top = pipeline.Run(new PipelineRequest(u, history, 10, nowMs) { Seed = (ulong)u }).Items.Select(c => c.Item).ToList();
            var relevant = split.HeldOut[i];
            double dcg = 0, ideal = 0;
            for (int r = 0; r < top.Count; r++)
            {
                dcg += relevant.Contains(top[r]) ? 1 / Math.Log2(r + 2) : 0;
            }
            for (int r = 0; r < Math.Min(10, relevant.Length); r++)
            {
                ideal += 1 / Math.Log2(r + 2);
            }
            sum += dcg / ideal;
        }
        return sum / split.Users.Length;
    }

    [Fact]
    public void Selection_picks_a_configuration_that_validates_at_least_as_well_as_the_default()
    {
        var data = Clustered();
        var options = new PipelineOptions { Selection = Quick() };

        var (chosen, report) = PipelineSelection.Resolve(options, data);

        Assert.NotNull(report);
        Assert.Null(report.Note);
        Assert.False(chosen.IsSelectionOn());
        Assert.Empty(chosen.Validate());
        var split = SelectionSplit.Create(data.Interactions, options.Selection!);
        double selected = Validate(chosen, data, split);
        double baseline = Validate(PipelineOptions.Baseline(), data, split);
        Assert.True(selected >= baseline - 1e-9, $"selected {selected:0.0000} ({report.Chosen}) < default {baseline:0.0000}");
        // What the report says was measured is what the configuration scores.
        Assert.Equal(selected, report.Score!.Value, 6);
        Assert.Contains(report.Trials, t => t.Stage == "source");
        Assert.Contains(report.Trials, t => t.Stage == "fusion");
        Assert.Equal(baseline, report.BaselineScore!.Value, 6);
    }

    [Fact]
    public void The_fused_sources_never_validate_below_the_best_single_source()
    {
        var data = Clustered(seed: 5);
        var (chosen, report) = PipelineSelection.Resolve(new PipelineOptions { Selection = Quick() }, data);

        var fusion = report!.Trials.Where(t => t.Stage == "fusion").ToList();
        var chosenFusion = fusion.Single(t => t.Configuration.StartsWith("chosen:", StringComparison.Ordinal));
        // Both fusions were tried; the configuration carries the one chosen.
        Assert.Contains(chosen.Fusion, (string[])["rank", "score"]);
        Assert.StartsWith($"chosen: {chosen.Fusion} weights ", chosenFusion.Configuration, StringComparison.Ordinal);
        // One trial per source alone (weight 1, the others 0), as the sources propose for the validation users.
        var singles = fusion.Where(t => t.Configuration.StartsWith("weights ", StringComparison.Ordinal) && t.Configuration.Split(',').Count(w => w.EndsWith("=1", StringComparison.Ordinal)) == 1).ToList();
        Assert.True(singles.Count >= 3, string.Join("; ", fusion));
        double bestSingle = singles.Max(t => t.Score!.Value);
        Assert.True(chosenFusion.Score >= bestSingle, $"fusion {chosenFusion.Score} < best single source {bestSingle}");
    }

    [Fact]
    public void Score_fusion_validates_in_selection_as_the_pipeline_then_runs_it()
    {
        // The weights are chosen on the sources' proposals; the chosen configuration, weight-0 sources dropped, is then
        // built and run. Both must measure the same thing: the chosen weights' score is what the built pipeline scores.
        var data = Clustered(seed: 9);
        var options = new PipelineOptions
        {
            Sources =
            [
                new SourceOptions { Name = "knn", Kind = "model", Model = "itemknn", Quota = 10 },
                new SourceOptions { Name = "ease", Kind = "model", Model = "ease:lambda=50", Quota = 10 },
                // Every item, in no useful order: when its weight is 0 its candidates leave the fusion too.
                new SourceOptions { Name = "latest", Kind = "latest", Quota = 150 },
            ],
            Fusion = "score",
            Selection = new SelectionOptions { Enabled = true, BudgetSeconds = 60, ValidationRepeats = 0, Rankers = [] },
        };

        var (chosen, report) = PipelineSelection.Resolve(options, data);

        var weights = report!.Trials.Single(t => t.Stage == "fusion" && t.Configuration.StartsWith("chosen:", StringComparison.Ordinal));
        Assert.StartsWith("chosen: score weights ", weights.Configuration, StringComparison.Ordinal);
        Assert.Equal("score", chosen.Fusion);
        double built = Validate(chosen, data, SelectionSplit.Create(data.Interactions, options.Selection));
        Assert.Equal(weights.Score!.Value, built, 4);
    }

    [Fact]
    public void A_built_pipeline_serves_known_and_anonymous_users_and_carries_its_report()
    {
        var data = Clustered();
        var pipeline = PipelineBuilder.Build(new PipelineOptions { Selection = Quick() }, data, seed: 7);

        Assert.NotNull(pipeline.Selection);
        Assert.False(pipeline.Options!.IsSelectionOn());
        var known = pipeline.Run(new PipelineRequest(3, RecommendationPipeline.HistoryOf(data.Interactions, 3), 10, StartMs + 2_000 * 3_600_000L));
        var anonymous = pipeline.Run(new PipelineRequest(-1, [1, 2], 10, StartMs + 2_000 * 3_600_000L));
        Assert.Equal(10, known.Items.Count);
        Assert.NotEmpty(anonymous.Items);
    }

    [Fact]
    public void What_the_configuration_pins_is_kept()
    {
        var data = Clustered();
        var options = new PipelineOptions
        {
            Sources =
            [
                new SourceOptions { Name = "knn", Kind = "model", Model = "itemknn", Quota = 50 },
                new SourceOptions { Name = "pop", Kind = "popular", Quota = 20 },
            ],
            Ranker = new RankerOptions { Kind = "lr" },
            Fusion = "score",
            Selection = new SelectionOptions { Enabled = true, BudgetSeconds = 60 },
        };

        var (chosen, report) = PipelineSelection.Resolve(options, data);

        Assert.Equal("score", chosen.Fusion);
        Assert.DoesNotContain(report!.Trials, t => t.Stage == "fusion" && t.Configuration.StartsWith("rank ", StringComparison.Ordinal));

        Assert.All(chosen.Sources, s => Assert.Contains(s.Name, (string[])["knn", "pop"]));
        Assert.Equal("itemknn", chosen.Sources.Single(s => s.Name == "knn").Model);
        Assert.Same(options.Ranker, chosen.Ranker);
        Assert.DoesNotContain(report!.Trials, t => t.Stage is "source" or "grid" or "baseline");
    }

    [Fact]
    public void Too_little_data_gives_the_baseline_and_says_why()
    {
        var data = Clustered(users: 30);

        var (chosen, report) = PipelineSelection.Resolve(PipelineOptions.Default(), data);

        Assert.Equal(PipelineOptions.Baseline().Sources.Select(s => s.Name), chosen.Sources.Select(s => s.Name));
        Assert.Contains("at least 50", report!.Note, StringComparison.Ordinal);
        Assert.Empty(report.Trials);
    }

    [Fact]
    public void Selection_off_without_sources_is_the_baseline_and_invalid_settings_are_named()
    {
        var off = new PipelineOptions { Selection = new SelectionOptions { Enabled = false } };
        Assert.Contains(off.Validate(), e => e.Contains("Pipeline:Sources is empty", StringComparison.Ordinal));
        Assert.Equal(PipelineOptions.Baseline().Sources.Count, PipelineSelection.Resolve(new PipelineOptions { Sources = [], Selection = new() { Enabled = false } }, Clustered(users: 30)).Options.Sources.Count);

        var bad = new PipelineOptions { Selection = new SelectionOptions { Metric = "auc", BudgetSeconds = 0, Validation = "oldest", Models = ["nope"], Rankers = ["nope"] } };
        var errors = bad.Validate();
        foreach (string setting in (string[])["Selection:Metric", "Selection:BudgetSeconds", "Selection:Validation", "Selection:Models", "Selection:Rankers"])
        {
            Assert.Contains(errors, e => e.Contains(setting, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_validation_split_holds_out_each_sampled_users_newest_interactions()
    {
        var data = Clustered();
        var split = SelectionSplit.Create(data.Interactions, new SelectionOptions { ValidationUsers = 100 });

        Assert.Equal(100, split.Users.Length);
        Assert.Equal(data.Interactions.NonZeros - split.HeldOut.Sum(h => h.Length), split.Fit.NonZeros);
        for (int i = 0; i < split.Users.Length; i++)
        {
            int u = split.Users[i];
            long newestKept = split.Fit.RowTimestamps(u).ToArray().Max();
            var row = data.Interactions.RowIndices(u).ToArray();
            var times = data.Interactions.RowTimestamps(u).ToArray();
            foreach (int item in split.HeldOut[i])
            {
                Assert.True(times[Array.IndexOf(row, item)] >= newestKept);
            }
        }
    }

    [Fact]
    public void A_repeat_holds_out_the_next_newest_interactions_and_leaves_out_the_newer_ones()
    {
        var data = Clustered();
        var options = new SelectionOptions { ValidationUsers = 100 };
        var first = SelectionSplit.Create(data.Interactions, options);
        var repeat = SelectionSplit.Create(data.Interactions, options, 1);

        Assert.Equal(100, repeat.Users.Length);
        Assert.NotEqual(first.Users, repeat.Users);
        var firstHeld = first.Users.Select((u, i) => (u, i)).ToDictionary(x => x.u, x => first.HeldOut[x.i]);
        int dropped = 0;
        for (int i = 0; i < repeat.Users.Length; i++)
        {
            int u = repeat.Users[i];
            var row = data.Interactions.RowIndices(u).ToArray();
            var times = data.Interactions.RowTimestamps(u).ToArray();
            var kept = repeat.Fit.RowIndices(u).ToArray();
            long newestKept = kept.Max(item => times[Array.IndexOf(row, item)]);
            long oldestHeld = repeat.HeldOut[i].Min(item => times[Array.IndexOf(row, item)]);
            long newestHeld = repeat.HeldOut[i].Max(item => times[Array.IndexOf(row, item)]);
            Assert.True(oldestHeld >= newestKept, $"user {u}: a held-out interaction is older than a kept one");
            // What is newer than the held-out ones is in neither part: the data end before it.
            var newer = row.Where((item, j) => times[j] > newestHeld).ToArray();
            Assert.NotEmpty(newer);
            Assert.All(newer, item => Assert.DoesNotContain(item, kept));
            dropped += newer.Length;
            if (firstHeld.TryGetValue(u, out var held))
            {
                Assert.Empty(held.Intersect(repeat.HeldOut[i]));
            }
        }
        Assert.Equal(data.Interactions.NonZeros - repeat.HeldOut.Sum(h => h.Length) - dropped, repeat.Fit.NonZeros);
    }

    [Fact]
    public void Under_random_validation_a_repeat_holds_out_other_items_of_the_same_users_when_all_are_sampled()
    {
        var data = Clustered(users: 120);
        var options = new SelectionOptions { Validation = "random" };
        var first = SelectionSplit.Create(data.Interactions, options);
        var repeat = SelectionSplit.Create(data.Interactions, options, 2);

        Assert.Equal(first.Users.Order(), repeat.Users.Order());
        Assert.Equal(data.Interactions.NonZeros - repeat.HeldOut.Sum(h => h.Length), repeat.Fit.NonZeros);
        var byUser = first.Users.Select((u, i) => (u, i)).ToDictionary(x => x.u, x => first.HeldOut[x.i]);
        int same = repeat.Users.Select((u, i) => byUser[u].Order().SequenceEqual(repeat.HeldOut[i].Order()) ? 1 : 0).Sum();
        Assert.True(same < repeat.Users.Length / 4, $"{same} of {repeat.Users.Length} users hold out the same items in both splits");
    }

    [Fact]
    public void Finalists_are_scored_on_more_splits_and_no_configuration_is_fitted_twice()
    {
        var data = Clustered(seed: 11);
        var options = Quick();
        options.ValidationRepeats = 2;
        options.Finalists = 3;

        var (_, report) = PipelineSelection.Resolve(new PipelineOptions { Selection = options }, data);

        var trials = report!.Trials;
        var finalists = trials.Where(t => t.Stage == "finalist").ToList();
        var chosen = finalists.Where(t => t.Configuration.StartsWith("chosen: ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(chosen);
        foreach (var pick in chosen)
        {
            string spec = pick.Configuration["chosen: ".Length..pick.Configuration.IndexOf(" (mean", StringComparison.Ordinal)];
            // The pick's first-split score and its two repeats, averaged, are what the report says.
            double first = trials.First(t => t.Stage is "source" or "grid" or "refine" && t.Configuration == spec).Score!.Value;
            var again = finalists.Where(t => t.Configuration.StartsWith(spec + " (split ", StringComparison.Ordinal)).Select(t => t.Score!.Value).ToList();
            Assert.Equal(2, again.Count);
            Assert.Equal((first + again.Sum()) / 3, pick.Score!.Value, 9);
            // It has the best mean among its family's finalists.
            string family = spec.Split(':')[0];
            foreach (var other in finalists.Where(t => t.Configuration.StartsWith(family, StringComparison.Ordinal) && t.Configuration.EndsWith("(split 2)", StringComparison.Ordinal)))
            {
                string otherSpec = other.Configuration[..other.Configuration.IndexOf(" (split", StringComparison.Ordinal)];
                double mean = (trials.First(t => t.Stage is "source" or "grid" or "refine" && t.Configuration == otherSpec).Score!.Value
                    + finalists.Where(t => t.Configuration.StartsWith(otherSpec + " (split ", StringComparison.Ordinal)).Sum(t => t.Score!.Value)) / 3;
                Assert.True(pick.Score >= mean - 1e-12, $"{spec} {pick.Score} < {otherSpec} {mean}");
            }
        }
        // "als" and "als:factors=128" (its default) are one configuration: fitted once on the first split. So are EASE
        // on values and binary EASE, and ALS with and without values, on these data, whose values are all 1.
        var fitted = trials.Where(t => t.Stage is "source" or "grid" or "refine").Select(t => Canonical(t.Configuration)).ToList();
        Assert.Equal(fitted.Count, fitted.Distinct(StringComparer.Ordinal).Count());

        options.ValidationRepeats = 0;
        var (_, single) = PipelineSelection.Resolve(new PipelineOptions { Selection = options }, data);
        Assert.DoesNotContain(single!.Trials, t => t.Stage == "finalist");
    }

    // A model spec's options with every default filled in, as the model reports them, and values ignored (the data's are all 1).
    private static string Canonical(string spec) => Cascade.Models.ModelCatalog.Default.Create(Cascade.Models.ModelSpec.Parse(spec), 42) switch
    {
        Cascade.Models.Linear.Ease e => (e.Options with { Binarize = true, ValueExponent = 0.5 }).ToString(),
        Cascade.Models.Factorisation.ImplicitAls a => (a.Options with { UseValues = false }).ToString(),
        var model => model.GetType().GetProperty("Options")!.GetValue(model)!.ToString()!,
    };

    [Fact]
    public void Repeats_and_finalists_out_of_range_are_named()
    {
        var errors = new PipelineOptions { Selection = new SelectionOptions { ValidationRepeats = 11, Finalists = 0 } }.Validate();

        Assert.Contains(errors, e => e.Contains("Selection:ValidationRepeats", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Selection:Finalists", StringComparison.Ordinal));
    }

    [Fact]
    public void The_offline_pipeline_says_what_selection_chose()
    {
        var data = Clustered();
        var steps = new List<string>();
        var recommender = new PipelineRecommender(new PipelineOptions { Selection = Quick() }) { FitProgress = (step, _, _) => steps.Add(step) };

        recommender.Fit(data.Interactions);

        var report = recommender.Pipeline.Selection!;
        string said = Assert.Single(steps, s => s.StartsWith(PipelineRecommender.ChosenStep, StringComparison.Ordinal));
        Assert.Contains(report.Chosen, said, StringComparison.Ordinal);
        Assert.Contains(report.Score!.Value.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), said, StringComparison.Ordinal);
        Assert.Equal(said, steps[^1]);
    }
}
