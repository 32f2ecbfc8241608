using System.Globalization;
using Cascade.Core;

namespace Cascade.Pipeline.Selection;

/// <summary>
/// Model selection at training time (<c>Cascade:Pipeline:Selection</c>): which sources, with which hyper-parameters,
/// fused with which weights, ranked by which ranker — chosen on a validation split carved from the training data
/// (docs/selection.md). On when the configuration names no sources; a configuration that names them may turn it on to
/// search only what it leaves open (the fusion weights, and the ranker when none is configured).
/// </summary>
public sealed class SelectionOptions
{
    /// <summary>The model families searched by default, cheapest first.</summary>
    public static IReadOnlyList<string> DefaultModels { get; } = ["itemknn", "rp3beta", "sar", "ease", "als"];

    /// <summary>The rankers tried by default over the chosen sources.</summary>
    public static IReadOnlyList<string> DefaultRankers { get; } = ["lr"];

    /// <summary>On or off; null (default): on when the configuration names no sources.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Wall-clock budget of the search in seconds; no trial starts after it (default 150). The final fit on all the data comes after.</summary>
    public double BudgetSeconds { get; set; } = 150;

    /// <summary>The validation metric maximised: ndcg@K, recall@K, precision@K or hitrate@K (default ndcg@10).</summary>
    public string Metric { get; set; } = "ndcg@10";

    /// <summary>
    /// Which of a validation user's interactions are held out: "newest" (time-aware, what serving faces) or "random" (a
    /// random share). Null (default): newest, except under <c>cascade evaluate</c>, which mirrors its test split's protocol.
    /// </summary>
    public string? Validation { get; set; }

    /// <summary>Share of each validation user's interactions held out (default 0.2).</summary>
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>Most users whose newest interactions form the validation split (default 2000, sampled).</summary>
    public int ValidationUsers { get; set; } = 2000;

    /// <summary>Fewest validation users for a search; with fewer, the baseline pipeline is used and the report says why (default 50).</summary>
    public int MinValidationUsers { get; set; } = 50;

    /// <summary>The model families searched (names of <c>cascade evaluate --models</c>); default <see cref="DefaultModels"/>.</summary>
    public List<string>? Models { get; set; }

    /// <summary>The ranker kinds tried over the chosen sources (empty: fusion only); default <see cref="DefaultRankers"/>.</summary>
    public List<string>? Rankers { get; set; }

    /// <summary>Random grid points tried per model family before the best families are refined (default 80).</summary>
    public int TrialsPerFamily { get; set; } = 80;

    /// <summary>
    /// More validation splits the refined families' finalists are scored on; a family's configuration is the one with the
    /// best mean over all splits (default 2; 0: the first split alone decides).
    /// </summary>
    public int ValidationRepeats { get; set; } = 2;

    /// <summary>How many of each refined family's best configurations on the first split are scored again (default 6).</summary>
    public int Finalists { get; set; } = 6;

    /// <summary>How many of the best model families are refined and join the fusion (default 3).</summary>
    public int TopFamilies { get; set; } = 3;

    /// <summary>EASE is left out above this many items: it inverts a dense items × items matrix (default 6000).</summary>
    public int MaxEaseItems { get; set; } = 6000;

    /// <summary>Seed of the validation sample and the trial order (default 42).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>The metric's name and cut-off.</summary>
    public (string Name, int K) ParsedMetric()
    {
        string[] parts = (Metric ?? "").Split('@');
        return parts.Length == 2 && parts[0] is "ndcg" or "recall" or "precision" or "hitrate"
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k is >= 1 and <= 1000
            ? (parts[0], k)
            : throw new ArgumentException($"Pipeline:Selection:Metric '{Metric}' is not one of ndcg@K, recall@K, precision@K, hitrate@K (K in 1..1000).");
    }

    /// <summary>Adds every problem, naming its setting, to <paramref name="errors"/>.</summary>
    /// <param name="errors">The list of problems.</param>
    public void Validate(List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        const string at = "Pipeline:Selection";
        Guard.Collect(errors, () => Guard.InRange(BudgetSeconds, 1, 86_400, name: $"{at}:BudgetSeconds"));
        Guard.Collect(errors, () => ParsedMetric());
        if (Validation is not null)
        {
            Guard.Collect(errors, () => Guard.OneOf(Validation, ["newest", "random"], $"{at}:Validation"));
        }
        Guard.Collect(errors, () => Guard.InRange(ValidationFraction, 0, 1, minExclusive: true, maxExclusive: true, $"{at}:ValidationFraction"));
        Guard.Collect(errors, () => Guard.InRange(ValidationUsers, 10, 1_000_000, $"{at}:ValidationUsers"));
        Guard.Collect(errors, () => Guard.InRange(MinValidationUsers, 1, 1_000_000, $"{at}:MinValidationUsers"));
        Guard.Collect(errors, () => Guard.InRange(TopFamilies, 1, 10, $"{at}:TopFamilies"));
        Guard.Collect(errors, () => Guard.InRange(TrialsPerFamily, 0, 10_000, $"{at}:TrialsPerFamily"));
        Guard.Collect(errors, () => Guard.InRange(ValidationRepeats, 0, 10, $"{at}:ValidationRepeats"));
        Guard.Collect(errors, () => Guard.InRange(Finalists, 1, 100, $"{at}:Finalists"));
        Guard.Collect(errors, () => Guard.InRange(MaxEaseItems, 0, 30_000, $"{at}:MaxEaseItems"));
        if (Models is { Count: 0 })
        {
            errors.Add($"{at}:Models is empty: name at least one model family, or omit it for the default ones.");
        }
        foreach (string ranker in Rankers ?? [])
        {
            if (!Ranking.RankerCatalog.Names.Contains(ranker, StringComparer.Ordinal))
            {
                errors.Add($"{at}:Rankers: '{ranker}' is not a ranker kind (known: {string.Join(", ", Ranking.RankerCatalog.Names)}).");
            }
        }
        foreach (string model in Models ?? [])
        {
            if (!Cascade.Models.ModelCatalog.Default.Names.Contains(model, StringComparer.Ordinal))
            {
                errors.Add($"{at}:Models: '{model}' is not a model of cascade evaluate --models.");
            }
        }
    }
}
