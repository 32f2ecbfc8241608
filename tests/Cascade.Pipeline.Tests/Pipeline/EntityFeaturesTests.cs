using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Features;
using Cascade.Pipeline.Ranking;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline.Tests.Pipeline;

public sealed class EntityFeaturesTests
{
    private static readonly FeatureSet Set = new(new FeatureSetOptions { IncludeUserId = false, IncludeItemId = false, IncludeContext = false, Windows = ["1d"] });

    // Three users, four items; user 0 acts on items 0 and 1 at t = 10 and t = 30, the others on item 0 at t = 20 and 40.
    private static PipelineData Data()
    {
        var b = new CsrMatrixBuilder();
        b.Add(0, 0, 1, 10);
        b.Add(0, 1, 1, 30);
        b.Add(1, 0, 1, 20);
        b.Add(2, 0, 1, 40);
        var items = ItemTable.Build([.. Enumerable.Range(0, 4).Select(i =>
            new Item(Apps.Default, $"i{i}", "", [$"c{i % 2}"], [], "{}", DateTimeOffset.FromUnixTimeMilliseconds(0), false, null))]);
        return new PipelineData(b.Build(3, 4), items);
    }

    // 80 users and 60 items, the interactions favouring low ids.
    private static (CsrMatrix Matrix, ItemTable Items) Larger()
    {
        var random = new Random(3);
        var b = new CsrMatrixBuilder();
        for (int u = 0; u < 80; u++)
        {
            foreach (int i in Enumerable.Range(0, 60).OrderBy(_ => random.Next()).Take(6 + random.Next(5)))
            {
                b.Add(u, Math.Min(i, random.Next(60)), 1, 1_000_000 + random.Next(100_000));
            }
        }
        var items = ItemTable.Build([.. Enumerable.Range(0, 60).Select(i =>
            new Item(Apps.Default, $"i{i}", "", [$"c{i % 4}"], [], "{}", DateTimeOffset.FromUnixTimeMilliseconds(0), false, null))]);
        return (b.Build(80, 60), items);
    }

    private static List<Candidate> Candidates(params int[] items) => [.. items.Select(i => new Candidate(i, 1, "s"))];

    private static float Column(Cascade.Ranking.RankingDataset rows, int row, string name) => Set.Value(rows, row, name);

    [Fact]
    public void Training_rows_see_the_interactions_up_to_their_time_and_none_after()
    {
        var data = Data();
        var rows = EntityFeatures.PointInTime(Set, data, [(1, 20L, Candidates(0, 1)), (2, 25L, null), (0, 35L, Candidates(0, 2))]);
        Assert.Null(rows[1]);
        // At t = 20: item 0 has the events at 10 and 20; item 1 nothing yet (its event is at 30).
        Assert.Equal(2, Column(rows[0]!, 0, "item_positives_total"));
        Assert.Equal(0, Column(rows[0]!, 1, "item_positives_total"));
        // At t = 35 (rows written after an earlier request's): item 0 still has 2, the event at 40 is later.
        Assert.Equal(2, Column(rows[2]!, 0, "item_positives_total"));
        Assert.Equal(1, Column(rows[2]!, 0, "user_item_positives"));
        Assert.Equal(2, Column(rows[2]!, 0, "user_positives_total"));
    }

    [Fact]
    public void Serving_rows_read_every_interaction_with_the_same_code_as_training()
    {
        var data = Data();
        var serving = EntityFeatures.Replay(Set, data);
        var candidates = Candidates(0, 1, 3);
        var schema = Set.Schema;
        var categorical = new int[3 * schema.FieldCount];
        var numeric = new float[3 * schema.NumericCount];
        serving.Fill(0, candidates, 0, 3, 100, categorical, numeric);
        var atEnd = EntityFeatures.PointInTime(Set, data, [(0, 100L, candidates)])[0]!;
        Assert.Equal(atEnd.Numeric, numeric);
        Assert.Equal(atEnd.Categorical, categorical);
        Assert.Equal(3, Column(atEnd, 0, "item_positives_total"));
    }

