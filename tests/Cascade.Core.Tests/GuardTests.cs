namespace Cascade.Core.Tests;

public sealed class GuardTests
{
    private enum Colour
    {
        Red,
        Green,
    }

    [Fact]
    public void A_refused_value_names_the_option_its_value_and_the_range()
    {
        int Factors = 0;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Positive(Factors));
        Assert.Equal("Factors", e.ParamName);
        Assert.Equal(0L, e.ActualValue);
        Assert.StartsWith("Factors 0 must be at least 1.", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    public void Positive_numbers_refuse_nan_infinity_zero_and_negatives(double value)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Positive(value, "LearningRate"));
        Assert.Contains("LearningRate", e.Message, StringComparison.Ordinal);
        Assert.Contains("a finite number above 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepted_values_pass_silently()
    {
        Guard.Positive(1);
        Guard.NonNegative(0);
        Guard.AtLeast(5, 5);
        Guard.InRange(10, 1, 10);
        Guard.Positive(1e-9);
        Guard.NonNegative(0.0);
        Guard.Finite(-3.5);
        Guard.Probability(1.0);
        Guard.InRange(0.0, 0, 1, maxExclusive: true);
        Guard.Positive(TimeSpan.FromTicks(1));
        Guard.Defined(Colour.Green);
        Guard.OneOf("b", ["a", "b"]);
        Guard.NotBlank("x");
    }

    [Theory]
    [InlineData(0.0, true, false, "in (0, 1]")]
    [InlineData(1.0, false, true, "in [0, 1)")]
    [InlineData(double.NaN, false, false, "in [0, 1]")]
    public void Interval_ends_are_excluded_on_request_and_shown_as_brackets(double value, bool minExclusive, bool maxExclusive, string range)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.InRange(value, 0, 1, minExclusive, maxExclusive, "Dropout"));
        Assert.Contains(range, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enumerations_and_texts_list_the_allowed_values()
    {
        Assert.Contains("Colour 7 must be one of Red, Green.", Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Defined((Colour)7, "Colour")).Message, StringComparison.Ordinal);
        Assert.Contains("Kind 'nope' must be one of a, b.", Assert.Throws<ArgumentOutOfRangeException>(() => Guard.OneOf("nope", ["a", "b"], "Kind")).Message, StringComparison.Ordinal);
        Assert.Equal("Name", Assert.Throws<ArgumentException>(() => Guard.NotBlank(" ", "Name")).ParamName);
    }

    [Fact]
    public void Collected_checks_list_every_problem_without_the_parameter_suffix()
    {
        var problems = new List<string>();
        Assert.True(Guard.Collect(problems, () => Guard.Positive(3, "A")));
        Assert.False(Guard.Collect(problems, () => Guard.InRange(0, 1, 10_000, "Pipeline:Sources:0:Quota")));
        Assert.False(Guard.Collect(problems, () => Guard.ThrowInvalid("B", "B is wrong.")));
        Assert.Equal(["Pipeline:Sources:0:Quota 0 must be between 1 and 10000.", "B is wrong."], problems);
    }
}
