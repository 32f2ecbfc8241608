using Cascade.Models.Baselines;

namespace Cascade.Models.Tests;

public sealed class ModelCatalogTests
{
    private static readonly ModelFactory Popular = new("Popular", "weight", (spec, seed) =>
        new MostPopular(new MostPopularOptions { WeightByValue = spec.Parameters.ContainsKey("weight") }));

    [Fact]
    public void A_catalog_builds_the_models_it_was_given_and_lists_them_after_its_own()
    {
        var catalog = new ModelCatalog([Popular]);
        var model = Assert.IsType<MostPopular>(catalog.Create(ModelSpec.Parse("popular:weight=1")));
        Assert.True(model.Options.WeightByValue);
        Assert.Equal([.. ModelCatalog.Default.Names, "popular"], catalog.Names);
        Assert.Contains("popular: weight", catalog.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_given_to_one_catalog_is_unknown_to_another()
    {
        _ = new ModelCatalog([Popular]);
        Assert.DoesNotContain("popular", ModelCatalog.Default.Names);
        Assert.Contains("Unknown model", Assert.Throws<ArgumentException>(() => ModelCatalog.Default.Create(ModelSpec.Parse("popular"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_already_in_the_catalog_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ModelCatalog([Popular, Popular]));
        Assert.Throws<ArgumentException>(() => new ModelCatalog([new ModelFactory("als", "", (_, _) => new MostPopular())]));
    }

    [Fact]
    public void An_ease_value_exponent_asks_for_values_unless_binarize_is_given()
    {
        var damped = Assert.IsType<Linear.Ease>(ModelCatalog.Default.Create(ModelSpec.Parse("ease:value-exponent=0.25")));
        Assert.Equal((false, 0.25), (damped.Options.Binarize, damped.Options.ValueExponent));
        var binary = Assert.IsType<Linear.Ease>(ModelCatalog.Default.Create(ModelSpec.Parse("ease:binarize=true,value-exponent=0.25")));
        Assert.True(binary.Options.Binarize);
        Assert.True(Assert.IsType<Linear.Ease>(ModelCatalog.Default.Create(ModelSpec.Parse("ease"))).Options.Binarize);
    }
}
