using System.Globalization;

namespace Cascade.Monitoring;

/// <summary>
/// The simulator's known world: hourly windows of served lists whose impressions carry four numeric features (each a
/// fixed transform of a latent standard normal), two categorical ones, the ranker's score and predicted CTR, and a
/// click drawn from the true click model. Before a concept shift the ranker is the true model, so it is calibrated.
/// <list type="bullet">
/// <item><c>user_activity</c> = z₁; <c>price</c> = e^(3 + 0.8 z₂), missing 1 %; <c>dwell_seconds</c> = 30 + 10 z₃; <c>item_age_days</c> = e^(2.5 + z₄).</item>
/// <item><c>device</c>: mobile 60 %, desktop 30 %, tablet 8 %, tv 2 %, missing 0.5 %; <c>category</c>: 20 categories, Zipf.</item>
/// <item>score = −2.2 + 0.9 z₁ − 0.5 z₂ + 0.3 z₃ + device effect (z₂ = 0 when price is missing); pCTR = σ(score).</item>
/// <item>Concept shift: clicks follow −2.2 + 0.5 z₁ − 0.2 z₂ + 0.6 z₃ + device effect; the ranker keeps the old score.</item>
/// <item>Served lists: each slot from the Zipf popularity with the popular share, otherwise from the user's own segment of 250 items.</item>
/// </list>
/// </summary>
internal sealed class SimulatedTraffic
{
    /// <summary>The numeric features, in the order of their latent normals.</summary>
    public static readonly string[] NumericNames = ["user_activity", "price", "dwell_seconds", "item_age_days"];

    private static readonly string[] Devices = ["mobile", "desktop", "tablet", "tv"];
    private static readonly double[] DeviceCumulative = [0.6, 0.9, 0.98, 1.0];
    private static readonly double[] DeviceEffect = [0, 0.2, -0.1, -0.3];
    private const double PriceMissing = 0.01;
    private const double DeviceMissing = 0.005;
    private const int SegmentSize = 250;

    private readonly DriftSimulationOptions _options;
    private readonly string[] _items;
    private readonly double[] _itemCumulative;
    private readonly string[] _categories;
    private readonly double[] _categoryCumulative;

    public SimulatedTraffic(DriftSimulationOptions options)
    {
        _options = options;
        _items = [.. Enumerable.Range(0, options.CatalogSize).Select(i => "i" + i.ToString(CultureInfo.InvariantCulture))];
        _itemCumulative = ZipfCumulative(options.CatalogSize);
        _categories = [.. Enumerable.Range(0, 20).Select(i => "c" + i.ToString(CultureInfo.InvariantCulture))];
        _categoryCumulative = ZipfCumulative(20);
    }

    /// <summary>Training interactions per item: <paramref name="count"/> draws from the popularity distribution.</summary>
    public Dictionary<string, long> Popularity(int count, ref SplitMixRandom random)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string item = _items[Draw(_itemCumulative, random.NextDouble())];
            counts[item] = counts.GetValueOrDefault(item) + 1;
        }
        return counts;
    }

    /// <summary>One hourly window, <paramref name="hour"/> hours after the epoch, with the shift applied or not.</summary>
    /// <param name="hour">The window's index.</param>
    /// <param name="shift">The shift in force (<see cref="ShiftKind.None"/> before the injection).</param>
    /// <param name="shiftedFeature">The numeric feature a covariate shift moves.</param>
    /// <param name="random">The run's generator.</param>
    public MonitoringWindow Window(int hour, ShiftKind shift, int shiftedFeature, ref SplitMixRandom random)
    {
        int k = _options.ListLength;
        double mean = _options.EventsPerWindow;
        int events = Math.Max(k, (int)Math.Round(mean + (Math.Sqrt(mean) * random.NextNormal())));
        int lists = (events + k - 1) / k;
        int n = lists * k;
        var latent = new double[4];
        double[][] numeric = [new double[n], new double[n], new double[n], new double[n]];
        var device = new string?[n];
        var category = new string?[n];
        var scores = new double[n];
        var predictions = new double[n];
        var clicked = new bool[n];
        long clicks = 0;
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < 4; f++)
            {
                latent[f] = random.NextNormal();
            }
            if (shift == ShiftKind.Covariate)
            {
                latent[shiftedFeature] += _options.CovariateShift;
            }
            bool priceMissing = random.NextDouble() < PriceMissing;
            numeric[0][i] = latent[0];
            numeric[1][i] = priceMissing ? double.NaN : Math.Exp(3 + (0.8 * latent[1]));
            numeric[2][i] = 30 + (10 * latent[2]);
            numeric[3][i] = Math.Exp(2.5 + latent[3]);
            int d = Draw(DeviceCumulative, random.NextDouble());
            device[i] = random.NextDouble() < DeviceMissing ? null : Devices[d];
            category[i] = _categories[Draw(_categoryCumulative, random.NextDouble())];
            double z2 = priceMissing ? 0 : latent[1];
            double score = -2.2 + (0.9 * latent[0]) - (0.5 * z2) + (0.3 * latent[2]) + DeviceEffect[d];
            double truth = shift == ShiftKind.Concept
                ? -2.2 + (0.5 * latent[0]) - (0.2 * z2) + (0.6 * latent[2]) + DeviceEffect[d]
                : score;
            scores[i] = score;
            predictions[i] = Sigmoid(score);
            clicked[i] = random.NextDouble() < Sigmoid(truth);
            clicks += clicked[i] ? 1 : 0;
        }
        double popular = shift == ShiftKind.Popularity ? _options.ShiftedPopularShare : _options.PopularShare;
        var served = new string[lists][];
        for (int l = 0; l < lists; l++)
        {
            int segment = random.NextInt(_items.Length);
            var list = served[l] = new string[k];
            for (int s = 0; s < k; s++)
            {
                int item = random.NextDouble() < popular ? Draw(_itemCumulative, random.NextDouble()) : (segment + random.NextInt(SegmentSize)) % _items.Length;
                list[s] = _items[item];
            }
        }
        var start = DateTimeOffset.UnixEpoch.AddYears(56).AddHours(hour);
        return new MonitoringWindow
        {
            Start = start,
            End = start.AddHours(1),
            Numeric = new Dictionary<string, double[]>(StringComparer.Ordinal)
            {
                [NumericNames[0]] = numeric[0],
                [NumericNames[1]] = numeric[1],
                [NumericNames[2]] = numeric[2],
                [NumericNames[3]] = numeric[3],
            },
            Categorical = new Dictionary<string, string?[]>(StringComparer.Ordinal) { ["device"] = device, ["category"] = category },
            Scores = scores,
            Predictions = predictions,
            Clicked = clicked,
            ServedLists = served,
            EventCounts = new Dictionary<string, long>(StringComparer.Ordinal) { ["request"] = lists, ["impression"] = n, ["click"] = clicks },
        };
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double[] ZipfCumulative(int n)
    {
        var cumulative = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += 1.0 / (i + 1);
            cumulative[i] = sum;
        }
        for (int i = 0; i < n; i++)
        {
            cumulative[i] /= sum;
        }
        cumulative[^1] = 1;
        return cumulative;
    }

    /// <summary>The first index whose cumulative share exceeds <paramref name="u"/>.</summary>
    private static int Draw(double[] cumulative, double u)
    {
        int lo = 0, hi = cumulative.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
