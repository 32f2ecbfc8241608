using Cascade.Core.Domain;
using Cascade.Storage.Log;
using Cascade.Storage.Records;

namespace Cascade.Features.Tests;

public class TrainingSetBuilderTests
{
    internal static readonly FeatureSetOptions Options = new()
    {
        Windows = ["1m", "1h", "1d"],
        UserAttributes = ["country", "age"],
        BucketizedNumerics = ["item_positives_total", "user_ctr_1h"],
        UtcOffsetMinutes = 90,
        UserIdBuckets = 1000,
        ItemIdBuckets = 500,
    };

    internal const long Window = 60_000;

    internal static RequestContext ContextOf(FeedbackEvent e) =>
        new(Device: e.UserId.Length % 2 == 0 ? "mobile" : "tv", Platform: e.RequestId is null ? null : "web");

    [Fact]
    public void Every_value_of_every_row_equals_the_brute_force_point_in_time_join()
    {
        var log = SyntheticLog.Create(seed: 7);
        var set = new FeatureSet(Options);
        var builder = new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { AttributionWindowMs = Window, Source = ExampleSource.Impressions });
        var training = builder.Build(log.Events, log.Items, log.Users, ContextOf);
        var reference = new BruteForceFeatures(Options, log.Events, log.Items, log.Users);

