using Cascade.Core;
using Cascade.Models.Embeddings;
using Cascade.Models.Neural;
using Cascade.Models.Serialization;

namespace Cascade.Models.Tests;

public sealed class TwoTowerContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() =>
        new TwoTower(new TwoTowerOptions { Dimension = 8, Epochs = 30, BatchSize = 32, LearningRate = 0.02, UserIdDropout = 0.3, Seed = 3 });
}

public sealed class TwoTowerWithFeaturesContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() =>
        new TwoTower(new TwoTowerOptions { Dimension = 8, Epochs = 30, BatchSize = 32, LearningRate = 0.02, Temperature = 0.5, Seed = 3 },
            TwoTowerTests.UserClusterAttributes(), TwoTowerTests.ItemBlockFeatures());
}

public sealed class TwoTowerTests
{
    /// <summary>User u has attribute u % 4 (its taste cluster) and attribute 4 + u % 3 (noise).</summary>
    internal static SideFeatures UserClusterAttributes() =>
        SideFeatures.FromLists(7, Enumerable.Range(0, SyntheticData.Users).Select(u => (IReadOnlyCollection<int>)[u % 4, 4 + (u % 3)]).ToArray());

    /// <summary>Item i has category i / 10 (its block) and two hashed title tokens.</summary>
    internal static SideFeatures ItemBlockFeatures() =>
        SideFeatures.FromLists(4 + 16, Enumerable.Range(0, SyntheticData.Items)
            .Select(i => (IReadOnlyCollection<int>)[i / 10, .. SideFeatures.HashTokens($"Title {i / 10} Part{i % 3}", 4, 16)]).ToArray());

