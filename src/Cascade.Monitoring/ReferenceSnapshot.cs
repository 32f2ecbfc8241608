using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cascade.Monitoring;

/// <summary>
/// What the training data of a serving bundle looked like, kept small enough to travel with the bundle: per numeric
/// feature its PSI bins and a quantile sketch, per categorical feature its category counts, the score and predicted-CTR
/// distributions, the validation figures of the ranker, item popularity, and the per-window mean and spread of the
/// served-list metrics and event counts. Built by <see cref="ReferenceBuilder"/>; read and written as JSON
/// (<see cref="ToJson"/>, <see cref="FromJson"/>) with a <see cref="FormatVersion"/> that a reader checks.
/// </summary>
public sealed record ReferenceSnapshot
{
    /// <summary>The version of this layout a reader accepts.</summary>
    public const int CurrentFormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The layout version; <see cref="CurrentFormatVersion"/> when written by this code.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The numeric features.</summary>
    public IReadOnlyList<NumericReference> Numeric { get; init; } = [];

    /// <summary>The categorical features.</summary>
    public IReadOnlyList<CategoricalReference> Categorical { get; init; } = [];

    /// <summary>The ranker's score distribution, or null.</summary>
    public NumericReference? Scores { get; init; }

    /// <summary>The predicted-CTR distribution, or null.</summary>
    public NumericReference? Predictions { get; init; }

    /// <summary>The ranker on its validation impressions (AUC, CTR, calibration bins), or null.</summary>
    public ConceptReference? Concept { get; init; }

    /// <summary>Interactions per item in the training data: the popularity served lists are measured by.</summary>
    public IReadOnlyDictionary<string, long> ItemPopularity { get; init; } = new Dictionary<string, long>();

    /// <summary>Items in the catalog (the denominator of coverage); at least the items of <see cref="ItemPopularity"/>.</summary>
    public int CatalogSize { get; init; }

    /// <summary>Per served-list metric (<see cref="ServedListMetrics"/> names), its mean and spread over the reference's windows.</summary>
    public IReadOnlyDictionary<string, WindowBaseline> Served { get; init; } = new Dictionary<string, WindowBaseline>();

    /// <summary>Per event type, the mean and spread of its count over the reference's windows.</summary>
    public IReadOnlyDictionary<string, WindowBaseline> EventCounts { get; init; } = new Dictionary<string, WindowBaseline>();

    /// <summary>The snapshot as JSON (snake_case keys).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a snapshot written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="InvalidDataException">The text is not a snapshot, or of a layout version this code does not read.</exception>
    public static ReferenceSnapshot FromJson(string json)
    {
        ReferenceSnapshot? snapshot;
        try
        {
            snapshot = JsonSerializer.Deserialize<ReferenceSnapshot>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The drift reference is not valid JSON: {e.Message}", e);
        }
        if (snapshot is null || snapshot.FormatVersion != CurrentFormatVersion)
        {
            throw new InvalidDataException($"The drift reference has format version {snapshot?.FormatVersion}; this build reads version {CurrentFormatVersion}. Rebuild the reference from the training data.");
        }
        return snapshot;
    }
}

/// <summary>A numeric distribution of the reference.</summary>
/// <param name="Name">The feature's name (or <c>score</c>, <c>pctr</c>).</param>
/// <param name="Count">Values seen, missing ones included.</param>
/// <param name="MissingRate">Share of missing values.</param>
/// <param name="Mean">Mean of the present values.</param>
/// <param name="StdDev">Standard deviation of the present values.</param>
/// <param name="BinEdges">The PSI bins' inner edges (quantiles of the present values), ascending; bin i holds values in (edge[i−1], edge[i]].</param>
/// <param name="BinShares">The share of present values in each bin (one more than the edges).</param>
/// <param name="Quantiles">Quantiles at evenly spaced probabilities 0, 1/(q−1), …, 1: the sketch KS and Wasserstein compare against.</param>
public sealed record NumericReference(
    string Name,
    long Count,
    double MissingRate,
    double Mean,
    double StdDev,
    IReadOnlyList<double> BinEdges,
    IReadOnlyList<double> BinShares,
    IReadOnlyList<double> Quantiles)
{
    /// <summary>The present (non-missing) values seen.</summary>
    [JsonIgnore]
    public long Present => (long)Math.Round(Count * (1 - MissingRate));

    /// <summary>The reference CDF at <paramref name="x"/>: linear between the sketch's quantiles, 0 below the first and 1 above the last.</summary>
    /// <param name="x">A value.</param>
    public double Cdf(double x)
    {
        var q = Quantiles;
        int last = q.Count - 1;
        if (x < q[0])
        {
            return 0;
        }
        if (x >= q[last])
        {
            return 1;
        }
        // The last quantile at or below x, found by bisection (q is sorted).
        int lo = 0, hi = last;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >>> 1;
            if (q[mid] <= x)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        // Ties in the sketch (a discrete feature) put the whole step at the tie: x at a tied value gets its upper probability.
        double width = q[hi] - q[lo];
        double within = width > 0 ? (x - q[lo]) / width : 1;
        return (lo + within) / last;
    }
}

/// <summary>A categorical distribution of the reference.</summary>
/// <param name="Name">The feature's name.</param>
/// <param name="Count">Values seen, missing ones included.</param>
/// <param name="MissingRate">Share of missing values.</param>
/// <param name="Categories">Present values per category; categories beyond the kept ones are pooled under <see cref="OtherCategory"/>.</param>
public sealed record CategoricalReference(string Name, long Count, double MissingRate, IReadOnlyDictionary<string, long> Categories)
{
    /// <summary>The pool of the rarer categories a reference did not keep by name.</summary>
    public const string OtherCategory = "\u0000other";
}

/// <summary>The ranker on the reference's (validation) impressions.</summary>
/// <param name="Impressions">Joined impressions.</param>
/// <param name="Clicks">Clicked impressions among them.</param>
/// <param name="Auc">The ranker's AUC of the predicted CTR against the clicks.</param>
/// <param name="Ctr">Clicks / impressions.</param>
/// <param name="Ece">Expected calibration error over <see cref="BinCounts"/>' equal-width bins.</param>
/// <param name="BinCounts">Impressions per equal-width predicted-CTR bin.</param>
/// <param name="BinClicks">Clicks per bin.</param>
public sealed record ConceptReference(long Impressions, long Clicks, double Auc, double Ctr, double Ece, IReadOnlyList<long> BinCounts, IReadOnlyList<long> BinClicks);

/// <summary>A per-window figure of the reference: its mean and standard deviation over the reference's windows.</summary>
/// <param name="Windows">Reference windows measured.</param>
/// <param name="Mean">Mean over the windows.</param>
/// <param name="StdDev">Sample standard deviation over the windows.</param>
public sealed record WindowBaseline(int Windows, double Mean, double StdDev);
