namespace Cascade.Experiments.Tests;

public sealed class AssignmentTests
{
    // The published test vectors (docs/experiments.md), computed independently with Python's hashlib.
    [Theory]
    [InlineData("exp-ranker-v2", "user-1", 5904576391854786774UL, 6774, "B", "t2")]
    [InlineData("exp-ranker-v2", "user-2", 4799715240627923349UL, 3349, "A", "t1")]
    [InlineData("exp-ranker-v2", "user-3", 766641061030205878UL, 5878, "B", "t2")]
    [InlineData("exp-ranker-v2", "42", 13354829266302032414UL, 2414, "A", "t1")]
    [InlineData("exp-ranker-v2", "", 15353364646857577207UL, 7207, "B", "t2")]
    [InlineData("layer-feed", "user-1", 293054779830253793UL, 3793, "A", "t1")]
    [InlineData("layer-feed", "user-2", 8663128438481725086UL, 5086, "B", "t2")]
    [InlineData("holdout-2027", "user-1", 4121866781119491359UL, 1359, "A", "control")]
    [InlineData("holdout-2027", "session-9f8e", 9830699488920036079UL, 6079, "B", "t2")]
    [InlineData("ctr-test", "Zoë", 1363190060711723131UL, 3131, "A", "t1")]
    [InlineData("ctr-test", "ユーザー7", 565612545517305497UL, 5497, "B", "t2")]
    [InlineData("a", "b", 7458984759985081548UL, 1548, "A", "control")]
    [InlineData("exp-ranker-v2", "user-1000000", 3326287817069870195UL, 195, "A", "control")]
    public void The_published_test_vectors_hold(string salt, string unit, ulong hash, int bucket, string armOfTwo, string armOfThree)
    {
        Assert.Equal(hash, Assignment.Hash(salt, unit));
        Assert.Equal(bucket, Assignment.Bucket(salt, unit));
        var two = new Assigner([new Layer("l", "layer-salt", [new ExperimentAllocation("x", salt, [new Arm("A", 0.5), new Arm("B", 0.5)])])]);
        var three = new Assigner([new Layer("l", "layer-salt", [new ExperimentAllocation("x", salt, [new Arm("control", 0.2), new Arm("t1", 0.3), new Arm("t2", 0.5)])])]);
        Assert.Equal(armOfTwo, Assert.Single(two.Assign(unit)).Arm);
        Assert.Equal(armOfThree, Assert.Single(three.Assign(unit)).Arm);
    }

    [Fact]
    public void Buckets_of_a_million_ids_are_uniform_by_a_chi_square_test()
    {
        var counts = new long[100];
        for (int i = 0; i < 1_000_000; i++)
        {
            counts[Assignment.Bucket("uniformity", "user-" + i) / 100]++;
        }
        var result = SampleRatioMismatch.Check(counts, [.. Enumerable.Repeat(1.0, 100)]);
        Assert.True(result.PValue > 0.001, $"chi2 = {result.ChiSquare}, p = {result.PValue}");
    }

    [Fact]
    public void Two_layers_assign_independently_by_a_chi_square_test_of_their_contingency_table()
    {
        const int k = 10, n = 200_000;
        var table = new long[k, k];
        for (int i = 0; i < n; i++)
        {
            string id = "user-" + i;
            table[Assignment.Bucket("layer-one", id) * k / Assignment.BucketCount, Assignment.Bucket("layer-two", id) * k / Assignment.BucketCount]++;
        }
        var rows = new double[k];
        var cols = new double[k];
        for (int r = 0; r < k; r++)
        {
            for (int c = 0; c < k; c++)
            {
                rows[r] += table[r, c];
                cols[c] += table[r, c];
            }
        }
        double chi = 0;
        for (int r = 0; r < k; r++)
        {
            for (int c = 0; c < k; c++)
            {
                double expected = rows[r] * cols[c] / n;
                chi += (table[r, c] - expected) * (table[r, c] - expected) / expected;
            }
        }
        double p = ChiSquared.Survival(chi, (k - 1) * (k - 1));
        Assert.True(p > 0.001, $"chi2 = {chi}, p = {p}");
    }

