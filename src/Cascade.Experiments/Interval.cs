namespace Cascade.Experiments;

/// <summary>A closed interval [<paramref name="Lower"/>, <paramref name="Upper"/>].</summary>
/// <param name="Lower">The lower end.</param>
/// <param name="Upper">The upper end.</param>
public readonly record struct Interval(double Lower, double Upper)
{
    /// <summary>Whether <paramref name="value"/> lies in the interval (ends included).</summary>
    /// <param name="value">The value.</param>
    public bool Contains(double value) => value >= Lower && value <= Upper;

    /// <summary>Whether the interval lies wholly above or wholly below 0.</summary>
    public bool ExcludesZero => Lower > 0 || Upper < 0;

    /// <summary>The interval <paramref name="center"/> ± <paramref name="halfWidth"/>.</summary>
    /// <param name="center">The centre.</param>
    /// <param name="halfWidth">The half width, at least 0.</param>
    public static Interval Around(double center, double halfWidth) => new(center - halfWidth, center + halfWidth);
}
