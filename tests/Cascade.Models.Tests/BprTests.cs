using Cascade.Models.Embeddings;
using Cascade.Models.Factorisation;

namespace Cascade.Models.Tests;

public sealed class BprContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Bpr(new BprOptions { Factors = 8, Epochs = 60, LearningRate = 0.05, Regularisation = 0.01, Seed = 3 });
}

public sealed class BprPopularitySamplingContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() =>
        new Bpr(new BprOptions { Factors = 8, Epochs = 60, LearningRate = 0.05, Regularisation = 0.01, Sampling = NegativeSampling.Popularity, Seed = 3 });
}

public sealed class BprTests
{
    private static double ClusterShare(IRecommender model)
    {
        var data = SyntheticData.Create();
        int inCluster = 0, total = 0;
        for (int u = 0; u < data.Rows; u++)
        {
            if (u == SyntheticData.EmptyUser)
            {
                continue;
            }
            foreach (var r in model.Recommend(u, 3))
            {
                total++;
                inCluster += r.Item / 10 == u % 4 ? 1 : 0;
            }
        }
        return (double)inCluster / total;
    }

    [Fact]
    public void Lock_free_training_on_two_threads_learns_the_clusters_too()
    {
        var model = new Bpr(new BprOptions { Factors = 8, Epochs = 60, LearningRate = 0.05, Regularisation = 0.01, Threads = 2 });
        model.Fit(SyntheticData.Create());
        Assert.True(ClusterShare(model) > 0.5, $"cluster share {ClusterShare(model)}");
    }

    [Fact]
    public void Training_raises_the_share_of_correctly_ordered_pairs()
    {
        var data = SyntheticData.Create();
        double Auc(Bpr model)
        {
            var scores = new float[data.Columns];
            long right = 0, pairs = 0;
            for (int u = 0; u < data.Rows; u++)
            {
                if (data.RowLength(u) == 0)
                {
                    continue;
                }
                model.Score(u, scores);
                var seen = data.RowIndices(u).ToArray();
                for (int j = 0; j < data.Columns; j++)
                {
                    if (Array.IndexOf(seen, j) >= 0)
                    {
                        continue;
                    }
                    foreach (int i in seen)
                    {
                        pairs++;
                        right += scores[i] > scores[j] ? 1 : 0;
                    }
                }
            }
            return (double)right / pairs;
        }
        var untrained = new Bpr(new BprOptions { Factors = 8, Epochs = 0 });
        untrained.Fit(data);
        var trained = new Bpr(new BprOptions { Factors = 8, Epochs = 40, LearningRate = 0.05, Regularisation = 0.01 });
        trained.Fit(data);
        Assert.InRange(Auc(untrained), 0.3, 0.7);
        Assert.True(Auc(trained) > 0.85, $"AUC {Auc(trained)}");
    }

    [Fact]
    public void The_packed_vectors_fold_the_item_bias_into_one_inner_product()
    {
        var data = SyntheticData.Create();
        var model = new Bpr(new BprOptions { Factors = 4, Epochs = 5 });
        model.Fit(data);
        Assert.Equal(5, model.EmbeddingDimension);
        var user = new float[5];
        Assert.True(model.TryGetUserEmbedding(1, user));
        Assert.Equal(1f, user[4]);
        var expected = new float[data.Columns];
        EmbeddingMath.ScoreAll(user, model.ItemEmbeddings.Span, expected);
        var scores = new float[data.Columns];
        model.Score(1, scores);
        Assert.Equal(expected, scores);
    }

    [Fact]
    public void Popularity_sampling_draws_items_in_proportion_to_their_weight()
    {
        var table = AliasTable.Create([1, 0, 3, 4]);
        var counts = new int[4];
        var random = new Random(2);
        for (int n = 0; n < 80_000; n++)
        {
            counts[table.Sample(random)]++;
        }
        Assert.Equal(0, counts[1]);
        Assert.InRange(counts[0] / 80_000.0, 0.115, 0.135);
        Assert.InRange(counts[2] / 80_000.0, 0.365, 0.385);
        Assert.InRange(counts[3] / 80_000.0, 0.49, 0.51);
    }

    [Fact]
    public void Early_stopping_chooses_a_multiple_of_the_check_interval()
    {
        var model = new Bpr(new BprOptions { Factors = 8, Epochs = 40, LearningRate = 0.05, Regularisation = 0.01, ValidationFraction = 0.2, ValidateEvery = 5, Patience = 2 });
        model.Fit(SyntheticData.Create());
        Assert.Equal(0, model.FittedEpochs % 5);
        Assert.InRange(model.FittedEpochs, 5, 40);
        Assert.InRange(model.ValidationNdcg, 0.01, 1);
    }

    [Fact]
    public void Invalid_options_are_rejected_naming_the_option()
    {
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new Bpr(new BprOptions { LearningRate = 0 })).ParamName);
        Assert.Equal("Threads", Assert.Throws<ArgumentOutOfRangeException>(() => new Bpr(new BprOptions { Threads = -1 })).ParamName);
    }
}
