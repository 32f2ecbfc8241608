using Cascade.Core;
using Cascade.Models;

namespace Cascade.Pipeline.Tests.Pipeline;

public sealed class ItemFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cascade-items-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(params string[] lines)
    {
        string path = Path.Combine(_dir, $"items-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Reads_items_in_the_api_shape_and_the_last_line_of_an_id_wins()
    {
        string path = Write(
            """{"id":"m1","title":"One","categories":["Drama"],"tags":["old"],"attributes":{"series":"s1"},"createdAt":"1995-01-01T00:00:00+00:00"}""",
            "",
            """{"id":"m2","categories":["Comedy","Drama"],"hidden":true,"expiresAt":"2030-01-01T00:00:00Z"}""",
            """{"id":"m1","title":"One again","categories":["Action"]}""");
        var items = ItemFile.Read(path);
        Assert.Equal(2, items.Count);
        Assert.Equal("One again", items["m1"].Title);
        Assert.Equal(["Action"], items["m1"].Categories);
        Assert.Equal(DateTimeOffset.UnixEpoch, items["m1"].CreatedAt);
        Assert.True(items["m2"].Hidden);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), items["m2"].ExpiresAt);
        Assert.Equal(["Comedy", "Drama"], items["m2"].Categories);
    }

    [Fact]
    public void A_bad_line_or_a_missing_file_is_refused_with_where()
    {
        Assert.Contains("line 2", Assert.Throws<ArgumentException>(() => ItemFile.Read(Write("""{"id":"a"}""", "not json"))).Message, StringComparison.Ordinal);
        Assert.Contains("line 1", Assert.Throws<ArgumentException>(() => ItemFile.Read(Write("""{"title":"no id"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => ItemFile.Read(Path.Combine(_dir, "none.jsonl"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_table_joins_columns_by_external_id_and_leaves_unknown_items_bare()
    {
        var catalog = ItemFile.Read(Write(
            """{"id":"10","categories":["Drama"],"attributes":{"series":"x"},"createdAt":"2000-01-01T00:00:00Z"}""",
            """{"id":"30","categories":["Comedy"]}"""));
        var table = ItemFile.Table(3, ["30", "20", "10"], catalog, ["series"]);
        Assert.Equal(["30", "20", "10"], table.Ids);
        Assert.Equal("Comedy", table.CategoryNames[table.Categories[0].Single()]);
        Assert.Empty(table.Categories[1]);
        Assert.Equal("Drama", table.CategoryNames[table.Categories[2].Single()]);
        Assert.Equal(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), table.CreatedAtMs[2]);
        Assert.Throws<ArgumentException>(() => ItemFile.Table(4, ["1", "2"], catalog));
    }

    [Fact]
    public void The_pipeline_recommender_sees_the_item_file_s_categories_once_it_has_the_ids()
    {
        var b = new CsrMatrixBuilder();
        var random = new Random(3);
        for (int u = 0; u < 40; u++)
        {
            foreach (int i in Enumerable.Range(0, 20).OrderBy(_ => random.Next()).Take(6))
            {
                b.Add(u, i, 1, 1_000_000 + random.Next(1000));
            }
        }
        var matrix = b.Build(40, 20);
        string[] ids = [.. Enumerable.Range(0, 20).Select(i => $"movie{i}")];
        string path = Write([.. ids.Select((id, i) => $$"""{"id":"{{id}}","categories":["{{(i % 2 == 0 ? "even" : "odd")}}"]}""")]);

        var withoutIds = new PipelineRecommender(PipelineOptions.Default(), itemsPath: path);
        Assert.Throws<InvalidOperationException>(() => withoutIds.Fit(matrix));

        var model = new PipelineRecommender(PipelineOptions.Default(), itemsPath: path);
        model.UseItemIds(ids);
        model.Fit(matrix);
        var items = model.Pipeline.Items;
        Assert.Equal(ids, items.Ids);
        Assert.Equal("odd", items.CategoryNames[items.Categories[7].Single()]);
        Assert.Equal(10, model.Recommend(0, 10).Length);
    }

    [Fact]
    public void The_evaluation_spec_takes_an_item_file_and_refuses_a_missing_one()
    {
        var catalog = new ModelCatalog([PipelineConfiguration.ModelFactory]);
        string path = Write("""{"id":"1","categories":["Drama"]}""");
        var model = Assert.IsType<PipelineRecommender>(catalog.Create(ModelSpec.Parse($"pipeline:items={path}")));
        Assert.Equal(path, model.ItemsPath);
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => catalog.Create(ModelSpec.Parse($"pipeline:items={Path.Combine(_dir, "none.jsonl")}"))).Message, StringComparison.Ordinal);
    }
}
