using Cascade.Core;
using Cascade.Models.Embeddings;
using Cascade.Models.Factorisation;
using Cascade.Models.Serialization;
using MathNet.Numerics.LinearAlgebra.Double;

namespace Cascade.Models.Tests;

public sealed class ImplicitAlsContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 10, Regularisation = 0.5, Alpha = 5, Seed = 3 });
}

public sealed class ImplicitAlsCholeskyContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() =>
        new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 6, Regularisation = 0.5, Alpha = 2, UseValues = true, Solver = AlsSolver.Cholesky, Seed = 3 });
}

public sealed class ImplicitAlsTests
{
    private static float[] RandomVectors(int rows, int f, int seed)
    {
        var values = new float[rows * f];
        EmbeddingMath.FillNormal(new Random(seed), values, 0.3);
        return values;
    }

    [Fact]
    public void The_cholesky_solver_agrees_with_mathnet_on_a_random_positive_definite_system()
    {
        int n = 12;
        var random = new Random(4);
        var x = new double[30 * n];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.NextDouble() - 0.5;
        }
        var a = new double[n * n];
        for (int r = 0; r < 30; r++)
        {
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    a[(i * n) + j] += x[(r * n) + i] * x[(r * n) + j];
                }
            }
        }
        for (int i = 0; i < n; i++)
        {
            a[(i * n) + i] += 0.1;
        }
        var b = Enumerable.Range(0, n).Select(i => Math.Sin(i)).ToArray();
        var expected = new DenseMatrix(n, n, (double[])a.Clone()).Solve(new DenseVector((double[])b.Clone()));
        DenseCholesky.Solve(a, n, b);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected[i], b[i], 9);
        }
    }

    [Fact]
    public void A_matrix_that_is_not_positive_definite_is_rejected_by_the_cholesky_solver()
    {
        double[] a = [1, 2, 2, 1];
        double[] b = [1, 1];
        Assert.Contains("not positive definite", Assert.Throws<ArgumentException>(() => DenseCholesky.Solve(a, 2, b)).Message);
    }

    [Fact]
    public void Conjugate_gradient_with_as_many_steps_as_factors_reaches_the_exact_cholesky_solution()
    {
        var data = SyntheticData.Create();
        int f = 6;
        float[] items = RandomVectors(data.Columns, f, 1);
        var exact = new float[data.Rows * f];
        var iterative = new float[data.Rows * f];
        ImplicitAls.SolveRows(data, items, exact, new ImplicitAlsOptions { Factors = f, Regularisation = 0.2, Alpha = 3, UseValues = true, Solver = AlsSolver.Cholesky }, 2, default);
        ImplicitAls.SolveRows(data, items, iterative, new ImplicitAlsOptions { Factors = f, Regularisation = 0.2, Alpha = 3, UseValues = true, CgSteps = 3 * f }, 2, default);
        for (int i = 0; i < exact.Length; i++)
        {
            Assert.Equal(exact[i], iterative[i], 3);
        }
    }

    [Fact]
    public void Three_warm_started_conjugate_gradient_steps_rank_like_the_exact_solver_after_training()
    {
        var data = SyntheticData.Create();
        var cg = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 15, Regularisation = 0.5, Alpha = 5, Seed = 3 });
        var exact = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 15, Regularisation = 0.5, Alpha = 5, Seed = 3, Solver = AlsSolver.Cholesky });
        cg.Fit(data);
        exact.Fit(data);
        int shared = 0, total = 0;
        for (int u = 0; u < data.Rows; u++)
        {
            var a = cg.Recommend(u, 5).Select(r => r.Item).ToHashSet();
            var b = exact.Recommend(u, 5).Select(r => r.Item);
            shared += b.Count(a.Contains);
            total += 5;
        }
        Assert.True(shared >= 0.8 * total, $"{shared} of {total} top-5 items shared");
    }

    [Fact]
    public void The_result_does_not_depend_on_the_number_of_threads()
    {
        var data = SyntheticData.Create();
        var one = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 4, Threads = 1 });
        var two = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 4, Threads = 2 });
        one.Fit(data);
        two.Fit(data);
        Assert.Equal(one.UserEmbeddings.ToArray(), two.UserEmbeddings.ToArray());
        Assert.Equal(one.ItemEmbeddings.ToArray(), two.ItemEmbeddings.ToArray());
    }

    [Fact]
    public void Each_sweep_lowers_the_weighted_loss_with_the_exact_solver()
    {
        var data = SyntheticData.Create();
        double previous = double.PositiveInfinity;
        for (int iterations = 1; iterations <= 4; iterations++)
        {
            var model = new ImplicitAls(new ImplicitAlsOptions { Factors = 6, Iterations = iterations, Regularisation = 0.3, Alpha = 4, Solver = AlsSolver.Cholesky });
            model.Fit(data);
            double loss = Loss(model, data, 0.3, 4);
            Assert.True(loss <= previous + 1e-6, $"sweep {iterations}: loss {loss} above {previous}");
            previous = loss;
        }
    }

    private static double Loss(ImplicitAls model, CsrMatrix data, double reg, double alpha)
    {
        int f = model.EmbeddingDimension;
        float[] users = model.UserEmbeddings.ToArray(), items = model.ItemEmbeddings.ToArray();
        double loss = 0;
        for (int u = 0; u < data.Rows; u++)
        {
            for (int i = 0; i < data.Columns; i++)
            {
                double dot = 0;
                for (int k = 0; k < f; k++)
                {
                    dot += users[(u * f) + k] * items[(i * f) + k];
                }
                bool observed = data.Get(u, i) != 0 || data.RowIndices(u).Contains(i);
                double c = observed ? 1 + alpha : 1, p = observed ? 1 : 0;
                loss += c * (p - dot) * (p - dot);
            }
        }
        loss += reg * (users.Sum(v => (double)v * v) + items.Sum(v => (double)v * v));
        return loss;
    }

    [Fact]
    public void A_new_user_is_embedded_from_their_history_without_retraining()
    {
        var data = SyntheticData.Create();
        var model = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 10, Regularisation = 0.5, Alpha = 5 });
        model.Fit(data);
        var vector = new float[model.EmbeddingDimension];
        model.EmbedHistory([20, 21, 23, 25], [], vector); // cluster 2's block is items 20–29
        var scores = new float[model.ItemCount];
        EmbeddingMath.ScoreAll(vector, model.ItemEmbeddings.Span, scores);
        foreach (int seen in new[] { 20, 21, 23, 25 })
        {
            scores[seen] = float.NegativeInfinity;
        }
        var top = TopK.Select(scores, 4);
        Assert.True(top.Count(r => r.Item / 10 == 2) >= 3, string.Join(", ", top.Select(r => r.Item)));
    }

    [Fact]
    public void Warm_scores_are_the_inner_product_of_the_exported_user_and_item_vectors()
    {
        var data = SyntheticData.Create();
        var model = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 3 });
        model.Fit(data);
        var user = new float[8];
        Assert.True(model.TryGetUserEmbedding(2, user));
        Assert.False(model.TryGetUserEmbedding(SyntheticData.EmptyUser, user));
        Assert.True(model.TryGetUserEmbedding(2, user));
        var expected = new float[data.Columns];
        EmbeddingMath.ScoreAll(user, EmbeddingMath.ExportItems(model), expected);
        var scores = new float[data.Columns];
        model.Score(2, scores);
        Assert.Equal(expected, scores);
    }

    [Fact]
    public void Early_stopping_picks_a_sweep_count_on_a_held_out_split_and_saves_it()
    {
        var data = SyntheticData.Create();
        var model = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 12, Regularisation = 0.5, Alpha = 5, ValidationFraction = 0.2, Patience = 2 });
        model.Fit(data);
        Assert.InRange(model.FittedIterations, 1, 12);
        Assert.InRange(model.ValidationNdcg, 0.01, 1);
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        var loaded = Assert.IsType<ImplicitAls>(ModelFile.Load(stream));
        Assert.Equal(model.FittedIterations, loaded.FittedIterations);
        Assert.Equal(model.ValidationNdcg, loaded.ValidationNdcg);
    }

    [Fact]
    public void Invalid_options_are_rejected_naming_the_option()
    {
        Assert.Equal("Regularisation", Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitAls(new ImplicitAlsOptions { Regularisation = 0 })).ParamName);
        Assert.Equal("CgSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitAls(new ImplicitAlsOptions { CgSteps = 0 })).ParamName);
        Assert.Equal("ValidationFraction", Assert.Throws<ArgumentOutOfRangeException>(() => new ImplicitAls(new ImplicitAlsOptions { ValidationFraction = 1 })).ParamName);
    }
}