    [Fact]
    public void The_ranker_rows_carry_the_pipeline_columns_then_the_entity_columns_and_a_ranker_trains_on_them()
    {
        var (matrix, items) = Larger();
        var data = new PipelineData(matrix, items);
        var options = PipelineOptions.Default();
        options.Ranker = new RankerOptions { Kind = "lr", EntityFeatures = Set.Options };
        var pipeline = PipelineBuilder.Build(options, data, seed: 7);

        Assert.NotNull(pipeline.Ranker);
        var schema = pipeline.Features!.Schema;
        Assert.Equal(pipeline.Features.OwnNumericCount + Set.Schema.NumericCount, schema.NumericCount);
        Assert.Equal(1 + Set.Schema.FieldCount, schema.FieldCount);
        Assert.Equal(Set.Schema.Numeric, schema.Numeric.Skip(pipeline.Features.OwnNumericCount));
        Assert.Equal(schema, pipeline.Ranker!.Schema);
        var result = pipeline.Run(new PipelineRequest(3, RecommendationPipeline.HistoryOf(data.Interactions, 3), 10, 2_000_000) { Explain = true });
        Assert.Equal(10, result.Items.Count);
        Assert.All(result.Items, c => Assert.False(float.IsNaN(c.RankerScore)));
        Assert.Empty(result.Degraded);

        // A saved bundle keeps the definitions: loaded, it serves the same scores.
        string dir = Path.Combine(Path.GetTempPath(), "cascade-entity-" + Guid.NewGuid().ToString("N"));
        try
        {
            PipelineBundle.Save(pipeline, dir, Apps.Default, 1, 7);
            var loaded = PipelineBundle.Load(dir, data);
            var again = loaded.Run(new PipelineRequest(3, RecommendationPipeline.HistoryOf(data.Interactions, 3), 10, 2_000_000));
            Assert.Equal(result.Items.Select(c => (c.Item, c.RankerScore)), again.Items.Select(c => (c.Item, c.RankerScore)));
            Assert.Equal(Set.Options.Windows, loaded.Options!.Ranker!.EntityFeatures!.Windows);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void With_the_live_store_training_replays_its_events_without_held_out_positives_and_serving_reads_it_live()
    {
        var data = Data();
        var live = new OnlineFeatureStore(Set, EventTypeRegistry.Default);
        string[] users = ["ann", "bob", "cy"];
        FeedbackEvent Ev(string user, string item, string type, long at) => new(Apps.Default, null, user, item, type, null, at, null, null);
        List<FeedbackEvent> log =
        [
            Ev("ann", "i0", "click", 10), Ev("bob", "i0", "impression", 15), Ev("bob", "i0", "click", 20),
            Ev("ann", "i1", "click", 30), Ev("cy", "i2", "impression", 35), Ev("cy", "i0", "click", 40),
        ];
        foreach (var e in log)
        {
            live.Observe(e);
        }
        var context = new LiveFeatures(live, Apps.Default, users, EventTypeRegistry.Default, () => log);
        var requests = new (int, long, IReadOnlyList<Candidate>?)[] { (0, 35L, Candidates(0, 1, 2)) };

        var rows = EntityFeatures.PointInTime(Set, EventTypeRegistry.Default, data.Items, context.UserId, Apps.Default,
            log.Where(e => !(e.UserId == "ann" && e.ItemId == "i1")), requests)[0]!; // ann's click on i1 held out
        Assert.Equal(2, Column(rows, 0, "item_positives_total"));   // ann and bob, not cy's at 40
        Assert.Equal(1, Column(rows, 0, "item_impressions_total")); // impressions count, as in the live store
        Assert.Equal(0, Column(rows, 1, "item_positives_total"));   // the held-out click is not seen
        Assert.Equal(1, Column(rows, 2, "item_impressions_total"));

        var serving = new EntityFeatures(live, data.Items, context.UserId);
        var candidates = Candidates(0, 1);
        var schema = Set.Schema;
        var categorical = new int[2 * schema.FieldCount];
        var before = new float[2 * schema.NumericCount];
        serving.Fill(0, candidates, 0, 2, 100, categorical, before);
        live.Observe(Ev("bob", "i1", "click", 50));
        var after = new float[2 * schema.NumericCount];
        serving.Fill(0, candidates, 0, 2, 100, categorical, after);
        int positives = Set.NumericIndex("item_positives_total");
        Assert.Equal(1, before[schema.NumericCount + positives]);
        Assert.Equal(2, after[schema.NumericCount + positives]); // the live store, not a copy
    }

    [Fact]
    public void A_ranker_with_the_live_stores_definitions_reads_it_and_one_with_others_keeps_a_store_of_its_own()
    {
        var (matrix, items) = Larger();
        var events = new List<FeedbackEvent>();
        for (int u = 0; u < 80; u++)
        {
            var row = matrix.RowIndices(u);
            var times = matrix.RowTimestamps(u);
            for (int k = 0; k < row.Length; k++)
            {
                events.Add(new FeedbackEvent(Apps.Default, null, "user" + u, $"i{row[k]}", "click", null, times[k], null, null));
            }
        }
        events.Sort((x, y) => x.TimestampMs.CompareTo(y.TimestampMs));
        var store = new OnlineFeatureStore(Set, EventTypeRegistry.Default);
        events.ForEach(e => store.Observe(e));
        var live = new LiveFeatures(store, Apps.Default, [.. Enumerable.Range(0, 80).Select(u => "user" + u)], EventTypeRegistry.Default, () => events);
        var data = new PipelineData(matrix, items) { Live = live };

        var options = PipelineOptions.Default();
        options.Ranker = new RankerOptions { Kind = "lr", EntityFeatures = Set.Options with { } };
        var pipeline = PipelineBuilder.Build(options, data, seed: 7);
        Assert.Equal("live", pipeline.RankerTraining!.EntityFeatures);
        Assert.Same(store, pipeline.Features!.Entity!.Store);
        Assert.Equal(10, pipeline.Run(new PipelineRequest(3, RecommendationPipeline.HistoryOf(matrix, 3), 10, 2_000_000)).Items.Count);

        options.Ranker.EntityFeatures = Set.Options with { Windows = ["7d"] };
        var own = PipelineBuilder.Build(options, data, seed: 7);
        Assert.Equal("bundle", own.RankerTraining!.EntityFeatures);
        Assert.NotSame(store, own.Features!.Entity!.Store);
    }
}
