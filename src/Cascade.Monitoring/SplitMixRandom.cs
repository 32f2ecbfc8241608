namespace Cascade.Monitoring;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014): a tiny, fast generator whose whole state is one 64-bit word, with the
/// samplers the drift simulator and the personalisation sample need. Reproducible across platforms; not for security.
/// </summary>
internal struct SplitMixRandom(ulong seed)
{
    private ulong _state = seed;
    private double _spareNormal = double.NaN;

    /// <summary>A seed for stream <paramref name="stream"/> of <paramref name="seed"/> that looks independent of the others.</summary>
    public static ulong Mix(ulong seed, ulong stream)
    {
        var r = new SplitMixRandom(seed ^ (stream * 0xD1B54A32D192ED03UL));
        return r.NextUInt64();
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="n"/>).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 32) * (ulong)n >> 32);

    /// <summary>A standard normal draw (Box–Muller; the pair's second value is kept for the next call).</summary>
    public double NextNormal()
    {
        if (!double.IsNaN(_spareNormal))
        {
            double spare = _spareNormal;
            _spareNormal = double.NaN;
            return spare;
        }
        double u = 1 - NextDouble();
        double radius = Math.Sqrt(-2 * Math.Log(u));
        double angle = 2 * Math.PI * NextDouble();
        _spareNormal = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }
}
