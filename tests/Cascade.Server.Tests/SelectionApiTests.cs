using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cascade.Pipeline;
using Cascade.Pipeline.Selection;

namespace Cascade.Server.Tests;

/// <summary>Model selection runs when the server trains without configured sources, and says what it did.</summary>
public sealed class SelectionApiTests
{
    // 120 users in four taste groups, each clicking 8–13 of their group's 20 items (one an hour).
    private static async Task PostClicks(RunningServer server)
    {
        var random = new Random(4);
        var events = new StringBuilder("[");
        for (int u = 0; u < 120; u++)
        {
            long t = 1_700_000_000_000 + u * 60_000L;
            foreach (int i in Enumerable.Range(0, 20).OrderBy(_ => random.Next()).Take(8 + random.Next(6)))
            {
                string timestamp = DateTimeOffset.FromUnixTimeMilliseconds(t += 3_600_000).ToString("O");
                events.Append(events.Length > 1 ? "," : "").Append($$"""{"userId":"u{{u}}","itemId":"i{{u % 4 * 20 + i}}","type":"click","timestamp":"{{timestamp}}"}""");
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", events.Append(']').ToString())).StatusCode);
    }

    [Fact]
    public async Task Training_without_configured_sources_selects_them_and_the_stats_show_the_search()
    {
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:Pipeline:Selection:BudgetSeconds"] = "30",
            ["Cascade:Pipeline:Selection:TrialsPerFamily"] = "3",
            ["Cascade:Pipeline:Selection:Models:0"] = "itemknn",
            ["Cascade:Pipeline:Selection:Models:1"] = "als",
        });
        await PostClicks(server);

        var trained = await server.Client.PostAsync("/v1/admin/train", null);
        Assert.Equal(HttpStatusCode.OK, trained.StatusCode);
        var selection = (await trained.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("selection");
        Assert.Equal("ndcg@10", selection.GetProperty("metric").GetString());
        Assert.True(selection.GetProperty("validationUsers").GetInt32() >= 50);
        Assert.Contains(selection.GetProperty("trials").EnumerateArray(), t => t.GetProperty("stage").GetString() == "source" && t.GetProperty("configuration").GetString() == "itemknn");
        Assert.True(selection.GetProperty("score").GetDouble() >= selection.GetProperty("baselineScore").GetDouble());

        var stats = await server.Client.GetFromJsonAsync<JsonElement>("/v1/admin/stats");
        Assert.Equal(selection.GetProperty("chosen").GetString(), stats.GetProperty("selection").GetProperty("chosen").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/recommend/u1?n=5")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/recommend/nobody-yet?n=5")).StatusCode);
    }

    [Fact]
    public void The_configuration_tune_writes_is_what_serve_config_reads()
    {
        var chosen = new PipelineOptions
        {
            Sources =
            [
                new SourceOptions { Name = "ease", Kind = "model", Model = "ease:lambda=300", Quota = 100, Weight = 2 },
                new SourceOptions { Name = "trending", Kind = "popular", Quota = 50, HalfLifeHours = 168, Weight = 0.25 },
            ],
            Ranker = new RankerOptions { Kind = "lr" },
        };
        string path = Path.Combine(Path.GetTempPath(), $"cascade-tuned-{Guid.NewGuid():N}.json");
        try
        {
            PipelineConfiguration.Save(chosen, path);

            var served = ServerOptions.LoadWith(path);
            served.Validate(); // throws naming every invalid setting
            Assert.False(served.Pipeline.IsSelectionOn());
            Assert.Equal<string>(["ease", "trending"], [.. served.Pipeline.Sources.Select(s => s.Name)]);
            Assert.Equal(2, served.Pipeline.Sources[0].Weight);
            Assert.Equal("lr", served.Pipeline.Ranker!.Kind);
            var offline = PipelineConfiguration.Load(path);
            Assert.Equal("ease:lambda=300", offline.Sources[0].Model);
            Assert.Equal(0.25, offline.Sources[1].Weight);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_bundle_keeps_its_selection_report_and_refuses_a_configuration_that_would_select_again()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"cascade-bundle-{Guid.NewGuid():N}");
        try
        {
            var random = new Random(2);
            var b = new Cascade.Core.CsrMatrixBuilder();
            for (int u = 0; u < 80; u++)
            {
                foreach (int i in Enumerable.Range(0, 30).OrderBy(_ => random.Next()).Take(6 + random.Next(6)))
                {
                    b.Add(u, u % 3 * 10 + i % 10, 1, 1_000_000 + u * 1000 + i);
                }
            }
            var items = ItemTable.Build([.. Enumerable.Range(0, 30).Select(i => new Cascade.Core.Domain.Item(Cascade.Core.Domain.Apps.Default, $"i{i}", "", [], [], "{}", DateTimeOffset.UnixEpoch, false, null))]);
            var data = new Cascade.Pipeline.Sources.PipelineData(b.Build(80, 30), items);
            var pipeline = PipelineBuilder.Build(new PipelineOptions { Selection = new SelectionOptions { BudgetSeconds = 20, TrialsPerFamily = 2, Models = ["itemknn"], Rankers = [] } }, data);
            Assert.NotNull(pipeline.Selection);

            PipelineBundle.Save(pipeline, dir, "default", 1, 42);
            var loaded = PipelineBundle.Load(dir, data);
            Assert.Equal(pipeline.Selection!.Chosen, loaded.Selection!.Chosen);
            Assert.Equal(pipeline.Selection.Trials.Count, loaded.Selection.Trials.Count);

            string manifest = Path.Combine(dir, PipelineBundle.ManifestFile);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
            json["pipeline"]!["selection"] = new System.Text.Json.Nodes.JsonObject { ["enabled"] = true };
            File.WriteAllText(manifest, json.ToJsonString());
            var refused = Assert.Throws<InvalidDataException>(() => PipelineBundle.Read(dir));
            Assert.Contains("never retrained", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
