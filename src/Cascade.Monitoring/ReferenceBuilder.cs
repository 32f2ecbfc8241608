namespace Cascade.Monitoring;

/// <summary>
/// Builds a <see cref="ReferenceSnapshot"/> from windows of training-time traffic: every value of every feature,
/// score and prediction is kept until <see cref="Build"/> (feed it a sample when the training data is large), the
/// joined predictions and clicks stand for the validation set, and each window adds one observation to the baselines
/// of the served-list metrics and event counts, so windows should have the length the monitor will use.
/// </summary>
public sealed class ReferenceBuilder
{
    private readonly DriftOptions _options;
    private readonly IReadOnlyDictionary<string, long> _popularity;
    private readonly int _catalogSize;
    private readonly Dictionary<string, List<double>> _numeric = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Missing, Dictionary<string, long> Counts)> _categorical = new(StringComparer.Ordinal);
    private readonly List<double> _scores = [];
    private readonly List<double> _predictions = [];
    private readonly List<bool> _clicked = [];
    private readonly Dictionary<string, List<double>> _served = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<double>> _events = new(StringComparer.Ordinal);
    private int _windows;

    /// <summary>A builder measuring served lists against <paramref name="itemPopularity"/>.</summary>
    /// <param name="options">The settings (bins, sketch size, categories kept).</param>
    /// <param name="itemPopularity">Training interactions per item.</param>
    /// <param name="catalogSize">Items in the catalog.</param>
    public ReferenceBuilder(DriftOptions options, IReadOnlyDictionary<string, long> itemPopularity, int catalogSize)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(itemPopularity);
        _options = options.Validate();
        _popularity = itemPopularity;
        _catalogSize = Math.Max(catalogSize, itemPopularity.Count);
    }

    /// <summary>Adds one window of reference traffic.</summary>
    /// <param name="window">The window.</param>
    public void Add(MonitoringWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        foreach (var (name, values) in window.Numeric)
        {
            if (!_numeric.TryGetValue(name, out var list))
            {
                _numeric[name] = list = [];
            }
            list.AddRange(values);
        }
        foreach (var (name, values) in window.Categorical)
        {
            if (!_categorical.TryGetValue(name, out var entry))
            {
                entry = (0, new Dictionary<string, long>(StringComparer.Ordinal));
            }
            long missing = entry.Missing;
            foreach (string? v in values)
            {
                if (v is null)
                {
                    missing++;
                }
                else
                {
                    entry.Counts[v] = entry.Counts.GetValueOrDefault(v) + 1;
                }
            }
            _categorical[name] = (missing, entry.Counts);
        }
        _scores.AddRange(window.Scores.Span);
        _predictions.AddRange(window.Predictions.Span);
        _clicked.AddRange(window.Clicked.Span);
        if (window.ServedLists.Count > 0)
        {
            var metrics = ServedListMetrics.Measure(window.ServedLists, _popularity, _catalogSize, _options.PersonalisationPairs, (ulong)window.Start.UtcTicks);
            for (int i = 0; i < ServedListMetrics.Names.Count; i++)
            {
                Observe(_served, ServedListMetrics.Names[i], metrics.Values[i]);
            }
        }
        foreach (var (type, count) in window.EventCounts)
        {
            Observe(_events, type, count);
        }
        _windows++;
    }

    /// <summary>The snapshot of everything added.</summary>
    /// <exception cref="InvalidOperationException">No window was added.</exception>
    public ReferenceSnapshot Build()
    {
        if (_windows == 0)
        {
            throw new InvalidOperationException("A drift reference needs at least one window of training traffic; add windows before building.");
        }
        return new ReferenceSnapshot
        {
            Numeric = [.. _numeric.Select(p => Numeric(p.Key, p.Value))],
            Categorical = [.. _categorical.Select(p => Categorical(p.Key, p.Value.Missing, p.Value.Counts))],
            Scores = _scores.Count > 0 ? Numeric("score", _scores) : null,
            Predictions = _predictions.Count > 0 ? Numeric("pctr", _predictions) : null,
            Concept = _clicked.Count > 0 && _clicked.Count == _predictions.Count ? Concept() : null,
            ItemPopularity = new Dictionary<string, long>(_popularity, StringComparer.Ordinal),
            CatalogSize = _catalogSize,
            Served = Baselines(_served),
            EventCounts = Baselines(_events),
        };
    }

    private static void Observe(Dictionary<string, List<double>> into, string name, double value)
    {
        if (!into.TryGetValue(name, out var list))
        {
            into[name] = list = [];
        }
        list.Add(value);
    }

    private static Dictionary<string, WindowBaseline> Baselines(Dictionary<string, List<double>> observations) =>
        observations.ToDictionary(p => p.Key, p => Baseline(p.Value), StringComparer.Ordinal);

    private static WindowBaseline Baseline(List<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
        {
            return new WindowBaseline(0, double.NaN, double.NaN);
        }
        double mean = finite.Average();
        double variance = finite.Length > 1 ? finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1) : 0;
        return new WindowBaseline(finite.Length, mean, Math.Sqrt(variance));
    }

    private NumericReference Numeric(string name, List<double> values)
    {
        var present = values.Where(v => !double.IsNaN(v)).ToArray();
        Array.Sort(present);
        long count = values.Count;
        double missingRate = count > 0 ? (double)(count - present.Length) / count : 0;
        if (present.Length == 0)
        {
            return new NumericReference(name, count, missingRate, double.NaN, double.NaN, [], [1.0], [double.NaN, double.NaN]);
        }
        double mean = present.Average();
        double sd = Math.Sqrt(present.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, present.Length - 1));
        var quantiles = new double[_options.QuantilePoints];
        for (int j = 0; j < quantiles.Length; j++)
        {
            quantiles[j] = Quantile(present, (double)j / (quantiles.Length - 1));
        }
        // Inner edges at the bins' quantiles, ties merged, so a discrete feature gets fewer, non-empty bins.
        var edges = new List<double>();
        for (int i = 1; i < _options.PsiBins; i++)
        {
            double edge = Quantile(present, (double)i / _options.PsiBins);
            if (edge < present[^1] && (edges.Count == 0 || edge > edges[^1]))
            {
                edges.Add(edge);
            }
        }
        long[] counts = DriftStatistics.BinCounts(present, edges);
        var shares = counts.Select(c => (double)c / present.Length).ToArray();
        return new NumericReference(name, count, missingRate, mean, sd, edges, shares, quantiles);
    }

    private static double Quantile(double[] sorted, double p)
    {
        double position = p * (sorted.Length - 1);
        int lo = (int)position;
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((position - lo) * (sorted[hi] - sorted[lo]));
    }

    private CategoricalReference Categorical(string name, long missing, Dictionary<string, long> counts)
    {
        long present = counts.Values.Sum();
        long total = present + missing;
        var kept = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(_options.MaxCategories)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        long pooled = present - kept.Values.Sum();
        if (pooled > 0)
        {
            kept[CategoricalReference.OtherCategory] = pooled;
        }
        return new CategoricalReference(name, total, total > 0 ? (double)missing / total : 0, kept);
    }

    private ConceptReference Concept()
    {
        var predictions = _predictions.ToArray();
        var clicked = _clicked.ToArray();
        long clicks = clicked.LongCount(c => c);
        var binCounts = new long[_options.CalibrationBins];
        var binClicks = new long[_options.CalibrationBins];
        double ece = DriftStatistics.Ece(predictions, clicked, binCounts, binClicks);
        return new ConceptReference(predictions.Length, clicks, DriftStatistics.Auc(predictions, clicked), (double)clicks / predictions.Length, ece, binCounts, binClicks);
    }
}
