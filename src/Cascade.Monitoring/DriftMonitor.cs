namespace Cascade.Monitoring;

/// <summary>
/// Judges windows of the log against a <see cref="ReferenceSnapshot"/>: data drift per feature (PSI, and KS or the
/// normalised Wasserstein distance for a numeric feature; chi-square or Jensen–Shannon for a categorical one; missing
/// and unknown rates), prediction drift (scores and predicted CTR as numeric distributions), served-list drift
/// (popularity bias, coverage, Gini, novelty, personalisation against their reference baselines), concept drift
/// (online AUC, CTR and calibration against the validation figures) and event-rate anomalies per type. It remembers,
/// per signal, how many consecutive windows crossed the drift threshold (<see cref="DriftOptions.ConsecutiveWindows"/>),
/// so windows must be given in time order. Not thread-safe.
/// </summary>
public sealed class DriftMonitor
{
    private readonly ReferenceSnapshot _reference;
    private readonly DriftOptions _options;
    private readonly Dictionary<string, int> _streaks = new(StringComparer.Ordinal);
    private readonly double _zDrift;
    private readonly double _zWarning;
    private readonly double _ksDrift;
    private readonly double _ksWarning;
    private readonly Dictionary<(double Alpha, int Degrees), double> _chiSquaredCritical = [];

