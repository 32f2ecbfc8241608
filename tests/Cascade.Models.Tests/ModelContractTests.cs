using Cascade.Core;
using Cascade.Models.Baselines;
using Cascade.Models.Factorisation;
using Cascade.Models.Linear;
using Cascade.Models.Neighbourhood;

namespace Cascade.Models.Tests;

public sealed class ItemKnnContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new ItemKnn(new ItemKnnOptions { Neighbours = 15, Shrink = 2 });
}

public sealed class AsymmetricItemKnnContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new ItemKnn(new ItemKnnOptions { Similarity = ItemSimilarity.AsymmetricCosine, Alpha = 0.3f, Binarize = false });
}

public sealed class SarContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Sar();
}

public sealed class SarLiftContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Sar(new SarOptions { Similarity = SarSimilarity.Lift, TimeDecay = false });
}

public sealed class EaseContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Ease(new EaseOptions { Lambda = 5 });
}

public sealed class Rp3BetaContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Rp3Beta(new Rp3BetaOptions { Alpha = 0.8f, Beta = 0.3f, Neighbours = 20, NormaliseRows = true });
}

public sealed class BiasedMatrixFactorisationContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new BiasedMatrixFactorisation(new BiasedMatrixFactorisationOptions { Factors = 8, Epochs = 30, LearningRate = 0.02, Seed = 3 });

    /// <summary>MF models ratings, not presence: it must fit the training ratings better than their global mean does.</summary>
    protected override void AssertRecommendationsAreUseful(IRecommender model, CsrMatrix data)
    {
        var mf = Assert.IsAssignableFrom<IRatingPredictor>(model);
        double mean = data.Values.Average(v => (double)v), meanError = 0, modelError = 0;
        for (int u = 0; u < data.Rows; u++)
        {
            var items = data.RowIndices(u);
            var values = data.RowValues(u);
            for (int a = 0; a < items.Length; a++)
            {
                meanError += (values[a] - mean) * (values[a] - mean);
                modelError += (values[a] - mf.PredictRating(u, items[a])) * (values[a] - mf.PredictRating(u, items[a]));
            }
        }
        Assert.True(modelError < 0.8 * meanError, $"squared error {modelError:0.0} vs the global mean's {meanError:0.0}");
    }
}

public sealed class MostPopularContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new MostPopular();

    /// <summary>MostPopular ignores the user: without exclusion everyone gets the same list, in popularity order.</summary>
    protected override void AssertRecommendationsAreUseful(IRecommender model, CsrMatrix data)
    {
        var first = model.Recommend(0, 10, excludeSeen: false).Select(r => r.Item).ToArray();
        for (int u = 1; u < data.Rows; u++)
        {
            Assert.Equal(first, model.Recommend(u, 10, excludeSeen: false).Select(r => r.Item));
        }
        var counts = new int[data.Columns];
        foreach (int item in data.ColumnIndices)
        {
            counts[item]++;
        }
        Assert.Equal(counts.Max(), counts[first[0]]);
    }
}