    private static (TwoTowerNetwork Network, TwoTowerContext Context, Batch Batch) TinyProblem(bool logQ, bool normalise = false, bool mixed = false)
    {
        int users = 5, items = 7, d = 3;
        var random = new Random(9);
        var network = new TwoTowerNetwork(users, items, 3, 4, d, random, 0.5);
        // Move the projections off the identity so their gradients are exercised in general position.
        EmbeddingMath.FillNormal(random, network.UserProjection.Values, 0.6);
        EmbeddingMath.FillNormal(random, network.ItemProjection.Values, 0.6);
        int[] historyPointers = [0, 3, 5, 5, 7, 8];
        int[] historyItems = [0, 2, 4, 1, 2, 3, 6, 5];
        var userFeatures = SideFeatures.FromLists(3, [[0], [1, 2], [], [0, 2], [1]]);
        var itemFeatures = SideFeatures.FromLists(4, [[0, 1], [2], [], [3], [0], [1, 3], [2]]);
        var logQValues = new float[items];
        for (int i = 0; i < items; i++)
        {
            logQValues[i] = (float)Math.Log((i + 1) / 28.0);
        }
        var context = new TwoTowerContext(historyPointers, historyItems, userFeatures, itemFeatures, logQValues, 0.7, logQ, normalise);
        // Example 0's target (2) is in its own history, so it is excluded from the pooling; items 2 repeat (masked negatives).
        var batch = new Batch([0, 1, 3, 4, 2, 0], [2, 2, 6, 5, 1, 3], [true, false, true, true, true, false]);
        if (mixed)
        {
            // Uniform negatives: 4 is new to the batch, 6 repeats a batch item, 2 is example 0's and 1's own item (masked
            // for them); the histories are dropped-out copies, one of them empty, pooled with weight n^−0.5.
            network.PoolingExponent = 0.5;
            batch = batch with { Negatives = [4, 6, 2], Histories = [[0, 4], [1], [6], [], [3], [0]] };
        }
        EmbeddingMath.FillNormal(random, network.ItemBias.Values, 0.5);
        return (network, context, batch);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    [InlineData(true, true, true)]
    public void Every_hand_derived_gradient_matches_central_finite_differences(bool logQ, bool normalise, bool mixed)
    {
        var (network, context, batch) = TinyProblem(logQ, normalise, mixed);
        network.BatchLoss(batch, context, accumulate: true);
        const float Epsilon = 1e-2f;
        int checkedCount = 0;
        foreach (var block in network.Blocks)
        {
            float[] analytic = (float[])block.Gradient.Clone();
            for (int p = 0; p < block.Values.Length; p++)
            {
                float original = block.Values[p];
                block.Values[p] = original + Epsilon;
                double plus = network.BatchLoss(batch, context, accumulate: false);
                block.Values[p] = original - Epsilon;
                double minus = network.BatchLoss(batch, context, accumulate: false);
                block.Values[p] = original;
                double numeric = (plus - minus) / (2 * Epsilon);
                Assert.True(Math.Abs(numeric - analytic[p]) <= 1e-3 + (0.02 * Math.Abs(numeric)),
                    $"block of {block.Rows} rows, parameter {p}: analytic {analytic[p]}, numeric {numeric}");
                checkedCount += analytic[p] != 0 ? 1 : 0;
            }
        }
        Assert.True(checkedCount > 60, $"only {checkedCount} non-zero gradients were checked");
    }

    [Fact]
    public void Rows_a_batch_does_not_touch_get_no_gradient_and_are_not_moved_by_adam()
    {
        var (network, context, batch) = TinyProblem(true);
        float[] before = (float[])network.UserId.Values.Clone();
        network.BatchLoss(batch, context, accumulate: true);
        // Users 1 and 2... user 1 drops its id, user 2 keeps it: user 1's id row is untouched.
        Assert.All(network.UserId.Gradient.AsSpan(1 * 3, 3).ToArray(), g => Assert.Equal(0f, g));
        var optimisers = network.Blocks.Select(b => new Adam(b.Values.Length, 0.1)).ToArray();
        network.Step(optimisers, 1);
        Assert.Equal(before.AsSpan(3, 3).ToArray(), network.UserId.Values.AsSpan(3, 3).ToArray());
        Assert.NotEqual(before.AsSpan(0, 3).ToArray(), network.UserId.Values.AsSpan(0, 3).ToArray());
        Assert.All(network.Blocks, b => Assert.All(b.Gradient, g => Assert.Equal(0f, g)));
    }

    /// <summary>
    /// A two-tower file of payload version 1, written by the build before mixed negatives, normalised outputs and history
    /// dropout (d 2, 3 epochs, batch 4, lr 0.05, seed 5, fitted on u0 = {0, 1}, u1 = {0, 1, 2}, u2 = {2}, u3 = {3}),
    /// with user 0's top-2 at the time.
    /// </summary>
    [Fact]
    public void A_version_one_file_loads_with_the_new_options_off_and_recommends_what_it_did_when_written()
    {
        const string VersionOne = "Q0FTQ01PREwBAAEACXR3by10b3dlcvUBAAAAAAAAAgAAAAMAAAAEAAAAmpmZmZmZqT8AAAAAAADwPwAAAAAAAPA/ATIAAACamZmZmZnJP5qZmZmZmbk/BQAAAAAAAAAAAAAAAwAAAAQAAAAEAAAABQAAAAAAAAACAAAABQAAAAYAAAAHAAAABwAAAAAAAAABAAAAAAAAAAEAAAACAAAAAgAAAAMAAAAHAAAAAACAQAAAAEAAAKBAAACgQAAAoEAAAEBAAACAPwQAAAAAAABAAAAAQAAAAEAAAIA/AwAAAAAAAAAAAPj/AAAAAAEAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAFAAAAAAAAAAIAAAAFAAAABgAAAAcAAAAHAAAAAAAAAAEAAAAAAAAAAQAAAAIAAAACAAAAAwAAAAIAAAAEAAAACAAAAOLe4z3Xhjc+2KJ9vWdzGD5/rU8+jPkePXyTN7x6Y5u9BAAAAAgAAABVYZq9k/5cPuxUFrypFH4+Lt0pPAnzTD5qgIY9LpbAPQAAAAAAAAAABAAAAAgAAACsN6k9obl3PsBn9j2oDlw+OotaPuFXLb0/5Rm93LOKvgAAAAAAAAAAAgAAAAQAAABD2B8/W8urPdBkUbyi13I/AgAAAAQAAADBTCA/SO1gu4dOmz1PInM/BAAAAAQAAAC9cqY9j3DVPcioRz1Yx/u9nBVYSA==";
        var model = (TwoTower)ModelFile.Load(new MemoryStream(Convert.FromBase64String(VersionOne)));
        Assert.Equal((0, false, 0.0), (model.Options.Negatives, model.Options.NormaliseOutputs, model.Options.HistoryDropout));
        var top = model.Recommend(0, 2);
        Assert.Equal([2, 3], top.Select(r => r.Item));
        Assert.Equal([0.04977852f, -0.22593187f], top.Select(r => r.Score));
    }

    [Fact]
    public void Adam_takes_a_first_step_of_the_learning_rate_against_the_gradient_sign()
    {
        var adam = new Adam(3, 0.1);
        float[] p = [1, 1, 1];
        adam.Update(p, 0, [2f, -0.001f, 0f], 1);
        Assert.Equal(0.9f, p[0], 5);
        Assert.Equal(1.1f, p[1], 3);
        Assert.Equal(1f, p[2], 6);
    }

    [Fact]
    public void Training_lowers_the_batch_loss()
    {
        var (network, context, batch) = TinyProblem(true);
        double first = network.BatchLoss(batch, context, accumulate: false);
        var optimisers = network.Blocks.Select(b => new Adam(b.Values.Length, 0.05)).ToArray();
        for (int step = 1; step <= 100; step++)
        {
            network.BatchLoss(batch, context, accumulate: true);
            network.Step(optimisers, step);
        }
        Assert.True(network.BatchLoss(batch, context, accumulate: false) < 0.5 * first);
    }

    [Fact]
    public void A_new_user_is_served_from_history_and_attributes_without_retraining()
    {
        var model = new TwoTower(new TwoTowerOptions { Dimension = 8, Epochs = 30, BatchSize = 32, LearningRate = 0.02, UserIdDropout = 0.5, Seed = 3 },
            UserClusterAttributes(), ItemBlockFeatures());
        model.Fit(SyntheticData.Create());
        var top = model.RecommendForHistory([10, 12, 15], [1, 5], 5);
        Assert.Equal(5, top.Length);
        Assert.DoesNotContain(top, r => r.Item is 10 or 12 or 15);
        Assert.True(top.Count(r => r.Item / 10 == 1) >= 3, string.Join(", ", top.Select(r => r.Item)));
    }

    [Fact]
    public void A_new_item_with_features_is_embedded_near_the_items_of_its_category()
    {
        var model = new TwoTower(new TwoTowerOptions { Dimension = 8, Epochs = 30, BatchSize = 32, LearningRate = 0.02, Seed = 3 }, null, ItemBlockFeatures());
        model.Fit(SyntheticData.Create());
        var vector = new float[9];
        model.EmbedItem([3, .. SideFeatures.HashTokens("Title 3 Part1", 4, 16)], vector); // category 3 = items 30–39
        float[] items = model.ItemEmbeddings.ToArray();
        var cosine = new float[model.ItemCount];
        for (int i = 0; i < cosine.Length; i++)
        {
            float dot = 0, norm = 0, own = 0;
            for (int k = 0; k < 8; k++)
            {
                dot += vector[k] * items[(i * 9) + k];
                norm += items[(i * 9) + k] * items[(i * 9) + k];
                own += vector[k] * vector[k];
            }
            cosine[i] = dot / MathF.Sqrt(norm * own);
        }
        var nearest = TopK.Select(cosine, 5);
        Assert.True(nearest.Count(r => r.Item / 10 == 3) >= 4, string.Join(", ", nearest.Select(r => r.Item)));
    }

    [Fact]
    public void With_the_user_id_always_dropped_users_with_the_same_history_get_the_same_vector()
    {
        var data = SyntheticData.FromRows(6, [(0, 1f), (2, 1f)], [(0, 1f), (2, 1f)], [(1, 1f), (3, 1f)], [(4, 1f), (5, 1f)]);
        var model = new TwoTower(new TwoTowerOptions { Dimension = 4, Epochs = 3, BatchSize = 4, UserIdDropout = 1 });
        model.Fit(data);
        var a = new float[5];
        var b = new float[5];
        model.TryGetUserEmbedding(0, a);
        model.TryGetUserEmbedding(1, b);
        Assert.Equal(a, b);
        var fromHistory = new float[5];
        model.EmbedUser([0, 2], [], fromHistory);
        Assert.Equal(a, fromHistory);
    }

    [Fact]
    public void Hashed_title_tokens_are_stable_case_insensitive_and_in_range()
    {
        int[] a = SideFeatures.HashTokens("Toy Story (1995)", 100, 50);
        int[] b = SideFeatures.HashTokens("toy STORY 1995", 100, 50);
        Assert.Equal(a, b);
        Assert.Equal(3, a.Length);
        Assert.All(a, id => Assert.InRange(id, 100, 149));
    }

    [Fact]
    public void Early_stopping_picks_an_epoch_count_and_the_model_reports_throughput()
    {
        var model = new TwoTower(new TwoTowerOptions { Dimension = 8, Epochs = 10, BatchSize = 32, LearningRate = 0.02, ValidationFraction = 0.2, Patience = 2 });
        model.Fit(SyntheticData.Create());
        Assert.InRange(model.FittedEpochs, 1, 10);
        Assert.InRange(model.ValidationNdcg, 0.01, 1);
        Assert.True(model.ExamplesPerSecond > 0);
    }

    [Fact]
    public void Invalid_options_and_inconsistent_features_are_rejected()
    {
        Assert.Equal("BatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new TwoTower(new TwoTowerOptions { BatchSize = 1 })).ParamName);
        Assert.Equal("UserIdDropout", Assert.Throws<ArgumentOutOfRangeException>(() => new TwoTower(new TwoTowerOptions { UserIdDropout = 2 })).ParamName);
        Assert.Throws<ArgumentException>(() => new SideFeatures(2, [0, 1], [5]));
    }

    [Fact]
    public void A_model_without_side_features_still_uses_the_history_for_warm_users()
    {
        var data = SyntheticData.Create();
        var model = new TwoTower(new TwoTowerOptions { Dimension = 8, Epochs = 5, BatchSize = 32 });
        model.Fit(data);
        var vector = new float[9];
        Assert.True(model.TryGetUserEmbedding(0, vector));
        Assert.False(model.TryGetUserEmbedding(SyntheticData.EmptyUser, vector));
        Assert.Equal(0, model.ItemFeatures.FeatureCount);
        Assert.True(model.ParameterCount > 0);
        _ = new CsrMatrix(1, 1, [0, 0], [], []);
    }
}
