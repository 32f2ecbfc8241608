namespace Cascade.Features.Tests;

public class FeatureSetOptionsTests
{
    [Fact]
    public void The_default_schema_lists_every_group_with_code_zero_reserved()
    {
        var schema = FeatureSet.Default.Schema;
        Assert.Contains("item_ctr_1h", schema.Numeric);
        Assert.Contains("user_positives_7d", schema.Numeric);
        Assert.Contains("user_category_positives_1d", schema.Numeric);
        Assert.Contains("user_item_impressions", schema.Numeric);
        var fields = schema.Categorical.ToDictionary(f => f.Name, f => f.Cardinality);
        Assert.Equal(1 << 16, fields["item_id"]);
        Assert.Equal(25, fields["hour_of_day"]);
        Assert.Equal(8, fields["day_of_week"]);
        Assert.Equal(22, fields["position"]);
        Assert.True(fields.ContainsKey("user_x_category"));
        Assert.True(fields.ContainsKey("item_tag_1"));
    }

    [Fact]
    public void Options_bind_from_appsettings_shaped_json()
    {
        var set = FeatureSet.FromJson("""
            {
              // comments are allowed, as in appsettings.json
              "windows": ["30m", "2d"],
              "itemIdBuckets": 1000,
              "includeCross": false,
              "includeUserId": false,
              "userAttributes": ["country"],
              "bucketizedNumerics": ["*"],
              "tagSlots": 0,
            }
            """);
        Assert.Equal(["30m", "2d"], set.WindowNames);
        Assert.Equal(-1, set.CategoricalIndex("user_id"));
        Assert.Equal(-1, set.NumericIndex("user_item_positives"));
        Assert.Equal(-1, set.CategoricalIndex("item_tag_0"));
        Assert.Equal(1000, set.Schema.Categorical[set.CategoricalIndex("item_id")].Cardinality);
        Assert.True(set.CategoricalIndex("user_attr_country") >= 0);
        Assert.True(set.CategoricalIndex("item_ctr_2d_bucket") >= 0);
        Assert.Equal(set.Schema.NumericCount, set.Schema.Categorical.Count(f => f.Name.EndsWith("_bucket", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("""{"itemIdBuckets": 1}""", "ItemIdBuckets")]
    [InlineData("""{"crossBuckets": 0}""", "CrossBuckets")]
    [InlineData("""{"windows": ["1x"]}""", "'1x'")]
    [InlineData("""{"windows": ["h"]}""", "Windows")]
    [InlineData("""{"windows": ["0h"]}""", "'0h'")]
    [InlineData("""{"windows": ["1h", "1h"]}""", "'1h' twice")]
    [InlineData("""{"ctrPrior": 1.5}""", "CtrPrior")]
    [InlineData("""{"ctrPriorStrength": 0}""", "CtrPriorStrength")]
    [InlineData("""{"logBucketCount": 2}""", "LogBucketCount")]
    [InlineData("""{"tagSlots": 17}""", "TagSlots")]
    [InlineData("""{"maxItemsPerUser": 15}""", "MaxItemsPerUser")]
    [InlineData("""{"maxPairs": 999}""", "MaxPairs")]
    [InlineData("""{"userAttributes": ["a", "a"]}""", "UserAttributes")]
    [InlineData("""{"bucketizedNumerics": ["item_clicks"]}""", "'item_clicks'")]
    [InlineData("""{"itemBuckets": 100}""", "itemBuckets")]
    [InlineData("""{"windows": "1h"}""", "JSON is invalid")]
    [InlineData("null", "null")]
    public void Bad_options_are_refused_with_a_message_naming_them(string json, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => FeatureSet.FromJson(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_bucketized_names_list_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => new FeatureSet(new FeatureSetOptions { BucketizedNumerics = ["nope"] }));
        Assert.Contains("item_ctr_1d", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN, 0)]
    [InlineData(-3f, 1)]
    [InlineData(0f, 1)]
    [InlineData(0.5f, 2)]
    [InlineData(1f, 3)]
    [InlineData(3f, 4)]
    [InlineData(1e30f, 23)]
    public void Log_buckets_reserve_zero_for_missing_and_cap_the_top(float value, int code)
    {
        Assert.Equal(code, FeatureSet.LogBucket(value, 24));
    }
}