        var impressions = log.Events.Where(e => e.Type == "impression").ToDictionary(e => (e.UserId, e.ItemId, e.TimestampMs));
        Assert.Equal(impressions.Count, training.Data.Rows);
        Assert.True(training.Data.Rows > 1000, $"only {training.Data.Rows} rows");
        int positives = 0, sameMillisecondTies = 0;
        for (int r = 0; r < training.Data.Rows; r++)
        {
            var e = impressions[(training.UserIds[r], training.ItemIds[r], training.TimestampsMs[r])];
            var expected = reference.Row(e.UserId, e.ItemId, e.TimestampMs, ContextOf(e), e.Position);
            FeatureAssert.RowEquals(set, expected, training.Data, r, $"row {r} ({e.UserId}, {e.ItemId}, {e.TimestampMs})");
            bool label = reference.Label(e, Window);
            Assert.Equal(label ? 1f : 0f, training.Data.Labels![r]);
            positives += label ? 1 : 0;
            sameMillisecondTies += log.Events.Any(o => o.TimestampMs == e.TimestampMs && !ReferenceEquals(o, e)) ? 1 : 0;
        }
        // The log exercises what it should: both labels, and ties at most example times.
        Assert.InRange(positives, 50, training.Data.Rows - 50);
        Assert.True(sameMillisecondTies > training.Data.Rows / 2, $"{sameMillisecondTies} rows share their millisecond with another event");
    }

    [Fact]
    public void Rows_of_one_request_are_one_contiguous_group_and_groups_follow_time()
    {
        var log = SyntheticLog.Create(seed: 11, requests: 200, extraEvents: 100);
        var training = new TrainingSetBuilder(new FeatureSet(Options), EventTypeRegistry.Default).Build(log.Events, log.Items, log.Users);
        var offsets = training.Data.GroupOffsets!;
        var impressions = log.Events.Where(e => e.Type == "impression").ToDictionary(e => (e.UserId, e.ItemId, e.TimestampMs));
        var seenKeys = new HashSet<string>();
        long previousStart = long.MinValue;
        for (int g = 0; g + 1 < offsets.Length; g++)
        {
            var keys = new HashSet<string>();
            for (int r = offsets[g]; r < offsets[g + 1]; r++)
            {
                var e = impressions[(training.UserIds[r], training.ItemIds[r], training.TimestampsMs[r])];
                keys.Add(e.RequestId ?? $"{e.UserId}@{e.TimestampMs}");
            }
            string key = Assert.Single(keys);
            Assert.True(seenKeys.Add(key), $"group key {key} appears in two groups");
            Assert.True(training.TimestampsMs[offsets[g]] >= previousStart);
            previousStart = training.TimestampsMs[offsets[g]];
        }
    }

    [Fact]
    public void Events_in_the_same_millisecond_as_an_example_do_not_reach_its_features()
    {
        var set = new FeatureSet(new FeatureSetOptions { Windows = ["1h"] });
        const long t = SyntheticLog.Start;
        FeedbackEvent Ev(string user, string item, string type, long at, string? request = null) => new(SyntheticLog.App, null, user, item, type, null, at, request, 0);
        var events = new List<FeedbackEvent>
        {
            Ev("u1", "i1", "click", t),            // the label's own click, logged before the impression and in the same ms
            Ev("u1", "i1", "impression", t, "r1"),
            Ev("u2", "i1", "click", t),            // someone else's click in the same ms
            Ev("u3", "i1", "click", t - 1),        // one millisecond earlier: known
            Ev("u1", "i2", "like", t - 1000),
            Ev("u1", "i1", "impression", t + 1, "r2"),
        };
        var training = new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { Source = ExampleSource.Impressions }).Build(events, [], []);
        Assert.Equal(2, training.Data.Rows);
        Assert.Equal(1f, training.Data.Labels![0]);
        Assert.Equal(0f, training.Data.Labels![1]); // the click at t is before the second impression
        Assert.Equal(1f, set.Value(training.Data, 0, "item_positives_total"));
        Assert.Equal(0f, set.Value(training.Data, 0, "item_impressions_total"));
        Assert.Equal(1f, set.Value(training.Data, 0, "user_positives_total"));
        Assert.Equal(0f, set.Value(training.Data, 0, "user_item_positives"));
        Assert.Equal(1f, set.Value(training.Data, 0, "user_seconds_since_last_event"));
        // One millisecond later everything at t is known.
        Assert.Equal(3f, set.Value(training.Data, 1, "item_positives_total"));
        Assert.Equal(1f, set.Value(training.Data, 1, "item_impressions_total"));
        Assert.Equal(1f, set.Value(training.Data, 1, "user_item_positives"));
        Assert.Equal(0.001f, set.Value(training.Data, 1, "user_item_seconds_since_last"));
    }

    [Fact]
    public void A_feature_that_would_copy_the_label_if_it_leaked_carries_no_signal()
    {
        // Every (user, item) is shown once and clicked at most once, at or just after the impression. If the label's
        // click reached the row, user_item_positives would equal the label (AUC 1).
        var rng = new Random(3);
        var events = new List<FeedbackEvent>();
        for (int n = 0; n < 800; n++)
        {
            string user = "u" + (n % 40), item = "i" + (n / 40);
            long t = SyntheticLog.Start + rng.Next(0, 100) * 1000L;
            events.Add(new FeedbackEvent(SyntheticLog.App, null, user, item, "impression", null, t, "r" + n, 0));
            if (rng.Next(2) == 0)
            {
                events.Add(new FeedbackEvent(SyntheticLog.App, null, user, item, "click", null, t + rng.Next(0, 3) * 500, "r" + n, 0));
            }
        }
        rng.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        var set = new FeatureSet(new FeatureSetOptions { Windows = ["1h"] });
        var training = new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { AttributionWindowMs = 10_000 }).Build(events, [], []);
        var labels = training.Data.Labels!;
        Assert.InRange(labels.Count(l => l > 0.5f), 300, 500);
        foreach (string leaky in new[] { "user_item_positives", "user_item_seconds_since_last" })
        {
            var values = Enumerable.Range(0, training.Data.Rows).Select(r => set.Value(training.Data, r, leaky)).ToArray();
            var filled = values.Select(v => float.IsNaN(v) ? -1f : v).ToArray();
            Assert.Equal(0.5, FeatureAssert.Auc(filled, labels), 6);
        }
    }

    [Fact]
    public void Without_impressions_examples_are_positives_with_seeded_negatives_that_existed_at_the_time()
    {
        var log = SyntheticLog.Create(seed: 5, requests: 0, extraEvents: 700);
        var set = new FeatureSet(new FeatureSetOptions { Windows = ["1d"] });
        var options = new TrainingSetOptions { NegativesPerPositive = 3, Seed = 9 };
        var a = new TrainingSetBuilder(set, EventTypeRegistry.Default, options).Build(log.Events, log.Items, log.Users);
        var b = new TrainingSetBuilder(set, EventTypeRegistry.Default, options).Build(log.Events, log.Items, log.Users);
        var c = new TrainingSetBuilder(set, EventTypeRegistry.Default, options with { Seed = 10 }).Build(log.Events, log.Items, log.Users);
        Assert.Equal(ExampleSource.SampledNegatives, a.Source);
        Assert.Equal(a.ItemIds, b.ItemIds);
        Assert.Equal(a.Data.Numeric, b.Data.Numeric);
        Assert.NotEqual(a.ItemIds, c.ItemIds);

        var created = log.Items.Where(i => i.CreatedAt != default).ToDictionary(i => i.Id, i => i.CreatedAt.ToUnixTimeMilliseconds());
        var known = log.Events.Where(e => BruteForceFeatures.Role(e.Type) is not null).ToList();
        var offsets = a.Data.GroupOffsets!;
        int positives = known.Count(e => BruteForceFeatures.Role(e.Type) == EventRole.Positive);
        Assert.Equal(positives, offsets.Length - 1);
        int negatives = 0;
        for (int g = 0; g + 1 < offsets.Length; g++)
        {
            int first = offsets[g];
            Assert.Equal(1f, a.Data.Labels![first]);
            long t = a.TimestampsMs[first];
            string user = a.UserIds[first];
            var before = known.Where(e => e.UserId == user && e.TimestampMs < t && BruteForceFeatures.Role(e.Type) == EventRole.Positive).Select(e => e.ItemId).ToHashSet();
            var drawn = new HashSet<string>();
            for (int r = first + 1; r < offsets[g + 1]; r++)
            {
                negatives++;
                string item = a.ItemIds[r];
                Assert.Equal(0f, a.Data.Labels![r]);
                Assert.NotEqual(a.ItemIds[first], item);
                Assert.DoesNotContain(item, before);
                Assert.True(drawn.Add(item));
                bool existed = (created.TryGetValue(item, out long at) && at <= t) || known.Any(e => e.ItemId == item && e.TimestampMs <= t);
                Assert.True(existed, $"{item} sampled at {t} before it existed");
            }
        }
        Assert.True(negatives > 2.5 * positives, $"{negatives} negatives for {positives} positives");
    }

    [Fact]
    public async Task Reading_the_event_log_gives_the_same_rows_as_the_records_in_memory()
    {
        using var dir = new TempDirectory();
        var log = SyntheticLog.Create(seed: 13, requests: 120, extraEvents: 150);
        using (var eventLog = EventLog.Open(dir.Path))
        {
            var entries = log.Items.Select(RecordCodec.ToEntry).Concat(log.Users.Select(RecordCodec.ToEntry)).Concat(log.Events.Select(RecordCodec.ToEntry))
                .Append(RecordCodec.ToEntry(new FeedbackEvent("other-app", null, "u1", "i1", "click", null, SyntheticLog.Start, null, null)))
                .ToList();
            await eventLog.AppendAsync(entries);
            var set = new FeatureSet(Options);
            var builder = new TrainingSetBuilder(set, EventTypeRegistry.Default);
            var fromLog = builder.Build(eventLog, SyntheticLog.App, contextOf: ContextOf);
            var inMemory = builder.Build(log.Events, log.Items, log.Users, ContextOf);
            Assert.Equal(inMemory.Data.Rows, fromLog.Data.Rows);
            Assert.Equal(inMemory.Data.Categorical, fromLog.Data.Categorical);
            Assert.Equal(inMemory.Data.Numeric, fromLog.Data.Numeric);
            Assert.Equal(inMemory.Data.Labels, fromLog.Data.Labels);
            Assert.Equal(inMemory.Data.GroupOffsets, fromLog.Data.GroupOffsets);
        }
    }

    [Fact]
    public void A_split_by_time_keeps_groups_whole_and_every_row()
    {
        var log = SyntheticLog.Create(seed: 17, requests: 150, extraEvents: 50);
        var training = new TrainingSetBuilder(new FeatureSet(Options), EventTypeRegistry.Default).Build(log.Events, log.Items, log.Users);
        long cut = SyntheticLog.Start + 150 * SyntheticLog.Step;
        var (train, valid) = training.SplitByTime(cut);
        Assert.Equal(training.Data.Rows, train.Data.Rows + valid.Data.Rows);
        Assert.True(train.Data.Rows > 0 && valid.Data.Rows > 0);
        // A request's impressions share their time in this log, so the cut is clean.
        Assert.All(train.TimestampsMs, t => Assert.True(t < cut));
        Assert.All(valid.TimestampsMs, t => Assert.True(t >= cut));
        Assert.Equal(training.Data.GroupOffsets!.Length, train.Data.GroupOffsets!.Length + valid.Data.GroupOffsets!.Length - 1);
        Assert.Equal(training.Data.Labels, train.Data.Labels!.Concat(valid.Data.Labels!));
    }

    [Fact]
    public void A_time_range_limits_the_examples_but_not_the_history_their_features_see()
    {
        var log = SyntheticLog.Create(seed: 19, requests: 200, extraEvents: 200);
        var set = new FeatureSet(Options);
        long from = SyntheticLog.Start + 100 * SyntheticLog.Step, to = SyntheticLog.Start + 200 * SyntheticLog.Step;
        var all = new TrainingSetBuilder(set, EventTypeRegistry.Default).Build(log.Events, log.Items, log.Users, ContextOf);
        var ranged = new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { FromMs = from, ToMs = to }).Build(log.Events, log.Items, log.Users, ContextOf);
        var index = Enumerable.Range(0, all.Data.Rows).ToDictionary(r => (all.UserIds[r], all.ItemIds[r], all.TimestampsMs[r]));
        Assert.Equal(all.TimestampsMs.Count(t => t >= from && t < to), ranged.Data.Rows);
        for (int r = 0; r < ranged.Data.Rows; r++)
        {
            Assert.InRange(ranged.TimestampsMs[r], from, to - 1);
            int same = index[(ranged.UserIds[r], ranged.ItemIds[r], ranged.TimestampsMs[r])];
            FeatureAssert.SameRow(all.Data, same, ranged.Data, r, $"row {r}");
            Assert.Equal(all.Data.Labels![same], ranged.Data.Labels![r]);
        }
    }

    [Fact]
    public void A_fraction_of_examples_keeps_whole_groups_with_unchanged_rows()
    {
        var log = SyntheticLog.Create(seed: 29, requests: 300, extraEvents: 100);
        var set = new FeatureSet(Options);
        var all = new TrainingSetBuilder(set, EventTypeRegistry.Default).Build(log.Events, log.Items, log.Users, ContextOf);
        var part = new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { ExampleFraction = 0.3 }).Build(log.Events, log.Items, log.Users, ContextOf);
        int groups = all.Data.GroupOffsets!.Length - 1, kept = part.Data.GroupOffsets!.Length - 1;
        Assert.InRange(kept, (int)(0.2 * groups), (int)(0.4 * groups));
        var index = Enumerable.Range(0, all.Data.Rows).ToDictionary(r => (all.UserIds[r], all.ItemIds[r], all.TimestampsMs[r]));
        var groupOf = new int[all.Data.Rows];
        for (int g = 0; g < groups; g++)
        {
            for (int r = all.Data.GroupOffsets[g]; r < all.Data.GroupOffsets[g + 1]; r++)
            {
                groupOf[r] = g;
            }
        }
        for (int g = 0; g < kept; g++)
        {
            int first = index[(part.UserIds[part.Data.GroupOffsets[g]], part.ItemIds[part.Data.GroupOffsets[g]], part.TimestampsMs[part.Data.GroupOffsets[g]])];
            int size = part.Data.GroupOffsets[g + 1] - part.Data.GroupOffsets[g];
            Assert.Equal(all.Data.GroupOffsets[groupOf[first] + 1] - all.Data.GroupOffsets[groupOf[first]], size);
            for (int r = part.Data.GroupOffsets[g]; r < part.Data.GroupOffsets[g + 1]; r++)
            {
                int same = index[(part.UserIds[r], part.ItemIds[r], part.TimestampsMs[r])];
                Assert.Equal(groupOf[first], groupOf[same]);
                FeatureAssert.SameRow(all.Data, same, part.Data, r, $"row {r}");
            }
        }
        Assert.ThrowsAny<ArgumentException>(() => new TrainingSetOptions { ExampleFraction = 0 }.Validate());
    }

    [Fact]
    public void Bad_training_options_are_refused_with_the_option_named()
    {
        var set = FeatureSet.Default;
        var e1 = Assert.ThrowsAny<ArgumentException>(() => new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { NegativesPerPositive = 0 }));
        Assert.Contains("NegativesPerPositive", e1.Message);
        var e2 = Assert.ThrowsAny<ArgumentException>(() => new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { AttributionWindowMs = -1 }));
        Assert.Contains("AttributionWindowMs", e2.Message);
        var e3 = Assert.ThrowsAny<ArgumentException>(() => new TrainingSetBuilder(set, EventTypeRegistry.Default, new TrainingSetOptions { FromMs = 5, ToMs = 5 }));
        Assert.Contains("FromMs", e3.Message);
    }
}
