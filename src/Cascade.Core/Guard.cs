using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Cascade.Core;

/// <summary>
/// The checks every options type validates its values with. A failed check throws
/// <see cref="ArgumentOutOfRangeException"/> (a value outside its range) or <see cref="ArgumentException"/> whose
/// <see cref="ArgumentException.ParamName"/> is the option's name and whose message names the option, its value and
/// what it must be, e.g. <c>Factors 0 must be at least 1.</c> The name defaults to the expression passed as the value
/// (<c>Guard.Positive(Factors)</c> names "Factors"); configuration read at start-up passes its setting path instead
/// (<c>"Pipeline:Sources:0:Quota"</c>) and reports every problem at once with <see cref="Collect"/>.
/// </summary>
public static class Guard
{
    /// <summary>The <see cref="Exception.Data"/> key under which a failed check keeps its message without the parameter suffix the framework appends.</summary>
    private const string ProblemKey = "Cascade.Guard.Problem";

    /// <summary>Refuses an integer below 1.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is below 1.</exception>
    public static void Positive(long value, [CallerArgumentExpression(nameof(value))] string name = "") => AtLeast(value, 1, name);

    /// <summary>Refuses a negative integer.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is below 0.</exception>
    public static void NonNegative(long value, [CallerArgumentExpression(nameof(value))] string name = "") => AtLeast(value, 0, name);

    /// <summary>Refuses an integer below <paramref name="min"/>.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="min">The smallest value allowed.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is below <paramref name="min"/>.</exception>
    public static void AtLeast(long value, long min, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value < min)
        {
            ThrowOutOfRange(name, value, Invariant($"at least {min}"));
        }
    }

    /// <summary>Refuses an integer outside [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="min">The smallest value allowed.</param>
    /// <param name="max">The largest value allowed.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside the range.</exception>
    public static void InRange(long value, long min, long max, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value < min || value > max)
        {
            ThrowOutOfRange(name, value, Invariant($"between {min} and {max}"));
        }
    }

    /// <summary>Refuses a number that is not finite or not above 0.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is NaN, infinite, 0 or negative.</exception>
    public static void Positive(double value, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            ThrowOutOfRange(name, value, "a finite number above 0");
        }
    }

    /// <summary>Refuses a number that is not finite or is negative.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is NaN, infinite or negative.</exception>
    public static void NonNegative(double value, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            ThrowOutOfRange(name, value, "a finite number, 0 or more");
        }
    }

    /// <summary>Refuses NaN and infinities.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is NaN or infinite.</exception>
    public static void Finite(double value, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (!double.IsFinite(value))
        {
            ThrowOutOfRange(name, value, "a finite number");
        }
    }

    /// <summary>Refuses a rate outside [0, 1] (and NaN).</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside [0, 1].</exception>
    public static void Probability(double value, [CallerArgumentExpression(nameof(value))] string name = "") =>
        InRange(value, 0, 1, name: name);

    /// <summary>Refuses a number outside the interval from <paramref name="min"/> to <paramref name="max"/> (and NaN).</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="min">The interval's lower end.</param>
    /// <param name="max">The interval's upper end.</param>
    /// <param name="minExclusive">Whether <paramref name="min"/> itself is refused.</param>
    /// <param name="maxExclusive">Whether <paramref name="max"/> itself is refused.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is outside the interval.</exception>
    public static void InRange(double value, double min, double max, bool minExclusive = false, bool maxExclusive = false,
        [CallerArgumentExpression(nameof(value))] string name = "")
    {
        bool above = minExclusive ? value > min : value >= min;
        bool below = maxExclusive ? value < max : value <= max;
        if (!(above && below))
        {
            ThrowOutOfRange(name, value, Invariant($"in {(minExclusive ? '(' : '[')}{min}, {max}{(maxExclusive ? ')' : ']')}"));
        }
    }

    /// <summary>Refuses a zero or negative duration.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not positive.</exception>
    public static void Positive(TimeSpan value, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value <= TimeSpan.Zero)
        {
            ThrowOutOfRange(name, value, "a positive duration");
        }
    }

    /// <summary>Refuses a value that is not a named member of <typeparamref name="TEnum"/>.</summary>
    /// <typeparam name="TEnum">The enumeration.</typeparam>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not defined.</exception>
    public static void Defined<TEnum>(TEnum value, [CallerArgumentExpression(nameof(value))] string name = "")
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            ThrowOutOfRange(name, value, "one of " + string.Join(", ", Enum.GetNames<TEnum>()));
        }
    }

    /// <summary>Refuses a text that is not one of <paramref name="allowed"/> (ordinal comparison).</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="allowed">The values allowed.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is not allowed.</exception>
    public static void OneOf(string? value, IReadOnlyCollection<string> allowed, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (value is null || !allowed.Contains(value, StringComparer.Ordinal))
        {
            ThrowOutOfRange(name, value, "one of " + string.Join(", ", allowed));
        }
    }

    /// <summary>Refuses a null, empty or white-space text.</summary>
    /// <param name="value">The option's value.</param>
    /// <param name="name">The option's name.</param>
    /// <exception cref="ArgumentException"><paramref name="value"/> is blank.</exception>
    public static void NotBlank([NotNull] string? value, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            ThrowInvalid(name, $"{name} {Show(value)} must not be empty.");
        }
    }

    /// <summary>Throws the <see cref="ArgumentOutOfRangeException"/> of a value outside its range.</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="value">The value refused.</param>
    /// <param name="requirement">What the value must be, completing "must be …" (e.g. "at least 1").</param>
    /// <exception cref="ArgumentOutOfRangeException">Always.</exception>
    [DoesNotReturn]
    public static void ThrowOutOfRange(string name, object? value, string requirement)
    {
        string problem = $"{name} {Show(value)} must be {requirement}.";
        var exception = new ArgumentOutOfRangeException(name, value, problem);
        exception.Data[ProblemKey] = problem;
        throw exception;
    }

    /// <summary>Throws the <see cref="ArgumentException"/> of an invalid value; for checks no other method here makes.</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="message">The whole message: it names the option, its value and what is wrong.</param>
    /// <exception cref="ArgumentException">Always.</exception>
    [DoesNotReturn]
    public static void ThrowInvalid(string name, string message)
    {
        var exception = new ArgumentException(message, name);
        exception.Data[ProblemKey] = message;
        throw exception;
    }

    /// <summary>
    /// Runs <paramref name="check"/> and, when it refuses a value with an <see cref="ArgumentException"/>, adds the
    /// message to <paramref name="problems"/> instead of throwing: configuration validated at start-up lists every problem.
    /// </summary>
    /// <param name="problems">Where problems go.</param>
    /// <param name="check">One or more checks.</param>
    /// <returns>Whether <paramref name="check"/> passed.</returns>
    public static bool Collect(ICollection<string> problems, Action check)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(check);
        try
        {
            check();
            return true;
        }
        catch (ArgumentException e)
        {
            problems.Add(e.Data[ProblemKey] as string ?? e.Message);
            return false;
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
