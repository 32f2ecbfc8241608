using System.Globalization;
using Cascade.Core;

namespace Cascade.Ranking.Neural;

/// <summary>How the cross network and the deep network of a DCN-v2 are combined (Wang et al. 2021, figure 2).</summary>
public enum DcnStructure
{
    /// <summary>Both read x0; the output layer reads [x_L ; h_K] (what BARS uses on Frappe).</summary>
    Parallel = 0,

    /// <summary>The deep network reads the cross network's output x_L; the output layer reads h_K.</summary>
    Stacked = 1,
}

/// <summary>The validation metric that early stopping and learning-rate decay watch.</summary>
public enum DcnStoppingMetric
{
    /// <summary>Area under the ROC curve (higher is better).</summary>
    Auc = 0,

    /// <summary>Mean log loss (lower is better).</summary>
    LogLoss = 1,
}

/// <summary>Options of <see cref="DeepCrossNetworkV2"/>; defaults are defined here only.</summary>
public sealed record DcnV2Options
{
    /// <summary>Width d of each field's embedding (default 10, as BARS on Frappe).</summary>
    public int EmbeddingDimension { get; init; } = 10;

    /// <summary>Number of full-rank cross layers x_{l+1} = x0 ⊙ (W_l x_l + b_l) + x_l (default 4).</summary>
    public int CrossLayers { get; init; } = 4;

    /// <summary>Widths of the deep network's ReLU layers; empty for a cross-only model (default 400, 400, 400).</summary>
    public IReadOnlyList<int> HiddenUnits { get; init; } = [400, 400, 400];

    /// <summary>Parallel or stacked combination (default parallel).</summary>
    public DcnStructure Structure { get; init; } = DcnStructure.Parallel;

    /// <summary>Batch normalisation before each deep layer's ReLU (default true).</summary>
    public bool BatchNorm { get; init; } = true;

    /// <summary>Inverted dropout probability after each deep layer's ReLU (default 0.4, as BARS on Frappe).</summary>
    public double Dropout { get; init; } = 0.4;

    /// <summary>Adam step size (default 0.001).</summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>Rows per mini-batch (default 4096).</summary>
    public int BatchSize { get; init; } = 4096;

    /// <summary>Most passes over the training rows (default 100; early stopping ends sooner).</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Epochs without a better validation metric before stopping (default 2).</summary>
    public int Patience { get; init; } = 2;

    /// <summary>Factor applied to the learning rate after an epoch that does not improve the validation metric; 1 turns it off (default 0.1).</summary>
    public double LearningRateDecay { get; init; } = 0.1;

    /// <summary>Metric early stopping watches (default AUC).</summary>
    public DcnStoppingMetric StoppingMetric { get; init; } = DcnStoppingMetric.Auc;

    /// <summary>
    /// L2 penalty λ on the embedding rows a row looks up: each row adds (λ/2)·Σ_f ‖e_f‖² to its loss, so the update
    /// stays sparse (default 0; see <see cref="EmbeddingTableL2"/>).
    /// </summary>
    public double EmbeddingL2 { get; init; }

    /// <summary>
    /// L2 penalty μ on the whole embedding table, (μ/2)·‖E‖² added to every batch's loss as FuxiCTR's
    /// <c>embedding_regularizer</c> does: every row, touched or not, takes an Adam step each batch, so the update is dense
    /// over the table. It is what lifts Frappe's validation AUC from 0.9806 to 0.9848 (docs/rankers-dcnv2.md);
    /// set it to 0 and use <see cref="EmbeddingL2"/> for tables too large to sweep every batch (default 0.05).
    /// </summary>
    public double EmbeddingTableL2 { get; init; } = 0.05;

    /// <summary>Decoupled (AdamW) weight decay of the dense weights (default 0).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Standard deviation of the N(0, σ²) initialisation of embeddings (default 0.01).</summary>
    public double EmbeddingInitStd { get; init; } = 0.01;