    /// <summary>A monitor of <paramref name="reference"/>.</summary>
    /// <param name="reference">The training snapshot.</param>
    /// <param name="options">The thresholds and windows.</param>
    public DriftMonitor(ReferenceSnapshot reference, DriftOptions options)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(options);
        _reference = reference;
        _options = options.Validate();
        _zDrift = Probability.NormalQuantile(1 - (options.Alpha / 2));
        _zWarning = Probability.NormalQuantile(1 - (options.WarningAlpha / 2));
        _ksDrift = Probability.KolmogorovCritical(options.Alpha);
        _ksWarning = Probability.KolmogorovCritical(options.WarningAlpha);
    }

    /// <summary>Judges one window; call with windows in time order.</summary>
    /// <param name="window">The window.</param>
    public DriftReport Evaluate(MonitoringWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var scope = new Scope(this, new DriftWindow(window.Start, window.End), []);
        foreach (var reference in _reference.Numeric)
        {
            if (window.Numeric.TryGetValue(reference.Name, out var values))
            {
                MissingRate(scope, reference.Name, values.Length, CountMissing(values), reference.MissingRate, reference.Count);
                Numeric(scope, reference, SignalKinds.Data, values);
            }
        }
        foreach (var reference in _reference.Categorical)
        {
            if (window.Categorical.TryGetValue(reference.Name, out var values))
            {
                Categorical(scope, reference, values);
            }
        }
        if (_reference.Scores is { } scores && !window.Scores.IsEmpty)
        {
            Numeric(scope, scores, SignalKinds.Prediction, window.Scores.Span);
        }
        if (_reference.Predictions is { } predictions && !window.Predictions.IsEmpty)
        {
            Numeric(scope, predictions, SignalKinds.Prediction, window.Predictions.Span);
        }
        if (_reference.Concept is { } concept && !window.Clicked.IsEmpty && window.Clicked.Length == window.Predictions.Length)
        {
            Concept(scope, concept, window.Predictions.Span, window.Clicked.Span);
        }
        if (_reference.Served.Count > 0 && window.ServedLists.Count > 0)
        {
            Served(scope, window);
        }
        foreach (var (type, baseline) in _reference.EventCounts)
        {
            long count = window.EventCounts.GetValueOrDefault(type);
            Baseline(scope, type, SignalKinds.Events, count, baseline, count, enough: true);
        }
        var worst = scope.Signals.Count == 0 ? DriftStatus.InsufficientData : scope.Signals.Max(s => s.Status);
        return new DriftReport(scope.Window, worst, scope.Signals);
    }

    private static int CountMissing(ReadOnlySpan<double> values)
    {
        int missing = 0;
        foreach (double v in values)
        {
            missing += double.IsNaN(v) ? 1 : 0;
        }
        return missing;
    }

    /// <summary>PSI, then KS below <see cref="DriftOptions.LargeWindow"/> values or the normalised Wasserstein distance from there.</summary>
    private void Numeric(Scope scope, NumericReference reference, string kind, ReadOnlySpan<double> values)
    {
        var present = new double[values.Length - CountMissing(values)];
        int k = 0;
        foreach (double v in values)
        {
            if (!double.IsNaN(v))
            {
                present[k++] = v;
            }
        }
        Array.Sort(present);
        int n = present.Length;
        bool enough = n >= _options.MinSamples && reference.Present > 0;
        string name = reference.Name;
        double psi = enough ? DriftStatistics.Psi(reference.BinShares, DriftStatistics.BinCounts(present, reference.BinEdges), _options.PsiEpsilon) : 0;
        scope.Add(name, kind, "psi", psi, _options.PsiDrift, _options.PsiWarning, null, null, null, n, enough);
        if (n < _options.LargeWindow)
        {
            double m = reference.Present;
            double d = enough ? DriftStatistics.KolmogorovSmirnov(present, reference) : 0;
            double scale = DriftStatistics.KolmogorovSmirnovScale(Math.Max(1, n), Math.Max(1, m));
            double threshold = _ksDrift / scale;
            double warning = _ksWarning / scale;
            double? p = enough ? DriftStatistics.KolmogorovSmirnovPValue(d, n, m) : null;
            scope.Add(name, kind, "ks", d, threshold, warning, p, null, null, n, enough);
        }
        else
        {
            double w = DriftStatistics.NormalisedWasserstein(present, reference);
            scope.Add(name, kind, "wasserstein", w, _options.WassersteinDrift, _options.WassersteinWarning, null, null, null, n, enough);
        }
    }

    /// <summary>The missing-value rate against the reference's: a two-proportion z test on the absolute difference, never below <see cref="DriftOptions.MissingRateMinIncrease"/>.</summary>
    private void MissingRate(Scope scope, string name, long n, long missing, double referenceRate, long referenceCount)
    {
        double observed = n > 0 ? (double)missing / n : 0;
        var (diff, threshold, warning, p) = Proportions(observed, n, referenceRate, referenceCount);
        double floor = _options.MissingRateMinIncrease;
        scope.Add(name, SignalKinds.Data, "missing-rate-diff", diff, Math.Max(floor, threshold), Math.Max(floor / 2, warning), p, observed, referenceRate, n, n >= _options.MinSamples);
    }

    /// <summary>|observed − reference| of two proportions, its critical values at both levels (pooled standard error) and its p-value.</summary>
    private (double Diff, double Threshold, double Warning, double? P) Proportions(double observed, double n, double reference, double m)
    {
        double pooled = ((observed * n) + (reference * m)) / Math.Max(1, n + m);
        double se = Math.Sqrt(pooled * (1 - pooled) * ((1 / Math.Max(1, n)) + (1 / Math.Max(1, m))));
        double diff = Math.Abs(observed - reference);
        double? p = se > 0 ? Probability.TwoSidedP(diff / se) : null;
        return (diff, _zDrift * se, _zWarning * se, p);
    }

    private void Categorical(Scope scope, CategoricalReference reference, string?[] values)
    {
        string name = reference.Name;
        var index = new Dictionary<string, int>(reference.Categories.Count, StringComparer.Ordinal);
        var expected = new double[reference.Categories.Count];
        foreach (var (category, count) in reference.Categories)
        {
            expected[index.Count] = count;
            index[category] = index.Count;
        }
        bool pooled = index.TryGetValue(CategoricalReference.OtherCategory, out int other);
        var observed = new double[expected.Length];
        long missing = 0, unknown = 0;
        foreach (string? v in values)
        {
            if (v is null)
            {
                missing++;
            }
            else if (index.TryGetValue(v, out int i))
            {
                observed[i]++;
            }
            else if (pooled)
            {
                observed[other]++;
            }
            else
            {
                unknown++;
            }
        }
        MissingRate(scope, name, values.Length, missing, reference.MissingRate, reference.Count);
        long present = values.Length - missing;
        bool enough = present >= _options.MinSamples;
        if (!pooled)
        {
            double rate = present > 0 ? (double)unknown / present : 0;
            scope.Add(name, SignalKinds.Data, "unknown-rate", rate, _options.UnknownRateDrift, _options.UnknownRateWarning, null, rate, 0, present, enough);
        }
        long known = present - unknown;
        if (known < _options.LargeWindow)
        {
            var (statistic, dof, p) = DriftStatistics.ChiSquaredHomogeneity(expected, observed);
            int degrees = Math.Max(1, dof);
            scope.Add(name, SignalKinds.Data, "chi2", statistic, ChiSquaredCritical(_options.Alpha, degrees),
                ChiSquaredCritical(_options.WarningAlpha, degrees), enough ? p : null, null, null, known, enough && known >= _options.MinSamples);
        }
        else
        {
            double js = DriftStatistics.JensenShannon(expected, observed);
            scope.Add(name, SignalKinds.Data, "jensen-shannon", js, _options.JensenShannonDrift, _options.JensenShannonWarning, null, null, null, known, enough);
        }
    }

    /// <summary>Online AUC (Hanley–McNeil standard errors of both sides), CTR (two proportions) and calibration (per-bin chi-square) against the validation figures.</summary>
    private void Concept(Scope scope, ConceptReference reference, ReadOnlySpan<double> predictions, ReadOnlySpan<bool> clicked)
    {
        int n = predictions.Length;
        long clicks = 0;
        foreach (bool c in clicked)
        {
            clicks += c ? 1 : 0;
        }
        bool enoughClicks = clicks >= _options.MinClicks && n - clicks >= _options.MinClicks;

        double auc = enoughClicks ? DriftStatistics.Auc(predictions, clicked) : double.NaN;
        double se = Math.Sqrt(
            Square(DriftStatistics.AucStandardError(double.IsNaN(auc) ? reference.Auc : auc, clicks, n - clicks)) +
            Square(DriftStatistics.AucStandardError(reference.Auc, reference.Clicks, reference.Impressions - reference.Clicks)));
        double aucDiff = enoughClicks ? Math.Abs(auc - reference.Auc) : 0;
        double? aucP = enoughClicks && se > 0 ? Probability.TwoSidedP(aucDiff / se) : null;
        scope.Add("auc", SignalKinds.Concept, "auc-diff", aucDiff, _zDrift * se, _zWarning * se, aucP, enoughClicks ? auc : null, reference.Auc, n, enoughClicks);

        double ctr = n > 0 ? (double)clicks / n : 0;
        var (ctrDiff, ctrThreshold, ctrWarning, ctrP) = Proportions(ctr, n, reference.Ctr, reference.Impressions);
        scope.Add("ctr", SignalKinds.Concept, "ctr-diff", ctrDiff, ctrThreshold, ctrWarning, ctrP, ctr, reference.Ctr, n, n >= _options.MinSamples);

        int bins = reference.BinCounts.Count;
        var counts = new long[bins];
        var binClicks = new long[bins];
        double ece = DriftStatistics.Ece(predictions, clicked, counts, binClicks);
        // Per bin, the click rate against the reference's in the same bin: a 2 × 2 chi-square each, summed.
        double statistic = 0;
        int used = 0;
        for (int b = 0; b < bins; b++)
        {
            double nb = counts[b], mb = reference.BinCounts[b];
            if (nb <= 0 || mb <= 0)
            {
                continue;
            }
            double pooled = (binClicks[b] + reference.BinClicks[b]) / (nb + mb);
            if (pooled <= 0 || pooled >= 1)
            {
                continue;
            }
            statistic += Square((binClicks[b] / nb) - (reference.BinClicks[b] / mb)) / (pooled * (1 - pooled) * ((1 / nb) + (1 / mb)));
            used++;
        }
        int degrees = Math.Max(1, used);
        scope.Add("ece", SignalKinds.Concept, "calibration-chi2", statistic, ChiSquaredCritical(_options.Alpha, degrees),
            ChiSquaredCritical(_options.WarningAlpha, degrees), enoughClicks ? Probability.ChiSquaredSurvival(statistic, degrees) : null,
            ece, reference.Ece, n, enoughClicks && used > 0);
    }

    private void Served(Scope scope, MonitoringWindow window)
    {
        var lists = window.ServedLists;
        var metrics = ServedListMetrics.Measure(lists, _reference.ItemPopularity, _reference.CatalogSize, _options.PersonalisationPairs, (ulong)window.Start.UtcTicks);
        for (int i = 0; i < ServedListMetrics.Names.Count; i++)
        {
            if (_reference.Served.TryGetValue(ServedListMetrics.Names[i], out var baseline))
            {
                Baseline(scope, ServedListMetrics.Names[i], SignalKinds.Served, metrics.Values[i], baseline, lists.Count, lists.Count >= _options.MinLists);
            }
        }
    }

    /// <summary>|x − mean| / sd against the reference windows' mean and standard deviation.</summary>
    private void Baseline(Scope scope, string signal, string kind, double value, WindowBaseline baseline, long samples, bool enough)
    {
        bool usable = enough && baseline.Windows >= 2 && double.IsFinite(value) && double.IsFinite(baseline.Mean);
        // A spread of 0 (a constant metric) would make any change infinite: floor it at 0.1 % of the mean.
        double sd = Math.Max(baseline.StdDev, Math.Max(1e-12, Math.Abs(baseline.Mean) * 1e-3));
        double z = usable ? Math.Abs(value - baseline.Mean) / sd : 0;
        scope.Add(signal, kind, "baseline-z", z, _options.BaselineSigmas, _options.BaselineWarningSigmas, null,
            double.IsFinite(value) ? value : null, baseline.Mean, samples, usable);
    }

    /// <summary>The chi-square critical value, computed once per level and degrees of freedom (a bisection each).</summary>
    private double ChiSquaredCritical(double alpha, int degrees)
    {
        if (!_chiSquaredCritical.TryGetValue((alpha, degrees), out double critical))
        {
            _chiSquaredCritical[(alpha, degrees)] = critical = Probability.ChiSquaredCritical(alpha, degrees);
        }
        return critical;
    }

    private static double Square(double x) => x * x;

    /// <summary>The signals of one window being judged, with the consecutive-window rule applied as each is added.</summary>
    private sealed record Scope(DriftMonitor Monitor, DriftWindow Window, List<DriftSignal> Signals)
    {
        public void Add(string signal, string kind, string statistic, double value, double threshold, double warning, double? p,
            double? observed, double? reference, long samples, bool enough)
        {
            string key = kind + "\u0001" + signal + "\u0001" + statistic;
            var streaks = Monitor._streaks;
            DriftStatus status;
            if (!enough)
            {
                status = DriftStatus.InsufficientData;
                streaks[key] = 0;
            }
            else if (value >= threshold)
            {
                int streak = streaks[key] = streaks.GetValueOrDefault(key) + 1;
                status = streak >= Monitor._options.ConsecutiveWindows ? DriftStatus.Drift : DriftStatus.Warning;
            }
            else
            {
                streaks[key] = 0;
                status = value >= warning ? DriftStatus.Warning : DriftStatus.Ok;
            }
            Signals.Add(new DriftSignal(signal, kind, statistic, value, threshold, warning, p, observed, reference, samples, Window, status));
        }
    }
}
