using Cascade.Models.Serialization;
using Cascade.Ranking.Linear;

namespace Cascade.Ranking.Tests;

public sealed class ListNetRankerTests
{
    private static readonly FeatureSchema Schema = new([new CategoricalField("kind", 3)], ["a", "b", "noise"]);

    /// <summary>
    /// Groups of <paramref name="size"/> rows; a row is relevant when 1.5·a − b + (kind 2 ? 1 : 0) + noise·<paramref name="labelNoise"/>
    /// is among the group's top three (or the given truth instead of that sum), so the true order is linear in the features.
    /// </summary>
    private static RankingDataset Grouped(int groups, int size, int seed, double labelNoise = 0.3) =>
        Grouped(groups, size, seed, (a, b, kind) => (1.5 * a) - b + (kind == 2 ? 1 : 0), labelNoise);

    private static RankingDataset Grouped(int groups, int size, int seed, Func<float, float, int, double> truth, double labelNoise)
    {
        var random = new Random(seed);
        int rows = groups * size;
        var categorical = new int[rows];
        var numeric = new float[rows * 3];
        var labels = new float[rows];
        var offsets = new int[groups + 1];
        var utility = new double[size];
        for (int g = 0; g < groups; g++)
        {
            offsets[g + 1] = (g + 1) * size;
            for (int i = 0; i < size; i++)
            {
                int r = (g * size) + i;
                categorical[r] = random.Next(3);
                float a = (float)Synthetic.Gaussian(random), b = (float)Synthetic.Gaussian(random), noise = (float)Synthetic.Gaussian(random);
                numeric[(r * 3) + 0] = a;
                numeric[(r * 3) + 1] = b;
                numeric[(r * 3) + 2] = noise;
                utility[i] = truth(a, b, categorical[r]) + (labelNoise * Synthetic.Gaussian(random));
            }
            var top = Enumerable.Range(0, size).OrderByDescending(i => utility[i]).Take(3);
            foreach (int i in top)
            {
                labels[(g * size) + i] = 1;
            }
        }
        return new RankingDataset(Schema, rows, categorical, numeric, labels, offsets);
    }

    private static double Ndcg(RankingDataset data, float[] scores)
    {
        var ideal = GroupNdcg.InverseIdealDcg(data.Labels!, data.GroupOffsets!, 10);
        return GroupNdcg.MeanNdcg([.. scores.Select(s => (double)s)], data.Labels!, data.GroupOffsets!, ideal, 10);
    }

    private static float[] Column(RankingDataset data, int feature) =>
        [.. Enumerable.Range(0, data.Rows).Select(r => data.Numeric[(r * data.Schema.NumericCount) + feature])];

    [Fact]
    public void Learns_the_order_within_groups_from_zero()
    {
        var train = Grouped(400, 30, seed: 1);
        var valid = Grouped(100, 30, seed: 2);
        var test = Grouped(200, 30, seed: 3);
        var ranker = new ListNetRanker(new ListNetOptions { Epochs = 30 });
        ranker.Fit(train, valid);

        double model = Ndcg(test, Synthetic.Predict(ranker, test));
        double best = Ndcg(test, [.. Enumerable.Range(0, test.Rows).Select(r =>
            (1.5f * test.Numeric[r * 3]) - test.Numeric[(r * 3) + 1] + (test.Categorical[r] == 2 ? 1f : 0f))]);
        double random = Ndcg(test, new float[test.Rows]);
        Assert.InRange(model, best - 0.03, 1.0);
        Assert.True(model > random + 0.3, $"model {model:F3}, order of rows {random:F3}");
        // The weights point the right way: a up, b down, the noise feature small.
        Assert.True(ranker.NumericWeight(0) > 0.5f);
        Assert.True(ranker.NumericWeight(1) < -0.3f);
        Assert.InRange(ranker.NumericWeight(2), -0.2f, 0.2f);
        Assert.True(ranker.CategoricalWeight(0, 2) > ranker.CategoricalWeight(0, 1));
        Assert.False(ranker.OutputsProbability);
        Assert.True(ranker.BestEpoch >= 1);
    }

