using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Pipeline;
using Cascade.Pipeline.Sources;
using Microsoft.Extensions.Configuration;

namespace Cascade.Server.Tests;

/// <summary>
/// Every configuration example the documentation shows is loaded the way the product loads it, validated, and built
/// into a pipeline on a small synthetic data set, so an example cannot rot.
/// <para>
/// Examples: every <c>```json</c> block in README.md and docs/**/*.md, the pipeline files under bench/pipeline, the
/// server configurations under bench/load and bench/soak and the shipped src/Cascade.Cli/appsettings.json. A block whose top level
/// has a <c>Cascade</c> section is an appsettings file (bound by <see cref="ServerOptions.From"/>, as
/// <c>cascade serve --config</c> does); any other block is a pipeline file (read by
/// <see cref="PipelineConfiguration.Load"/>, as <c>cascade evaluate --models pipeline:config=FILE</c> does).
/// </para>
/// <para>
/// Convention: a <c>```json</c> block that is not configuration (an API request or response) carries the comment
/// <c>&lt;!-- not-config --&gt;</c> on the nearest non-blank line above its fence; it is then skipped.
/// </para>
/// </summary>
public sealed partial class DocsConfigurationTests
{
    private const string NotConfig = "<!-- not-config -->";
    private const long NowMs = 2_000_000_000;
    private static readonly string Root = IngestionApiTests.RepoRoot();
    private static readonly Lazy<PipelineData> LazyData = new(SyntheticData);

    private static PipelineData Data => LazyData.Value;

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var (name, _) in AllExamples())
        {
            data.Add(name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void A_documented_configuration_validates_and_builds_a_pipeline_that_serves(string example)
    {
        string json = AllExamples().Single(e => e.Name == example).Json;
        var pipeline = PipelineOf(json);

        var built = PipelineBuilder.Build(pipeline, Data, seed: 7);
        var known = built.Run(new PipelineRequest(3, RecommendationPipeline.HistoryOf(Data.Interactions, 3), 10, NowMs));
        var anonymous = built.Run(new PipelineRequest(-1, [1, 2], 10, NowMs));

        Assert.NotEmpty(known.Items);
        Assert.NotEmpty(anonymous.Items);
    }

    [Fact]
    public void The_examples_include_the_pipeline_guide_and_every_configuration_file()
    {
        var names = AllExamples().Select(e => e.Name).ToList();
        Assert.Contains(names, n => n.StartsWith("docs/pipeline.md:", StringComparison.Ordinal));
        foreach (string file in Directory.GetFiles(Path.Combine(Root, "bench", "pipeline"), "*.json"))
        {
            Assert.Contains(Path.GetRelativePath(Root, file).Replace('\\', '/'), names);
        }
        Assert.Contains("bench/load/full.json", names);
        Assert.Contains("src/Cascade.Cli/appsettings.json", names);
    }

    [Fact]
    public void An_unmarked_block_that_is_not_configuration_is_refused()
    {
        var blocks = JsonBlocks("text\n\n```json\n{\"userId\":\"u1\",\"itemId\":\"i9\"}\n```\n\n" + NotConfig + "\n```json\n{\"a\":1}\n```\n");
        var (_, json) = Assert.Single(blocks);
        Assert.Throws<ArgumentException>(() => PipelineOf(json));
    }

    [Fact]
    public void A_misspelt_setting_in_an_appsettings_example_is_refused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => PipelineOf("""{"Cascade": {"MaxBatchSiz": 5}}"""));
        Assert.Contains("MaxBatchSiz", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Binds <paramref name="json"/> as the product would and returns the pipeline it configures.</summary>
    private static PipelineOptions PipelineOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(ServerOptions.Section, out _))
        {
            var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
            var options = ServerOptions.From(configuration);
            // The binder skips settings it does not know; a documented one must exist.
            configuration.GetSection(ServerOptions.Section).Get<ServerOptions>(o => o.ErrorOnUnknownConfiguration = true);
            options.ToEngineOptions().Validate();
            return options.ToRecommendationOptions().Pipeline ?? PipelineOptions.Default();
        }
        // At the repository's root, so that a relative file in an example (the onnx ranker's model) resolves from there.
        string file = Path.Combine(Root, $".cascade-docs-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        try
        {
            return PipelineConfiguration.Load(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static IEnumerable<(string Name, string Json)> AllExamples()
    {
        var markdown = Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories).Append(Path.Combine(Root, "README.md"));
        foreach (string file in markdown.Order(StringComparer.Ordinal))
        {
            string name = Path.GetRelativePath(Root, file).Replace('\\', '/');
            foreach (var (line, json) in JsonBlocks(File.ReadAllText(file)))
            {
                yield return ($"{name}:{line}", json);
            }
        }
        var files = Directory.GetFiles(Path.Combine(Root, "bench", "pipeline"), "*.json")
            .Concat(Directory.GetFiles(Path.Combine(Root, "bench", "load"), "*.json"))
            .Concat(Directory.GetFiles(Path.Combine(Root, "bench", "soak"), "*.json"))
            .Append(Path.Combine(Root, "src", "Cascade.Cli", "appsettings.json"));
        foreach (string file in files.Order(StringComparer.Ordinal))
        {
            yield return (Path.GetRelativePath(Root, file).Replace('\\', '/'), File.ReadAllText(file));
        }
    }

    /// <summary>The <c>```json</c> blocks of a markdown text not marked <see cref="NotConfig"/>, with the fence's line number.</summary>
    private static List<(int Line, string Json)> JsonBlocks(string markdown)
    {
        var blocks = new List<(int, string)>();
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        string previous = "";
        for (int i = 0; i < lines.Length; i++)
        {
            var fence = Fence().Match(lines[i]);
            if (!fence.Success)
            {
                previous = lines[i].Trim().Length > 0 ? lines[i].Trim() : previous;
                continue;
            }
            string indent = fence.Groups["indent"].Value;
            int start = i + 1;
            int end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }
            if (previous != NotConfig)
            {
                blocks.Add((i + 1, string.Join('\n', lines[start..end].Select(l => l.StartsWith(indent, StringComparison.Ordinal) ? l[indent.Length..] : l))));
            }
            previous = "```";
            i = end;
        }
        return blocks;
    }

    [GeneratedRegex(@"^(?<indent>\s*)```json\s*$")]
    private static partial Regex Fence();

    /// <summary>150 users, 60 items in 4 categories, popularity skewed to low ids, a day of timestamps.</summary>
    private static PipelineData SyntheticData()
    {
        const int users = 150, items = 60;
        var random = new Random(11);
        var b = new CsrMatrixBuilder();
        for (int u = 0; u < users; u++)
        {
            foreach (int i in Enumerable.Range(0, items).OrderBy(_ => random.Next()).Take(8 + random.Next(8)))
            {
                b.Add(u, Math.Min(i, random.Next(items)), 1, NowMs - random.Next(86_400_000));
            }
        }
        var table = ItemTable.Build([.. Enumerable.Range(0, items).Select(i =>
            new Item(Apps.Default, $"i{i}", $"item {i}", [$"c{i % 4}"], [$"t{i % 3}"], "{}", DateTimeOffset.FromUnixTimeMilliseconds(NowMs - i * 60_000L), false, null))]);
        return new PipelineData(b.Build(users, items), table);
    }
}
