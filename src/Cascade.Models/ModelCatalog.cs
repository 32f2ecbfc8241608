using System.Globalization;
using Cascade.Models.Baselines;
using Cascade.Models.Factorisation;
using Cascade.Models.Linear;
using Cascade.Models.Neighbourhood;
using Cascade.Models.Neural;

namespace Cascade.Models;

/// <summary>
/// Builds recommenders from <see cref="ModelSpec"/>s and holds each model's tuning grid. The models of this assembly
/// are an explicit switch, not a reflection registry: adding one means adding a case here. Models built elsewhere
/// (the multi-stage pipeline, which sits above this assembly) are given to the constructor by whoever composes the
/// application. Unset parameters take the options' defaults. Immutable and thread-safe.
/// </summary>
public sealed class ModelCatalog
{
    private static readonly string[] BuiltInNames = ["mostpop", "itemknn", "sar", "ease", "rp3beta", "mf", "als", "bpr", "twotower"];

    private readonly Dictionary<string, ModelFactory> _extensions = new(StringComparer.Ordinal);

    /// <summary>Creates a catalog of the models of this assembly plus <paramref name="extensions"/>.</summary>
    /// <param name="extensions">Models built outside this assembly, each under its own lower-case name.</param>
    /// <exception cref="ArgumentException">Two extensions share a name, or one is named like a model of this assembly.</exception>
    public ModelCatalog(IEnumerable<ModelFactory> extensions)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        foreach (var extension in extensions)
        {
            ArgumentNullException.ThrowIfNull(extension, nameof(extensions));
            if (Array.IndexOf(BuiltInNames, extension.Name) >= 0 || !_extensions.TryAdd(extension.Name, extension))
            {
                throw new ArgumentException($"Model '{extension.Name}' is already in the catalog.", nameof(extensions));
            }
        }
        Names = [.. BuiltInNames, .. _extensions.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>The models of this assembly only.</summary>
    public static ModelCatalog Default { get; } = new([]);

    /// <summary>The model names accepted (aliases in parentheses in <see cref="Describe"/>).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>One line per model: its name, aliases and parameter keys.</summary>
    public string Describe() => string.Join(Environment.NewLine,
        "mostpop (most-popular): weight-by-value",
        "itemknn (item-knn): similarity=cosine|asymmetric, neighbours, shrink, alpha, binarize",
        "sar: similarity=jaccard|lift|cooccurrence, threshold, decay, half-life-days",
        "ease: lambda, binarize",
        "rp3beta: alpha, beta, neighbours, normalise, binarize",
        "mf (biased-mf, svd): factors, epochs, lr, reg, init-std, biased, seed",
        "als (implicit-als): factors, iterations, reg, alpha, use-values, solver=cg|cholesky, cg-steps, init-std, seed, threads, validation, patience",
        "bpr: factors, epochs, lr, reg, sampling=uniform|popularity, popularity-exponent, seed, threads, validation, validate-every, patience",
        "twotower (two-tower): dim, epochs, batch, lr, wd, temperature, logq, negatives, normalise, history-dropout, pooling, max-history, id-dropout, init-std, seed, validation, patience")
        + string.Concat(_extensions.Values.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => $"{Environment.NewLine}{e.Name}: {e.Description}"));

