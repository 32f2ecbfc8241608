using Cascade.Core.Domain;

namespace Cascade.Experiments.Tests;

/// <summary>The join of a log's impressions and outcomes into an experiment's per-unit statistics, and the running set's tags and ranges.</summary>
public sealed class ExposureJoinTests
{
    private const long Start = 1_800_000_000_000;
    private const long Minute = 60_000;

    private static ExperimentDefinition Started(double preDays = 1, long? stoppedAt = null) => new()
    {
        Id = "x1",
        Arms = [new() { Name = "a", Share = 0.5 }, new() { Name = "b", Share = 0.5 }],
        ConversionTypes = ["purchase"],
        AttributionWindowMinutes = 30,
        PreExperimentDays = preDays,
        Status = ExperimentStatus.Running,
        RunningVersion = 2,
        StartedAtMs = Start,
        StoppedAtMs = stoppedAt,
    };

    private static FeedbackEvent Shown(string user, string request, string item, int position, string variant, long at) =>
        new("default", null, user, item, "impression", null, at, request, position, variant);

    private static FeedbackEvent Outcome(string user, string request, string item, string type, long at, double? value = null) =>
        new("default", null, user, item, type, value, at, request, 0);

    [Fact]
    public void Exposures_outcomes_and_the_pre_period_are_joined_by_request_within_the_window()
    {
        var join = new ExposureJoin(Started());
        // Pre-period: u1 clicked twice a few hours before the start; a click 2 days before is outside the day.
        join.Add(Outcome("u1", "old", "i0", "click", Start - (2 * 60 * Minute)));
        join.Add(Outcome("u1", "old", "i0", "click", Start - (3 * 60 * Minute)));
        join.Add(Outcome("u1", "older", "i0", "click", Start - (2 * 24 * 60 * Minute)));
        join.Add(Shown("u1", "r1", "i1", 0, "x1.2.a", Start + Minute));
        join.Add(Shown("u1", "r1", "i2", 1, "x1.2.a", Start + Minute));
        join.Add(Shown("u2", "r2", "i1", 0, "other.1.z:x1.2.b", Start + Minute));
        join.Add(Shown("u3", "r3", "i1", 0, "x1.2.b.qa", Start + Minute)); // forced: left out
        join.Add(Shown("u4", "r4", "i1", 0, "x1.1.b", Start + Minute));    // another version: left out
        join.Add(Shown("u5", "r5", "i1", 0, "x1.2.b", Start - Minute));    // before the start: left out
        join.Add(Outcome("u1", "r1", "i1", "click", Start + (2 * Minute)));
        join.Add(Outcome("u1", "r1", "i1", "click", Start + (3 * Minute)));  // the same shown item again: counted once
        join.Add(Outcome("u1", "r1", "i2", "click", Start + (45 * Minute))); // after the 30-minute window: late
        join.Add(Outcome("u2", "r2", "i1", "purchase", Start + (5 * Minute), 12.5));
        join.Add(Outcome("u2", "r2", "i1", "like", Start + (5 * Minute)));     // neither a click nor a conversion type
        join.Add(Outcome("u3", "r3", "i1", "click", Start + (2 * Minute)));     // on forced traffic: no unit

        var arms = join.Build();
        Assert.Equal(["a", "b"], arms.Select(a => a.Name));
        Assert.Equal([2.0], arms[0].Impressions);
        Assert.Equal([1.0], arms[0].Clicks);
        Assert.Equal([2.0], arms[0].PreMetric);
        Assert.Equal([1.0], arms[1].Impressions);
        Assert.Equal([0.0], arms[1].Clicks);
        Assert.Equal([1.0], arms[1].Conversions);
        Assert.Equal([12.5], arms[1].Value);
        Assert.Equal([0.0], arms[1].PreMetric);
        Assert.Equal(1, join.ForcedImpressions);
        Assert.Equal(1, join.LateOutcomes);
        Assert.Equal(15, join.EventsRead);
    }