public sealed class EmbeddingSimilarityTests
{
    [Fact]
    public void Similar_items_from_exported_embeddings_match_the_models_own_cosine_ranking()
    {
        var model = new ImplicitAls(new ImplicitAlsOptions { Factors = 8, Iterations = 5 });
        model.Fit(SyntheticData.Create());
        for (int item = 0; item < model.ItemCount; item += 7)
        {
            if (item == SyntheticData.UntouchedItem)
            {
                continue;
            }
            Assert.Equal(model.SimilarItems(item, 5).Select(r => r.Item), EmbeddingMath.SimilarItems(model, item, 5).Select(r => r.Item));
        }
    }

    [Fact]
    public void Normalised_export_gives_unit_rows_and_leaves_the_model_untouched()
    {
        var model = new Bpr(new BprOptions { Factors = 4, Epochs = 3 });
        model.Fit(SyntheticData.Create());
        float[] before = model.ItemEmbeddings.ToArray();
        float[] unit = EmbeddingMath.ExportItems(model, normalise: true);
        for (int i = 0; i < model.ItemCount; i++)
        {
            Assert.Equal(1f, MathF.Sqrt(unit.AsSpan(i * 5, 5).ToArray().Sum(v => v * v)), 4);
        }
        Assert.Equal(before, model.ItemEmbeddings.ToArray());
    }
}
