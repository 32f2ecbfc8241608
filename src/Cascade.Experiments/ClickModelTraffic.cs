using Cascade.Core;

namespace Cascade.Experiments;

/// <summary>
/// A known click model: each user has a persistent click propensity p ~ Beta(c·m, c·(1−m)) (mean m = the base CTR,
/// concentration c) and a persistent impression rate λ ~ Gamma(k, m_λ/k) per day; each day the user sees
/// Poisson(λ) impressions, each clicked with probability p in arm A and min(1, p·(1 + lift)) in arm B. The
/// pre-experiment period (<see cref="PrePeriodDays"/> days) is drawn from the same p and λ, so a user's pre-period
/// behaviour predicts their in-experiment behaviour, as real history does.
/// Clicks and non-clicks of Poisson impressions are independent Poisson draws (thinning), which is exact and cheap.
/// </summary>
public sealed record ClickModelTraffic : ITrafficSource
{
    /// <summary>m: the mean click propensity, the population CTR of arm A. Default 0.05.</summary>
    public double BaseCtr { get; init; } = 0.05;

    /// <summary>c: the Beta concentration a + b; lower spreads users' propensities wider. Default 40 (sd of p ≈ 0.034 at m = 0.05).</summary>
    public double PropensityConcentration { get; init; } = 40;

    /// <summary>m_λ: the mean impressions per user per day. Default 2.</summary>
    public double MeanImpressionsPerDay { get; init; } = 2;

    /// <summary>k: the Gamma shape of the per-user impression rate; lower means heavier users. Default 2.</summary>
    public double ImpressionRateShape { get; init; } = 2;

    /// <summary>The length of the pre-experiment period in days. Default 28.</summary>
    public int PrePeriodDays { get; init; } = 28;

    /// <summary>The true relative CTR lift of arm B over arm A (0 for an A/A test).</summary>
    public double Lift { get; init; }

    /// <inheritdoc />
    public double? TrueControlRate => BaseCtr;

    /// <inheritdoc />
    public double? TrueRelativeLift => Lift;

    /// <summary>Checks the model's parameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range.</exception>
    public ClickModelTraffic Validate()
    {
        Guard.InRange(BaseCtr, 0, 1, minExclusive: true, maxExclusive: true);
        Guard.Positive(PropensityConcentration);
        Guard.Positive(MeanImpressionsPerDay);
        Guard.Positive(ImpressionRateShape);
        Guard.NonNegative(PrePeriodDays);
        Guard.InRange(Lift, -1, 10);
        return this;
    }

    /// <inheritdoc />
    public ITrafficRun CreateRun(int users) => new Run(Validate(), users);

    private sealed class Run(ClickModelTraffic model, int users) : ITrafficRun
    {
        private readonly double[] _propensity = new double[users];
        private readonly double[] _rate = new double[users];
        // Per user for the assigned arm: clicks/day ~ Poisson(λp'), non-clicks/day ~ Poisson(λ(1−p')); e^(−mean) precomputed.
        private readonly double[] _clickMean = new double[users];
        private readonly double[] _clickExp = new double[users];
        private readonly double[] _missMean = new double[users];
        private readonly double[] _missExp = new double[users];
        private FastRandom _random;

        public void Begin(ulong seed, Span<double> preClicks, Span<double> preImpressions)
        {
            _random = new FastRandom(seed);
            double a = model.PropensityConcentration * model.BaseCtr;
            double b = model.PropensityConcentration * (1 - model.BaseCtr);
            double scale = model.MeanImpressionsPerDay / model.ImpressionRateShape;
            for (int u = 0; u < users; u++)
            {
                double p = _random.NextBeta(a, b);
                double rate = _random.NextGamma(model.ImpressionRateShape) * scale;
                _propensity[u] = p;
                _rate[u] = rate;
                double preMean = rate * model.PrePeriodDays;
                int clicks = _random.NextPoisson(preMean * p);
                preClicks[u] = clicks;
                preImpressions[u] = clicks + _random.NextPoisson(preMean * (1 - p));
            }
        }

        public void Assign(ReadOnlySpan<byte> arms)
        {
            for (int u = 0; u < users; u++)
            {
                double p = arms[u] == 0 ? _propensity[u] : Math.Min(1, _propensity[u] * (1 + model.Lift));
                _clickMean[u] = _rate[u] * p;
                _clickExp[u] = Math.Exp(-_clickMean[u]);
                _missMean[u] = _rate[u] * (1 - p);
                _missExp[u] = Math.Exp(-_missMean[u]);
            }
        }

        public void Day(int day, Span<int> impressions, Span<int> clicks)
        {
            for (int u = 0; u < users; u++)
            {
                int c = _clickMean[u] < 30 ? _random.NextPoissonSmall(_clickExp[u], _clickMean[u]) : _random.NextPoisson(_clickMean[u]);
                int miss = _missMean[u] < 30 ? _random.NextPoissonSmall(_missExp[u], _missMean[u]) : _random.NextPoisson(_missMean[u]);
                clicks[u] = c;
                impressions[u] = c + miss;
            }
        }
    }
}