    [Fact]
    public void Starting_from_a_feature_keeps_it_when_training_leads_away_from_what_validation_rewards()
    {
        // Training labels follow b, validation labels follow a (the holdout fits differ from what serves): every pass
        // moves towards b, so the kept weights must be the starting ones, whose order is perfect on validation.
        var train = Grouped(200, 30, seed: 4, (_, b, _) => b, labelNoise: 0);
        var valid = Grouped(60, 30, seed: 5, (a, _, _) => a, labelNoise: 0);
        var ranker = new ListNetRanker(new ListNetOptions { InitFeature = "a", Epochs = 5, Patience = 2 });
        ranker.Fit(train, valid);

        Assert.Equal(0, ranker.BestEpoch);
        Assert.Equal(1.0, ranker.BestValidNdcg, 9);
        Assert.Equal(1f, ranker.NumericWeight(0));
        Assert.Equal(0f, ranker.NumericWeight(1));
        Assert.Equal(1.0, Ndcg(valid, Synthetic.Predict(ranker, valid)), 9);
    }

    [Fact]
    public void Starting_from_several_features_starts_from_their_sum()
    {
        // Validation labels follow a + b, training labels follow the kind: the kept weights are the start, one on
        // each of a and b, whose order is all but perfect on validation.
        var train = Grouped(200, 30, seed: 4, (_, b, kind) => kind, labelNoise: 1);
        var valid = Grouped(60, 30, seed: 5, (a, b, _) => a + b, labelNoise: 0);
        var ranker = new ListNetRanker(new ListNetOptions { InitFeature = "a+b", Epochs = 5, Patience = 2 });
        ranker.Fit(train, valid);

        Assert.Equal(0, ranker.BestEpoch);
        Assert.Equal((1f, 1f, 0f), (ranker.NumericWeight(0), ranker.NumericWeight(1), ranker.NumericWeight(2)));
        // Each feature is standardised on the training rows first, so the start is nearly, not exactly, a + b.
        Assert.InRange(ranker.BestValidNdcg, 0.99, 1.0);
        var missing = new ListNetRanker(new ListNetOptions { InitFeature = "a+nope" });
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => missing.Fit(train)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_learned_pass_replaces_the_start_only_when_it_is_ahead_by_the_required_standard_errors()
    {
        // Labels follow a + b; the model starts from a alone, so learning helps on validation, by some number z of
        // standard errors (paired over the groups). The same fit asking for a little more than z keeps the start; a
        // little less keeps the learned pass.
        var train = Grouped(200, 30, seed: 11, (a, b, _) => a + b, labelNoise: 0.5);
        var valid = Grouped(60, 30, seed: 12, (a, b, _) => a + b, labelNoise: 0.5);
        ListNetRanker Fit(double minGainZ)
        {
            var ranker = new ListNetRanker(new ListNetOptions { InitFeature = "a", Epochs = 5, Patience = 2, MinGainZ = minGainZ });
            ranker.Fit(train, valid);
            return ranker;
        }

        var free = Fit(0);
        Assert.True(free.BestEpoch >= 1);
        Assert.True(free.KeptGainZ > 2, $"z = {free.KeptGainZ:F2}");
        double startNdcg = Ndcg(valid, Column(valid, 0));
        Assert.True(free.BestValidNdcg > startNdcg);

        var strict = Fit(free.KeptGainZ + 0.01);
        Assert.Equal(0, strict.BestEpoch);
        Assert.Equal((1f, 0f), (strict.NumericWeight(0), strict.NumericWeight(1)));
        Assert.Equal(startNdcg, strict.BestValidNdcg, 9);
        Assert.Equal(free.KeptGainZ, strict.KeptGainZ, 9);

        var lenient = Fit(free.KeptGainZ - 0.01);
        Assert.Equal(free.BestEpoch, lenient.BestEpoch);
        Assert.Equal(Synthetic.Predict(free, valid), Synthetic.Predict(lenient, valid));

        Assert.Throws<ArgumentOutOfRangeException>(() => new ListNetRanker(new ListNetOptions { MinGainZ = -1 }));
        Assert.Equal(1.96, ListNetOptions.FromParameters(new Dictionary<string, string> { ["min_gain_z"] = "1.96" }, 1).MinGainZ);
    }

    [Fact]
    public void Without_validation_every_pass_is_kept()
    {
        var train = Grouped(200, 30, seed: 4, (_, b, _) => b, labelNoise: 0);
        var ranker = new ListNetRanker(new ListNetOptions { InitFeature = "a", Epochs = 5 });
        ranker.Fit(train);
        Assert.Equal(5, ranker.BestEpoch);
        Assert.True(ranker.NumericWeight(1) > ranker.NumericWeight(0), "the weights moved towards b, which the training labels follow");
    }

    [Fact]
    public void Survives_a_save_and_load_and_refuses_a_corrupt_file()
    {
        var train = Grouped(100, 20, seed: 6);
        var ranker = new ListNetRanker(new ListNetOptions { Epochs = 3, InitFeature = "b", InitWeight = -1, MinGainZ = 1.5 });
        ranker.Fit(train, Grouped(30, 20, seed: 7));
        using var file = new MemoryStream();
        ranker.Save(file);
        file.Position = 0;
        var loaded = ListNetRanker.Load(file);
        var again = loaded;
        Assert.Equal(ranker.Options, again.Options);
        Assert.Equal(ranker.BestEpoch, again.BestEpoch);
        Assert.Equal(Synthetic.Predict(ranker, train), Synthetic.Predict(loaded, train));

        // A version 1 file (before min_gain_z: the same payload without its 8 bytes after the seed) loads with 0.
        file.Position = 0;
        var (_, _, payload) = ModelFile.ReadContainer(file);
        const int OptionsBeforeMinGainZ = 32 + 2 + 8 + 4; // lr l2 epochs patience batch ndcg_at, "b", init_weight, seed
        using var version1 = new MemoryStream();
        ModelFile.Write(version1, ListNetRanker.KindName, 1, writer =>
        {
            writer.Write(payload.AsSpan(0, OptionsBeforeMinGainZ));
            writer.Write(payload.AsSpan(OptionsBeforeMinGainZ + 8));
        });
        version1.Position = 0;
        var old = ListNetRanker.Load(version1);
        Assert.Equal(ranker.Options with { MinGainZ = 0 }, old.Options);
        Assert.Equal(Synthetic.Predict(ranker, train), Synthetic.Predict(old, train));

        var bytes = file.ToArray();
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x01;
        Assert.Throws<InvalidDataException>(() => ListNetRanker.Load(new MemoryStream(flipped)));
        Assert.Throws<InvalidDataException>(() => ListNetRanker.Load(new MemoryStream(bytes[..^10])));
        using var other = new MemoryStream();
        ModelFile.Write(other, ListNetRanker.KindName, 99, writer => writer.Write(0));
        other.Position = 0;
        Assert.Contains("version 99", Assert.Throws<InvalidDataException>(() => ListNetRanker.Load(other)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Is_deterministic_for_a_seed()
    {
        var train = Grouped(100, 20, seed: 8);
        var valid = Grouped(30, 20, seed: 9);
        var one = new ListNetRanker(new ListNetOptions { Epochs = 5, Seed = 3 });
        var two = new ListNetRanker(new ListNetOptions { Epochs = 5, Seed = 3 });
        one.Fit(train, valid);
        two.Fit(train, valid);
        Assert.Equal(Synthetic.Predict(one, valid), Synthetic.Predict(two, valid));
    }

    [Fact]
    public void Bad_input_gets_a_clear_error()
    {
        var train = Grouped(10, 10, seed: 10);
        var unknown = new ListNetRanker(new ListNetOptions { InitFeature = "nope" });
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => unknown.Fit(train)).Message, StringComparison.Ordinal);

        var ungrouped = new RankingDataset(Schema, train.Rows, train.Categorical, train.Numeric, train.Labels);
        Assert.Contains("group", Assert.Throws<ArgumentException>(() => new ListNetRanker().Fit(ungrouped)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new ListNetRanker().Predict(train, new float[train.Rows]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ListNetRanker(new ListNetOptions { Batch = 0 }));
        Assert.Contains("listnet", Assert.Throws<ArgumentException>(() => ListNetOptions.FromParameters(new Dictionary<string, string> { ["trees"] = "3" }, 1)).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => ListNetOptions.FromParameters(new Dictionary<string, string> { ["lr"] = "fast" }, 1));
    }
}
