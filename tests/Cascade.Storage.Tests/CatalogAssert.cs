using Cascade.Core.Domain;

namespace Cascade.Storage.Tests;

/// <summary>Field-by-field comparison of catalog records (their list properties compare by reference).</summary>
public static class CatalogAssert
{
    public static void SameItem(Item expected, Item? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.App, actual.App);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Title, actual.Title);
        Assert.Equal(expected.Categories, actual.Categories);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.AttributesJson, actual.AttributesJson);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.Hidden, actual.Hidden);
        Assert.Equal(expected.ExpiresAt, actual.ExpiresAt);
    }
}
