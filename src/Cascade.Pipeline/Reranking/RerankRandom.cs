namespace Cascade.Pipeline.Reranking;

/// <summary>
/// A small deterministic generator (SplitMix64) seeded from the request seed and a per-stage salt, so that a request
/// replays exactly and two stages of one request draw independent streams.
/// </summary>
internal struct RerankRandom
{
    private ulong _state;

    public RerankRandom(ulong seed, ulong salt) => _state = Mix(seed ^ Mix(salt));

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="n"/>).</summary>
    public int Next(int n) => (int)((NextUInt64() >> 33) * (ulong)n >> 31);

    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Gamma(shape, 1) by Marsaglia and Tsang; shapes below 1 use the U^(1/shape) boost.</summary>
    public double NextGamma(double shape)
    {
        if (shape < 1)
        {
            double u = 1.0 - NextDouble();
            return NextGamma(shape + 1) * Math.Pow(u, 1.0 / shape);
        }
        double d = shape - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = NextGaussian();
                v = 1.0 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            double u = 1.0 - NextDouble();
            if (u < 1.0 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1.0 - v + Math.Log(v)))
            {
                return d * v;
            }
        }
    }

    /// <summary>Beta(α, β) from two gamma draws.</summary>
    public double NextBeta(double alpha, double beta)
    {
        double x = NextGamma(alpha), y = NextGamma(beta);
        double s = x + y;
        return s > 0 ? x / s : 0.5;
    }
}
