using Cascade.Pipeline.Reranking;
using static Cascade.Pipeline.Tests.Reranking.RerankTestData;

namespace Cascade.Pipeline.Tests.Reranking;

public class RerankerFactoryTests
{
    private static readonly ItemTable Table = RandomTable(10, 1);

    private static IReranker Create(string kind, params (string Key, string Value)[] settings) =>
        RerankerFactory.Create(new RerankerOptions { Kind = kind, Settings = settings.ToDictionary(x => x.Key, x => x.Value) }, Table, new InMemoryExplorationStats());

    [Fact]
    public void Every_kind_is_created_with_its_settings()
    {
        Assert.Equal(new MmrOptions(0.5f, 12, 40, MmrSimilarity.Categories),
            ((MmrReranker)Create("mmr", ("lambda", "0.5"), ("Depth", "12"), ("maxdepth", "40"), ("similarity", "categories"))).Options);
        Assert.Equal(new CategoryCapOptions(1, 4), ((CategoryCapReranker)Create("category-cap", ("maxPerCategory", "1"), ("window", "4"))).Options);
        Assert.Equal(new AttributeDedupOptions("series", DuplicateHandling.Demote, 2),
            ((AttributeDedupReranker)Create("dedup", ("attribute", "series"), ("handling", "demote"), ("maxpervalue", "2"))).Options);
        var boost = ((BoostReranker)Create("boost", ("category:news", "x1.5+0.1"), ("tag:hot", "-0.2"), ("attribute:author=ann", "x2"), ("freshnessWeight", "0.5"), ("freshnessHalfLifeHours", "6"))).Options;
        Assert.Equal([
            new BoostRule(BoostMatch.Category, "news", 1.5f, 0.1f),
            new BoostRule(BoostMatch.Tag, "hot", 1f, -0.2f),
            new BoostRule(BoostMatch.Attribute, "ann", 2f, 0f, "author"),
        ], boost.Rules);
        Assert.Equal(new FreshnessBoost(0.5f, TimeSpan.FromHours(6)), boost.Freshness);
        var pin = ((PinReranker)Create("pin", ("pins", "promo@0, a@b@3"), ("insertMissing", "true"))).Options;
        Assert.Equal([new Pin("promo", 0), new Pin("a@b", 3)], pin.Pins);
        Assert.True(pin.InsertMissing);
        var explore = ((ExplorationReranker)Create("explore", ("strategy", "thompson"), ("positions", "2, 6"), ("poolsize", "50"))).Options;
        Assert.Equal(ExplorationStrategy.Thompson, explore.Strategy);
        Assert.Equal([2, 6], explore.Positions!);
        Assert.Equal(50, explore.PoolSize);
    }

    [Fact]
    public void Defaults_apply_when_settings_are_absent()
    {
        Assert.Equal(new MmrOptions(), ((MmrReranker)Create("mmr")).Options);
        Assert.Equal(new CategoryCapOptions(), ((CategoryCapReranker)Create("category-cap")).Options);
        Assert.Equal(RerankerDefaults.Epsilon, ((ExplorationReranker)Create("explore")).Options.Epsilon);
    }

    [Theory]
    [InlineData("shuffle", "lambda", "1", "unknown")]
    [InlineData("mmr", "lamda", "0.5", "no setting 'lamda'")]
    [InlineData("mmr", "lambda", "high", "'lambda' = 'high' is not a single")]
    [InlineData("mmr", "lambda", "2", "Lambda must be in [0, 1]")]
    [InlineData("dedup", "handling", "drop", "needs the setting 'attribute'")]
    [InlineData("boost", "category:news", "double", "must read x<factor>")]
    [InlineData("pin", "pins", "promo", "must read <item id>@<0-based position>")]
    [InlineData("explore", "strategy", "ucb", "strategy 'ucb' is unknown")]
    public void Bad_configuration_is_refused_with_what_is_wrong(string kind, string key, string value, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Create(kind, (key, value)));
        Assert.Contains(message, e.Message);
    }
}