    [Fact]
    public void Assignment_is_sticky_across_calls_and_instances()
    {
        Layer[] layers = [new("feed", "feed-salt", [new ExperimentAllocation("ranker", "ranker-salt", [new Arm("A", 0.5), new Arm("B", 0.5)])])];
        var first = new Assigner(layers);
        var second = new Assigner(layers);
        for (int i = 0; i < 1000; i++)
        {
            string id = "user-" + i;
            Assert.Equal(first.Assign(id), second.Assign(id));
            Assert.Equal(first.Assign(id), first.Assign(id));
        }
    }

    [Fact]
    public void Arms_receive_their_configured_shares()
    {
        var assigner = new Assigner([new Layer("l", "l-salt", [new ExperimentAllocation("x", "x-salt", [new Arm("a", 0.2), new Arm("b", 0.3), new Arm("c", 0.5)])])]);
        var counts = new long[3];
        for (int i = 0; i < 200_000; i++)
        {
            counts[assigner.Assign("user-" + i)[0].ArmIndex]++;
        }
        var srm = SampleRatioMismatch.Check(counts, [0.2, 0.3, 0.5]);
        Assert.False(srm.Mismatch, $"counts {string.Join(", ", counts)}, p = {srm.PValue}");
    }

    [Fact]
    public void Experiments_in_one_layer_are_exclusive_and_share_the_layer_by_their_ranges()
    {
        var assigner = new Assigner([new Layer("l", "l-salt",
        [
            new ExperimentAllocation("x", "x-salt", [new Arm("A", 0.5), new Arm("B", 0.5)], 0, 3000),
            new ExperimentAllocation("y", "y-salt", [new Arm("A", 0.5), new Arm("B", 0.5)], 3000, 5000),
        ])]);
        int inX = 0, inY = 0, none = 0;
        for (int i = 0; i < 100_000; i++)
        {
            var arms = assigner.Assign("user-" + i);
            Assert.True(arms.Count <= 1);
            if (arms.Count == 0)
            {
                none++;
            }
            else if (arms[0].Experiment == "x")
            {
                inX++;
            }
            else
            {
                inY++;
            }
        }
        Assert.False(SampleRatioMismatch.Check([inX, inY, none], [0.3, 0.2, 0.5]).Mismatch);
    }

    [Fact]
    public void Overlapping_experiments_in_one_layer_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Assigner([new Layer("l", "s",
        [
            new ExperimentAllocation("x", "x", [new Arm("A", 1)], 0, 3000),
            new ExperimentAllocation("y", "y", [new Arm("A", 1)], 2999, 5000),
        ])]));
        Assert.Contains("overlap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_global_holdout_takes_its_share_and_those_units_get_no_arm()
    {
        var assigner = new Assigner([new Layer("l", "l-salt", [new ExperimentAllocation("x", "x-salt", [new Arm("A", 0.5), new Arm("B", 0.5)])])],
            new Holdout("holdout-salt", 0.1));
        long held = 0;
        const int n = 100_000;
        for (int i = 0; i < n; i++)
        {
            string id = "user-" + i;
            var arms = assigner.Assign(id);
            if (assigner.IsHeldOut(id))
            {
                held++;
                Assert.Empty(arms);
            }
            else
            {
                Assert.Single(arms);
            }
        }
        Assert.False(SampleRatioMismatch.Check([held, n - held], [0.1, 0.9]).Mismatch, $"held out {held} of {n}");
    }

    [Fact]
    public void Shares_that_do_not_sum_to_one_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Assignment.ArmEnds([0.5, 0.4]));
        Assert.Contains("sum to 1", e.Message, StringComparison.Ordinal);
        Assert.Equal([2000, 5000, 10_000], Assignment.ArmEnds([0.2, 0.3, 0.5]));
    }
}