    /// <summary>Creates an unfitted recommender for <paramref name="spec"/>.</summary>
    /// <param name="spec">The model and its parameters.</param>
    /// <param name="seed">Seed for models with randomness, unless the spec sets one.</param>
    /// <exception cref="ArgumentException">The model name or a parameter key is unknown, or a value is out of range.</exception>
    public IRecommender Create(ModelSpec spec, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Name)
        {
            case "mostpop" or "most-popular" or "pop":
                CheckKeys(spec, "weight-by-value");
                return new MostPopular(new MostPopularOptions { WeightByValue = spec.GetBool("weight-by-value", false) });
            case "itemknn" or "item-knn":
                {
                    CheckKeys(spec, "similarity", "neighbours", "shrink", "alpha", "binarize");
                    var defaults = new ItemKnnOptions();
                    return new ItemKnn(new ItemKnnOptions
                    {
                        Similarity = spec.GetString("similarity", defaults.Similarity == ItemSimilarity.Cosine ? "cosine" : "asymmetric") switch
                        {
                            "cosine" => ItemSimilarity.Cosine,
                            "asymmetric" or "asymmetric-cosine" => ItemSimilarity.AsymmetricCosine,
                            string other => throw new ArgumentException($"itemknn similarity '{other}' is unknown; use cosine or asymmetric.", nameof(spec)),
                        },
                        Neighbours = spec.GetInt("neighbours", defaults.Neighbours),
                        Shrink = (float)spec.GetDouble("shrink", defaults.Shrink),
                        Alpha = (float)spec.GetDouble("alpha", defaults.Alpha),
                        Binarize = spec.GetBool("binarize", defaults.Binarize),
                    });
                }
            case "sar":
                {
                    CheckKeys(spec, "similarity", "threshold", "decay", "half-life-days");
                    var defaults = new SarOptions();
                    return new Sar(new SarOptions
                    {
                        Similarity = spec.GetString("similarity", "jaccard") switch
                        {
                            "jaccard" => SarSimilarity.Jaccard,
                            "lift" => SarSimilarity.Lift,
                            "cooccurrence" or "counts" => SarSimilarity.Cooccurrence,
                            string other => throw new ArgumentException($"sar similarity '{other}' is unknown; use jaccard, lift or cooccurrence.", nameof(spec)),
                        },
                        CooccurrenceThreshold = spec.GetInt("threshold", defaults.CooccurrenceThreshold),
                        TimeDecay = spec.GetBool("decay", defaults.TimeDecay),
                        HalfLife = TimeSpan.FromDays(spec.GetDouble("half-life-days", defaults.HalfLife.TotalDays)),
                    });
                }
            case "ease":
                {
                    CheckKeys(spec, "lambda", "binarize", "dropout", "zero-diagonal", "value-exponent");
                    var defaults = new EaseOptions();
                    return new Ease(new EaseOptions
                    {
                        Lambda = spec.GetDouble("lambda", defaults.Lambda),
                        // A value exponent asks for values: binarize defaults to false then.
                        Binarize = spec.GetBool("binarize", defaults.Binarize && !spec.Parameters.ContainsKey("value-exponent")),
                        Dropout = spec.GetDouble("dropout", defaults.Dropout),
                        ZeroDiagonal = spec.GetBool("zero-diagonal", defaults.ZeroDiagonal),
                        ValueExponent = spec.GetDouble("value-exponent", defaults.ValueExponent),
                    });
                }
            case "rp3beta" or "rp3b":
                {
                    CheckKeys(spec, "alpha", "beta", "neighbours", "normalise", "binarize");
                    var defaults = new Rp3BetaOptions();
                    return new Rp3Beta(new Rp3BetaOptions
                    {
                        Alpha = (float)spec.GetDouble("alpha", defaults.Alpha),
                        Beta = (float)spec.GetDouble("beta", defaults.Beta),
                        Neighbours = spec.GetInt("neighbours", defaults.Neighbours),
                        NormaliseRows = spec.GetBool("normalise", defaults.NormaliseRows),
                        Binarize = spec.GetBool("binarize", defaults.Binarize),
                    });
                }
            case "mf" or "biased-mf" or "svd":
                {
                    CheckKeys(spec, "factors", "epochs", "lr", "reg", "init-std", "biased", "seed");
                    var defaults = new BiasedMatrixFactorisationOptions();
                    return new BiasedMatrixFactorisation(new BiasedMatrixFactorisationOptions
                    {
                        Factors = spec.GetInt("factors", defaults.Factors),
                        Epochs = spec.GetInt("epochs", defaults.Epochs),
                        LearningRate = spec.GetDouble("lr", defaults.LearningRate),
                        Regularisation = spec.GetDouble("reg", defaults.Regularisation),
                        InitStd = spec.GetDouble("init-std", defaults.InitStd),
                        Biased = spec.GetBool("biased", defaults.Biased),
                        Seed = spec.GetInt("seed", seed),
                    });
                }
            case "als" or "implicit-als" or "ials":
                {
                    CheckKeys(spec, "factors", "iterations", "reg", "alpha", "use-values", "solver", "cg-steps", "init-std", "seed", "threads", "validation", "patience");
                    var defaults = new ImplicitAlsOptions();
                    return new ImplicitAls(new ImplicitAlsOptions
                    {
                        Factors = spec.GetInt("factors", defaults.Factors),
                        Iterations = spec.GetInt("iterations", defaults.Iterations),
                        Regularisation = spec.GetDouble("reg", defaults.Regularisation),
                        Alpha = spec.GetDouble("alpha", defaults.Alpha),
                        UseValues = spec.GetBool("use-values", defaults.UseValues),
                        Solver = spec.GetString("solver", "cg") switch
                        {
                            "cg" or "conjugate-gradient" => AlsSolver.ConjugateGradient,
                            "cholesky" => AlsSolver.Cholesky,
                            string other => throw new ArgumentException($"als solver '{other}' is unknown; use cg or cholesky.", nameof(spec)),
                        },
                        CgSteps = spec.GetInt("cg-steps", defaults.CgSteps),
                        InitStd = spec.GetDouble("init-std", defaults.InitStd),
                        Seed = spec.GetInt("seed", seed),
                        Threads = spec.GetInt("threads", defaults.Threads),
                        ValidationFraction = spec.GetDouble("validation", defaults.ValidationFraction),
                        Patience = spec.GetInt("patience", defaults.Patience),
                    });
                }
            case "bpr":
                {
                    CheckKeys(spec, "factors", "epochs", "lr", "reg", "sampling", "popularity-exponent", "seed", "threads", "validation", "validate-every", "patience");
                    var defaults = new BprOptions();
                    return new Bpr(new BprOptions
                    {
                        Factors = spec.GetInt("factors", defaults.Factors),
                        Epochs = spec.GetInt("epochs", defaults.Epochs),
                        LearningRate = spec.GetDouble("lr", defaults.LearningRate),
                        Regularisation = spec.GetDouble("reg", defaults.Regularisation),
                        Sampling = spec.GetString("sampling", "uniform") switch
                        {
                            "uniform" => NegativeSampling.Uniform,
                            "popularity" or "pop" => NegativeSampling.Popularity,
                            string other => throw new ArgumentException($"bpr sampling '{other}' is unknown; use uniform or popularity.", nameof(spec)),
                        },
                        PopularityExponent = spec.GetDouble("popularity-exponent", defaults.PopularityExponent),
                        Seed = spec.GetInt("seed", seed),
                        Threads = spec.GetInt("threads", defaults.Threads),
                        ValidationFraction = spec.GetDouble("validation", defaults.ValidationFraction),
                        ValidateEvery = spec.GetInt("validate-every", defaults.ValidateEvery),
                        Patience = spec.GetInt("patience", defaults.Patience),
                    });
                }
            case "twotower" or "two-tower":
                {
                    CheckKeys(spec, "dim", "epochs", "batch", "lr", "wd", "temperature", "logq", "negatives", "normalise", "history-dropout", "pooling", "max-history", "id-dropout", "init-std", "seed", "validation", "patience");
                    var defaults = new TwoTowerOptions();
                    return new TwoTower(new TwoTowerOptions
                    {
                        Dimension = spec.GetInt("dim", defaults.Dimension),
                        Epochs = spec.GetInt("epochs", defaults.Epochs),
                        BatchSize = spec.GetInt("batch", defaults.BatchSize),
                        LearningRate = spec.GetDouble("lr", defaults.LearningRate),
                        WeightDecay = spec.GetDouble("wd", defaults.WeightDecay),
                        Temperature = spec.GetDouble("temperature", defaults.Temperature),
                        LogQCorrection = spec.GetBool("logq", defaults.LogQCorrection),
                        Negatives = spec.GetInt("negatives", defaults.Negatives),
                        NormaliseOutputs = spec.GetBool("normalise", defaults.NormaliseOutputs),
                        HistoryDropout = spec.GetDouble("history-dropout", defaults.HistoryDropout),
                        PoolingExponent = spec.GetDouble("pooling", defaults.PoolingExponent),
                        MaxHistory = spec.GetInt("max-history", defaults.MaxHistory),
                        UserIdDropout = spec.GetDouble("id-dropout", defaults.UserIdDropout),
                        InitStd = spec.GetDouble("init-std", defaults.InitStd),
                        Seed = spec.GetInt("seed", seed),
                        ValidationFraction = spec.GetDouble("validation", defaults.ValidationFraction),
                        Patience = spec.GetInt("patience", defaults.Patience),
                    });
                }
            default:
                if (_extensions.TryGetValue(spec.Name, out var extension))
                {
                    return extension.Create(spec, seed);
                }
                throw new ArgumentException($"Unknown model '{spec.Name}'. Known models:{Environment.NewLine}{Describe()}", nameof(spec));
        }
    }

    /// <summary>The tuning grid of a model: each parameter key with the values tried (empty when nothing is tuned).</summary>
    /// <param name="name">The model name.</param>
    public static IReadOnlyList<(string Key, string[] Values)> SearchSpace(string name) => (name ?? "").ToLowerInvariant() switch
    {
        "ease" =>
        [
            ("lambda", Numbers(10, 25, 50, 100, 150, 200, 300, 400, 500, 700, 1000, 1500, 2000, 3000)),
            ("dropout", Numbers(0, 0.1, 0.25, 0.33, 0.5, 0.67)),
            ("zero-diagonal", ["true", "false"]),
            ("binarize", ["true", "false"]),
            ("value-exponent", Numbers(0.25, 0.5, 1)),
        ],
        "rp3beta" or "rp3b" =>
        [
            ("alpha", Numbers(0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.5)),
            ("beta", Numbers(0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)),
            ("neighbours", Numbers(10, 25, 50, 100, 200, 400, 800)),
            ("normalise", ["false", "true"]),
        ],
        "itemknn" or "item-knn" =>
        [
            ("similarity", ["cosine", "asymmetric"]),
            ("neighbours", Numbers(10, 25, 50, 100, 200, 400, 800)),
            ("shrink", Numbers(0, 5, 10, 25, 50, 100, 200)),
            ("alpha", Numbers(0.1, 0.3, 0.5, 0.7, 0.9)),
        ],
        "sar" =>
        [
            ("similarity", ["jaccard", "lift", "cooccurrence"]),
            ("decay", ["true", "false"]),
            ("half-life-days", Numbers(7, 30, 90, 365, 1000)),
        ],
        "mf" or "biased-mf" or "svd" =>
        [
            ("factors", Numbers(20, 50, 100, 200)),
            ("epochs", Numbers(10, 20, 40, 60)),
            ("lr", Numbers(0.002, 0.005, 0.01, 0.02)),
            ("reg", Numbers(0.01, 0.02, 0.05, 0.1)),
        ],
        "als" or "implicit-als" or "ials" =>
        [
            ("factors", Numbers(64, 128, 200)),
            ("reg", Numbers(1, 5, 20, 50, 100, 200)),
            ("alpha", Numbers(0.5, 1, 2, 5, 10)),
            ("iterations", Numbers(10, 15, 30)),
            ("use-values", ["false", "true"]),
        ],
        "bpr" =>
        [
            ("factors", Numbers(50, 100, 200)),
            ("epochs", Numbers(50, 100, 200)),
            ("lr", Numbers(0.005, 0.01, 0.02, 0.05)),
            ("reg", Numbers(0.0001, 0.001, 0.01)),
            ("sampling", ["uniform", "popularity"]),
        ],
        "twotower" or "two-tower" =>
        [
            ("epochs", Numbers(10, 20, 30, 40)),
            ("lr", Numbers(0.003, 0.005)),
            ("wd", Numbers(0.05, 0.1, 0.3)),
            ("id-dropout", Numbers(0.2, 1)),
            ("history-dropout", Numbers(0, 0.5, 0.85, 0.9)),
            ("max-history", Numbers(50, 2000)),
        ],
        _ => [],
    };

    private static string[] Numbers(params double[] values)
    {
        var result = new string[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i].ToString(CultureInfo.InvariantCulture);
        }
        return result;
    }

    private static void CheckKeys(ModelSpec spec, params string[] allowed)
    {
        foreach (string key in spec.Parameters.Keys)
        {
            if (Array.IndexOf(allowed, key) < 0)
            {
                throw new ArgumentException($"Model '{spec.Name}' has no parameter '{key}'; it takes: {string.Join(", ", allowed)}.", nameof(spec));
            }
        }
    }
}
