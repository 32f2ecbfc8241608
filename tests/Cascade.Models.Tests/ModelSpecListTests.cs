namespace Cascade.Models.Tests;

public sealed class ModelSpecListTests
{
    [Theory]
    [InlineData(new[] { "als,bpr,twotower" }, new[] { "als", "bpr", "twotower" })]
    [InlineData(new[] { "als", "bpr" }, new[] { "als", "bpr" })]
    [InlineData(new[] { "itemknn:alpha=0.1,neighbours=100,ease" }, new[] { "itemknn:alpha=0.1,neighbours=100", "ease" })]
    [InlineData(new[] { "ease:lambda=400", "sar,mostpop" }, new[] { "ease:lambda=400", "sar", "mostpop" })]
    public void Model_lists_split_on_commas_unless_a_piece_continues_the_parameters(string[] tokens, string[] expected) =>
        Assert.Equal(expected, ModelSpec.ParseList(tokens).Select(s => s.ToString()));

    [Fact]
    public void A_parameter_before_any_model_is_refused() =>
        Assert.Throws<FormatException>(() => ModelSpec.ParseList(["alpha=1,ease"]));
}
