using Cascade.Evaluation.Data;
using Cascade.Evaluation.Splitting;

namespace Cascade.Evaluation.Tests;

public sealed class SplitterTests
{
    /// <summary>30 users × up to 25 items, 4–16 rows each, times increasing within a user with some ties.</summary>
    private static InteractionData Table()
    {
        var random = new Random(5);
        var data = new InteractionData();
        for (int u = 0; u < 30; u++)
        {
            int n = 4 + random.Next(13);
            var items = Enumerable.Range(0, 25).OrderBy(_ => random.Next()).Take(n).ToArray();
            for (int i = 0; i < n; i++)
            {
                data.Add($"u{u}", $"i{items[i]}", 1 + random.Next(5), 1000 + (random.Next(20) * 10));
            }
        }
        return data;
    }

    private static void AssertPartition(InteractionData data, ReadOnlySpan<int> rows, DataSplit split)
    {
        Assert.Equal(rows.Length, split.Train.Length + split.Test.Length);
        Assert.Empty(split.Train.Intersect(split.Test));
        Assert.Equal(rows.ToArray().Order(), split.Train.Concat(split.Test).Order());
    }

    [Fact]
    public void A_stratified_item_split_puts_round_ratio_n_of_each_items_rows_in_train()
    {
        var data = Table();
        var split = Splitter.Stratified(data, data.AllRows(), 0.75, StratifyBy.Item, seed: 42);
        AssertPartition(data, data.AllRows(), split);
        foreach (var group in data.AllRows().GroupBy(data.Item))
        {
            int train = split.Train.Count(r => data.Item(r) == group.Key);
            Assert.Equal((int)Math.Round(group.Count() * 0.75, MidpointRounding.ToEven), train);
        }
    }

    [Fact]
    public void A_stratified_user_split_keeps_each_users_share()
    {
        var data = Table();
        var split = Splitter.Stratified(data, data.AllRows(), 0.6, StratifyBy.User, seed: 1);
        foreach (var group in data.AllRows().GroupBy(data.User))
        {
            Assert.Equal((int)Math.Round(group.Count() * 0.6, MidpointRounding.ToEven), split.Train.Count(r => data.User(r) == group.Key));
        }
    }

    [Fact]
    public void Seeded_splits_repeat_with_the_same_seed_and_differ_with_another()
    {
        var data = Table();
        var a = Splitter.Stratified(data, data.AllRows(), 0.75, StratifyBy.Item, seed: 3);
        var b = Splitter.Stratified(data, data.AllRows(), 0.75, StratifyBy.Item, seed: 3);
        var c = Splitter.Stratified(data, data.AllRows(), 0.75, StratifyBy.Item, seed: 4);
        Assert.Equal(a.Train, b.Train);
        Assert.NotEqual(a.Train, c.Train);
        Assert.Equal(Splitter.Random(data, data.AllRows(), 0.8, 9).Test, Splitter.Random(data, data.AllRows(), 0.8, 9).Test);
    }

    [Fact]
    public void A_random_split_takes_exactly_round_ratio_n_rows()
    {
        var data = Table();
        var split = Splitter.Random(data, data.AllRows(), 0.8, seed: 2);
        AssertPartition(data, data.AllRows(), split);
        Assert.Equal((int)Math.Round(data.Count * 0.8, MidpointRounding.ToEven), split.Train.Length);
    }

    [Fact]
    public void A_chronological_split_trains_on_each_users_earliest_rows()
    {
        var data = Table();
        var split = Splitter.Chronological(data, data.AllRows(), 0.5);
        AssertPartition(data, data.AllRows(), split);
        foreach (var group in data.AllRows().GroupBy(data.User))
        {
            long latestTrain = split.Train.Where(r => data.User(r) == group.Key).Max(data.Time);
            long earliestTest = split.Test.Where(r => data.User(r) == group.Key).Min(data.Time);
            Assert.True(latestTrain <= earliestTest);
        }
    }

    [Fact]
    public void Leave_last_one_holds_out_each_users_latest_row()
    {
        var data = Table();
        var split = Splitter.LeaveLastN(data, data.AllRows(), 1);
        foreach (var group in data.AllRows().GroupBy(data.User))
        {
            var test = split.Test.Where(r => data.User(r) == group.Key).ToArray();
            Assert.Single(test);
            // Latest by time; among equal times, the later row.
            int expected = group.OrderBy(data.Time).ThenBy(r => r).Last();
            Assert.Equal(expected, test[0]);
        }
    }

    [Fact]
    public void A_time_cutoff_puts_earlier_rows_in_train()
    {
        var data = Table();
        var split = Splitter.TimeCutoff(data, data.AllRows(), 1100);
        Assert.All(split.Train, r => Assert.True(data.Time(r) < 1100));
        Assert.All(split.Test, r => Assert.True(data.Time(r) >= 1100));
        AssertPartition(data, data.AllRows(), split);
    }

    [Fact]
    public void A_validation_split_is_carved_from_train_rows_only()
    {
        var data = Table();
        var outer = Splitter.Apply(data, data.AllRows(), "stratified-item:0.75", 42);
        var inner = Splitter.Apply(data, outer.Train, "stratified-item:0.75", 42);
        AssertPartition(data, outer.Train, inner);
        Assert.Empty(inner.Test.Intersect(outer.Test));
        Assert.Empty(inner.Train.Intersect(outer.Test));
    }

    [Fact]
    public void Split_specs_are_parsed_and_unknown_ones_are_rejected()
    {
        var data = Table();
        Assert.Equal(Splitter.LeaveLastN(data, data.AllRows(), 2).Test, Splitter.Apply(data, data.AllRows(), "leave-last:2", 0).Test);
        Assert.Equal(Splitter.TimeCutoff(data, data.AllRows(), 1050).Test, Splitter.Apply(data, data.AllRows(), "time:1050", 0).Test);
        Assert.Throws<ArgumentException>(() => Splitter.Apply(data, data.AllRows(), "sideways:0.5", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Splitter.Apply(data, data.AllRows(), "random:1.5", 0));
    }

    [Fact]
    public void Predefined_train_and_test_files_share_one_id_space()
    {
        string dir = Directory.CreateTempSubdirectory("cascade-split").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "train.tsv"), "10\t100\t4\t5\n11\t101\t3\t6\n");
            File.WriteAllText(Path.Combine(dir, "test.tsv"), "# comment\n11\t100\t5\t7\n12\t102\t1\t8\n");
            var (data, split) = Running.EvaluationJob.Load(new Running.EvaluationRequest { TrainPath = Path.Combine(dir, "train.tsv"), TestPath = Path.Combine(dir, "test.tsv") });
            Assert.Equal([0, 1], split.Train);
            Assert.Equal([2, 3], split.Test);
            Assert.Equal(data.Item(0), data.Item(2)); // item "100" in both files
            Assert.Equal(data.User(1), data.User(2)); // user "11" in both files
            Assert.Equal(3, data.Users.Count);
            Assert.Equal(5f, data.Rating(2));
            Assert.Equal(8, data.Time(3));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_malformed_line_is_reported_with_its_file_and_line_number()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "1 2 3 4\n1 2 x 4\n");
            var e = Assert.Throws<FormatException>(() => InteractionData.Load(path));
            Assert.Contains(":2:", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
