using Cascade.Models.Factorisation;

namespace Cascade.Models.Tests;

public sealed class BiasedMatrixFactorisationTests
{
    [Fact]
    public void The_seed_decides_the_initialisation_so_another_seed_gives_another_model()
    {
        var data = SyntheticData.Create();
        var a = new BiasedMatrixFactorisation(new BiasedMatrixFactorisationOptions { Factors = 4, Epochs = 3, Seed = 1 });
        var b = new BiasedMatrixFactorisation(new BiasedMatrixFactorisationOptions { Factors = 4, Epochs = 3, Seed = 1 });
        var c = new BiasedMatrixFactorisation(new BiasedMatrixFactorisationOptions { Factors = 4, Epochs = 3, Seed = 2 });
        a.Fit(data);
        b.Fit(data);
        c.Fit(data);
        Assert.Equal(a.PredictRating(0, 1), b.PredictRating(0, 1));
        Assert.NotEqual(a.PredictRating(0, 1), c.PredictRating(0, 1));
    }

    [Fact]
    public void Predictions_stay_within_the_fitted_rating_range_and_cold_ids_get_a_baseline()
    {
        var data = SyntheticData.Create();
        var mf = new BiasedMatrixFactorisation(new BiasedMatrixFactorisationOptions { Factors = 8, Epochs = 50, LearningRate = 0.05 });
        mf.Fit(data);
        for (int u = 0; u < data.Rows; u++)
        {
            for (int i = 0; i < data.Columns; i++)
            {
                Assert.InRange(mf.PredictRating(u, i), 1f, 5f);
            }
        }
        Assert.InRange(mf.PredictRating(data.Rows + 5, data.Columns + 5), 1f, 5f);
    }
}
