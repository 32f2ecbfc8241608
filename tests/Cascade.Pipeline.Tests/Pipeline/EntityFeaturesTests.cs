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
        var data = new PipelineData(b.Build(80, 60), items);
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
}