    /// <summary>Threads that share each mini-batch (default: the processor count). Results do not depend on it.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Seed of initialisation, shuffling and dropout (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Checks every option, naming the one that is wrong; returns the options.</summary>
    public DcnV2Options Validate()
    {
        Guard.Positive(EmbeddingDimension);
        Guard.NonNegative(CrossLayers);
        ArgumentNullException.ThrowIfNull(HiddenUnits);
        foreach (int width in HiddenUnits)
        {
            Guard.Positive(width, nameof(HiddenUnits));
        }
        if (CrossLayers == 0 && HiddenUnits.Count == 0)
        {
            Guard.ThrowInvalid(nameof(CrossLayers), "The model needs at least one cross layer or one hidden layer: CrossLayers is 0 and HiddenUnits is empty.");
        }
        Guard.InRange(Dropout, 0, 1, maxExclusive: true);
        Guard.Positive(LearningRate);
        Guard.Positive(BatchSize);
        Guard.NonNegative(Epochs);
        Guard.Positive(Patience);
        Guard.InRange(LearningRateDecay, 0, 1, minExclusive: true);
        Guard.NonNegative(EmbeddingL2);
        Guard.NonNegative(EmbeddingTableL2);
        Guard.NonNegative(WeightDecay);
        Guard.NonNegative(EmbeddingInitStd);
        Guard.Positive(Threads);
        return this;
    }

    /// <summary>
    /// Options from command-line parameters (lower-case keys): dim, cross, hidden (e.g. "400-400-400", "none" for
    /// cross-only), structure (parallel|stacked), bn (true|false), dropout, lr, batch, epochs, patience, lrdecay,
    /// metric (auc|logloss), l2emb, wd, initstd, threads.
    /// </summary>
    /// <param name="parameters">Parameters by key; unknown keys are refused.</param>
    /// <param name="seed">Random seed.</param>
    /// <exception cref="FormatException">A value does not parse.</exception>
    /// <exception cref="ArgumentException">A key is unknown or a value is out of range.</exception>
    public static DcnV2Options FromParameters(IReadOnlyDictionary<string, string> parameters, int seed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var options = new DcnV2Options { Seed = seed };
        foreach (var (key, value) in parameters)
        {
            options = key switch
            {
                "dim" => options with { EmbeddingDimension = Int(key, value) },
                "cross" => options with { CrossLayers = Int(key, value) },
                "hidden" => options with { HiddenUnits = Widths(value) },
                "structure" => options with
                {
                    Structure = value.ToLowerInvariant() switch
                    {
                        "parallel" => DcnStructure.Parallel,
                        "stacked" => DcnStructure.Stacked,
                        _ => throw new FormatException($"structure '{value}' is not 'parallel' or 'stacked'."),
                    }
                },
                "bn" => options with { BatchNorm = bool.TryParse(value, out bool bn) ? bn : throw new FormatException($"bn '{value}' is not true or false.") },
                "dropout" => options with { Dropout = Real(key, value) },
                "lr" => options with { LearningRate = Real(key, value) },
                "batch" => options with { BatchSize = Int(key, value) },
                "epochs" => options with { Epochs = Int(key, value) },
                "patience" => options with { Patience = Int(key, value) },
                "lrdecay" => options with { LearningRateDecay = Real(key, value) },
                "metric" => options with
                {
                    StoppingMetric = value.ToLowerInvariant() switch
                    {
                        "auc" => DcnStoppingMetric.Auc,
                        "logloss" => DcnStoppingMetric.LogLoss,
                        _ => throw new FormatException($"metric '{value}' is not 'auc' or 'logloss'."),
                    }
                },
                "l2emb" => options with { EmbeddingL2 = Real(key, value) },
                "l2table" => options with { EmbeddingTableL2 = Real(key, value) },
                "wd" => options with { WeightDecay = Real(key, value) },
                "initstd" => options with { EmbeddingInitStd = Real(key, value) },
                "threads" => options with { Threads = Int(key, value) },
                _ => throw new ArgumentException($"Unknown dcnv2 parameter '{key}'. Known: dim, cross, hidden, structure, bn, dropout, lr, batch, epochs, patience, lrdecay, metric, l2emb, l2table, wd, initstd, threads.", nameof(parameters)),
            };
        }
        return options.Validate();
    }

    private static int[] Widths(string value)
    {
        if (value is "" or "none")
        {
            return [];
        }
        return [.. value.Split('-', ',').Select(part => Int("hidden", part))];
    }

    private static int Int(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result) ? result : throw new FormatException($"{key} '{value}' is not an integer.");

    private static double Real(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double result) ? result : throw new FormatException($"{key} '{value}' is not a number.");
}