    [Fact]
    public void After_the_stop_nothing_is_exposed_and_without_a_pre_period_there_is_no_covariate()
    {
        var join = new ExposureJoin(Started(preDays: 0, stoppedAt: Start + (10 * Minute)));
        join.Add(Shown("u1", "r1", "i1", 0, "x1.2.a", Start + Minute));
        join.Add(Shown("u2", "r2", "i1", 0, "x1.2.b", Start + (11 * Minute)));
        var arms = join.Build();
        Assert.Equal(1, arms[0].Units);
        Assert.Equal(0, arms[1].Units);
        Assert.Empty(arms[0].PreMetric);
        Assert.Throws<ArgumentException>(() => new ExposureJoin(Started() with { StartedAtMs = null }));
    }

    [Fact]
    public void Tags_round_trip_and_other_variants_hold_no_exposure()
    {
        ExperimentExposure[] exposures = [new("feed", "control", 3), new("ranker-v2", "b_1", 12, Forced: true)];
        string tag = RunningExperiments.Tag(exposures)!;
        Assert.Equal("feed.3.control:ranker-v2.12.b_1.qa", tag);
        Assert.True(FeedbackEvent.IsValidVariant(tag));
        Assert.Equal(exposures, RunningExperiments.Parse(tag));
        Assert.Empty(RunningExperiments.Parse("default"));
        Assert.Empty(RunningExperiments.Parse("a.b.c"));
        Assert.Empty(RunningExperiments.Parse(null));
        Assert.Null(RunningExperiments.Tag([]));
    }

    [Fact]
    public void A_starting_experiment_takes_the_first_gap_of_its_layer_that_holds_its_traffic()
    {
        static ExperimentDefinition Running(string id, int first, int end, string layer = "l") =>
            new() { Id = id, Layer = layer, FirstBucket = first, EndBucket = end, Arms = [new() { Name = "a", Share = 0.5 }, new() { Name = "b", Share = 0.5 }] };
        var starting = new ExperimentDefinition { Id = "new", Layer = "l", Traffic = 0.2 };
        Assert.Equal((0, 2000), RunningExperiments.FreeRange(starting, []));
        Assert.Equal((3000, 5000), RunningExperiments.FreeRange(starting, [Running("p", 0, 3000), Running("q", 6000, 10_000)]));
        Assert.Equal((8000, 10_000), RunningExperiments.FreeRange(starting, [Running("p", 0, 1500), Running("q", 2500, 8000)]));
        Assert.Null(RunningExperiments.FreeRange(starting, [Running("p", 0, 9000)]));
        Assert.Equal((0, 2000), RunningExperiments.FreeRange(starting, [Running("p", 0, 10_000, layer: "other")]));

        // The ranges keep experiments of one layer exclusive; a unit in the holdout is in none.
        var running = new RunningExperiments([Running("p", 0, 5000), Running("q", 5000, 10_000), Running("r", 0, 10_000, layer: "m")], holdoutShare: 0.1);
        int held = 0;
        for (int u = 0; u < 2000; u++)
        {
            var arms = running.Assign($"u{u}");
            if (arms.Count == 0)
            {
                held++;
                continue;
            }
            Assert.Equal(2, arms.Count);
            Assert.Single(arms, a => a.Experiment is "p" or "q");
            Assert.Single(arms, a => a.Experiment == "r");
        }
        Assert.InRange(held, 140, 260); // 10 % of 2,000 ± ~4 σ
    }

    [Fact]
    public void A_definition_lists_each_problem_with_its_field()
    {
        var problems = new ExperimentDefinition
        {
            Id = "has.dot",
            Traffic = 0,
            Arms = [new() { Name = "a", Share = 0.7 }, new() { Name = "a", Share = 0.7 }],
            PrimaryMetric = "revenue",
            Guardrails = [new() { Metric = "ctr", Tolerance = 2 }],
            AttributionWindowMinutes = 0,
        }.Problems().Select(p => p.Field).ToList();
        Assert.Equal(["id", "traffic", "arms[1].name", "arms", "primaryMetric", "guardrails[0].tolerance", "attributionWindowMinutes"], problems);
        Assert.Empty(Started().Problems());
    }
}
