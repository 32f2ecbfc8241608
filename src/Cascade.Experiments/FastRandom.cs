namespace Cascade.Experiments;

/// <summary>
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: a small, fast, reproducible generator for the
/// simulator, one per run, with the samplers it needs (uniform, normal, gamma, beta, Poisson). Not for security.
/// </summary>
internal struct FastRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator whose whole state follows from <paramref name="seed"/>.</summary>
    public FastRandom(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>Mixes a seed and a stream index into an independent-looking seed.</summary>
    public static ulong Derive(ulong seed, ulong stream)
    {
        ulong x = seed ^ (stream * 0x9E3779B97F4A7C15UL);
        return SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal draw (Marsaglia's polar method; the second value is discarded for simplicity).</summary>
    public double NextNormal()
    {
        while (true)
        {
            double u = (2 * NextDouble()) - 1;
            double v = (2 * NextDouble()) - 1;
            double s = (u * u) + (v * v);
            if (s > 0 && s < 1)
            {
                return u * Math.Sqrt(-2 * Math.Log(s) / s);
            }
        }
    }

    /// <summary>A Gamma(shape, 1) draw (Marsaglia and Tsang 2000; shape &lt; 1 through Gamma(shape + 1) · U^(1/shape)).</summary>
    public double NextGamma(double shape)
    {
        if (shape < 1)
        {
            double boost = Math.Pow(NextDouble() + double.Epsilon, 1 / shape);
            return NextGamma(shape + 1) * boost;
        }
        double d = shape - (1.0 / 3);
        double c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x = NextNormal();
            double v = 1 + (c * x);
            if (v <= 0)
            {
                continue;
            }
            v = v * v * v;
            double u = NextDouble();
            if (u < 1 - (0.0331 * x * x * x * x) || Math.Log(u) < (0.5 * x * x) + (d * (1 - v + Math.Log(v))))
            {
                return d * v;
            }
        }
    }

    /// <summary>A Beta(a, b) draw as Gₐ / (Gₐ + G_b).</summary>
    public double NextBeta(double a, double b)
    {
        double x = NextGamma(a);
        double y = NextGamma(b);
        return x / (x + y);
    }

    /// <summary>A Poisson(<paramref name="mean"/>) draw: inversion below 30, Hörmann's PTRS (transformed rejection) above.</summary>
    public int NextPoisson(double mean) => mean < 30 ? NextPoissonSmall(Math.Exp(-mean), mean) : NextPoissonLarge(mean);

    /// <summary>Poisson by inversion given e^(−mean) precomputed (the simulator's hot path).</summary>
    public int NextPoissonSmall(double expNegMean, double mean)
    {
        double u = NextDouble();
        double p = expNegMean;
        double cumulative = p;
        int k = 0;
        while (u > cumulative && k < 1000)
        {
            k++;
            p *= mean / k;
            cumulative += p;
        }
        return k;
    }

    private int NextPoissonLarge(double mean)
    {
        double sqrtMean = Math.Sqrt(mean);
        double logMean = Math.Log(mean);
        double b = 0.931 + (2.53 * sqrtMean);
        double a = -0.059 + (0.02483 * b);
        double invAlpha = 1.1239 + (1.1328 / (b - 3.4));
        double vr = 0.9277 - (3.6224 / (b - 2));
        while (true)
        {
            double u = NextDouble() - 0.5;
            double v = NextDouble();
            double us = 0.5 - Math.Abs(u);
            long k = (long)Math.Floor((((2 * a / us) + b) * u) + mean + 0.43);
            if (us >= 0.07 && v <= vr)
            {
                return (int)k;
            }
            if (k < 0 || (us < 0.013 && v > us))
            {
                continue;
            }
            if (Math.Log(v) + Math.Log(invAlpha) - Math.Log((a / (us * us)) + b) <= -mean + (k * logMean) - SpecialFunctions.LogGamma(k + 1))
            {
                return (int)k;
            }
        }
    }
}
