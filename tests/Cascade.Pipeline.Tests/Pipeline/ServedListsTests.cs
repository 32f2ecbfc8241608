using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline.Tests.Pipeline;

public sealed class ServedListsTests
{
    // 80 users, 60 items; interactions favour low item ids (popular), items with high ids are the newest.
    internal static PipelineData Data(IReadOnlyList<ServedList> served)
    {
        var random = new Random(11);
        var b = new CsrMatrixBuilder();
        for (int u = 0; u < 80; u++)
        {
            foreach (int i in Enumerable.Range(0, 60).OrderBy(_ => random.Next()).Take(8 + random.Next(5)))
            {
                b.Add(u, Math.Min(i, random.Next(60)), 1, 1_000_000 + random.Next(100_000));
            }
        }
        var items = ItemTable.Build([.. Enumerable.Range(0, 60).Select(i =>
            new Item(Apps.Default, $"i{i}", "", [$"c{i % 3}"], [], "{}", DateTimeOffset.FromUnixTimeMilliseconds(i * 1000L), false, null))]);
        return new PipelineData(b.Build(80, 60), items) { Served = served };
    }

    private static PipelineOptions Options() => new()
    {
        Sources =
        [
            new SourceOptions { Name = "pop", Kind = "popular", Quota = 30 },
            new SourceOptions { Name = "new", Kind = "latest", Quota = 30 },
        ],
        Ranker = new RankerOptions { Kind = "lr" },
    };

    // Lists that showed five popular and five new items, where the users clicked new ones only.
    private static List<ServedList> NewItemsClicked()
    {
        var random = new Random(5);
        var lists = new List<ServedList>();
        for (int l = 0; l < 400; l++)
        {
            int[] shown = [.. Enumerable.Range(0, 5).Select(k => k * 2 + random.Next(2)), .. Enumerable.Range(0, 5).Select(k => 59 - k * 2 - random.Next(2))];
            bool[] clicked = [.. shown.Select(i => i >= 50 && random.NextDouble() < 0.5)];
            clicked[5] = true;
            lists.Add(new ServedList(l % 80, 1_100_000 + l, shown, [.. Enumerable.Range(0, 10)], clicked));
        }
        return lists;
    }

    private static double MeanTopItem(RecommendationPipeline pipeline, PipelineData data)
    {
        double sum = 0;
        for (int u = 0; u < 20; u++)
        {
            var result = pipeline.Run(new PipelineRequest(u, RecommendationPipeline.HistoryOf(data.Interactions, u), 5, 1_200_000));
            sum += result.Items.Average(c => c.Item);
        }
        return sum / 20;
    }

    [Fact]
    public void Served_lists_from_the_log_train_the_ranker_with_clicks_as_positives_and_the_rest_as_negatives()
    {
        var without = Data([]);
        var plain = PipelineBuilder.Build(Options(), without, seed: 3);
        Assert.Equal(0, plain.RankerTraining!.ServedLists);

        var with = Data(NewItemsClicked());
        var taught = PipelineBuilder.Build(Options(), with, seed: 3);
        Assert.Equal(400, taught.RankerTraining!.ServedLists);
        Assert.InRange(taught.RankerTraining.HeldOutGroups, plain.RankerTraining.HeldOutGroups - 10, plain.RankerTraining.HeldOutGroups + 10);
        Assert.InRange(taught.RankerTraining.TrainingRows - plain.RankerTraining.TrainingRows, 3600, 4400); // ten rows per list
        // The interactions favour popular (old) items; the served lists say users click the new ones.
        double before = MeanTopItem(plain, without), after = MeanTopItem(taught, with);
        Assert.True(after > before + 10, $"mean top item id {before:F1} without served lists, {after:F1} with them");
    }
}
