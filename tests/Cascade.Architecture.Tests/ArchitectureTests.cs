namespace Cascade.Architecture.Tests;

public sealed class ArchitectureTests
{
    private static readonly string Root = ProjectFile.RepositoryRoot();

    private static IReadOnlyList<ProjectFile> SourceProjects() => ProjectFile.ReadAll(Path.Combine(Root, "src"));

    private static ProjectFile Project(string name, params string[] references) => new(name, references, []);

    /// <summary>The real table with a graph that keeps it: every project of the table, each referencing the one below.</summary>
    private static List<ProjectFile> GoodGraph() =>
    [
        Project("Cascade.Core"),
        Project("Cascade.Client"),
        Project("Cascade.Storage", "Cascade.Core"),
        Project("Cascade.Models", "Cascade.Core"),
        Project("Cascade.Ann", "Cascade.Core"),
        Project("Cascade.Ranking", "Cascade.Models"),
        Project("Cascade.Ranking.Trees", "Cascade.Ranking"),
        Project("Cascade.Ranking.Neural", "Cascade.Ranking"),
        Project("Cascade.Ranking.Onnx", "Cascade.Ranking"),
        Project("Cascade.Features", "Cascade.Ranking", "Cascade.Storage"),
        Project("Cascade.Pipeline", "Cascade.Ann", "Cascade.Ranking.Trees"),
        Project("Cascade.Evaluation", "Cascade.Models", "Cascade.Ranking"),
        Project("Cascade.Serving", "Cascade.Pipeline", "Cascade.Features"),
        Project("Cascade.Experiments", "Cascade.Core"),
        Project("Cascade.Monitoring", "Cascade.Core"),
        Project("Cascade.Server", "Cascade.Serving"),
        Project("Cascade.Tooling", "Cascade.Serving"),
        Project("Cascade.Cli", "Cascade.Server", "Cascade.Tooling", "Cascade.Evaluation", "Cascade.Experiments", "Cascade.Monitoring"),
    ];

    private static IReadOnlyList<string> ViolationsWith(Func<List<ProjectFile>, List<ProjectFile>> change) =>
        LayerRules.Cascade.Violations(change(GoodGraph()));

    private static List<ProjectFile> Replace(List<ProjectFile> graph, ProjectFile project)
    {
        graph[graph.FindIndex(p => p.Name == project.Name)] = project;
        return graph;
    }

    [Fact]
    public void Every_src_project_references_only_lower_layers()
    {
        var projects = SourceProjects();
        Assert.Contains(projects, p => p.Name == "Cascade.Core");
        Assert.Empty(LayerRules.Cascade.Violations(projects));
    }

    [Fact]
    public void Every_package_version_is_used_by_some_project()
    {
        // Directory.Build.props adds packages to many projects at once (the public API analyzers).
        var used = new[] { "src", "tests", "bench", "samples" }.SelectMany(f => ProjectFile.ReadAll(Path.Combine(Root, f)))
            .Append(ProjectFile.Read(Path.Combine(Root, "Directory.Build.props")))
            .SelectMany(p => p.PackageReferences).ToHashSet(StringComparer.OrdinalIgnoreCase);
        string[] unused = [.. ProjectFile.PackageVersions(Path.Combine(Root, "Directory.Packages.props")).Where(p => !used.Contains(p))];
        Assert.Empty(unused);
    }

    [Fact]
    public void A_graph_that_keeps_the_layers_has_no_violations() =>
        Assert.Empty(ViolationsWith(g => g));

    [Fact]
    public void A_reference_to_a_higher_layer_is_reported()
    {
        var problems = ViolationsWith(g => Replace(g, Project("Cascade.Ranking", "Cascade.Models", "Cascade.Evaluation")));
        Assert.Equal(["Cascade.Ranking (layer 2) references Cascade.Evaluation (layer 6); references go to lower layers only."], problems);
    }

    [Fact]
    public void A_reference_within_a_layer_is_reported()
    {
        var problems = ViolationsWith(g => Replace(g, Project("Cascade.Serving", "Cascade.Pipeline", "Cascade.Evaluation")));
        Assert.Equal(["Cascade.Serving (layer 6) references Cascade.Evaluation (layer 6); references go to lower layers only."], problems);
    }

    [Theory]
    [InlineData("Cascade.Serving")]
    [InlineData("Cascade.Evaluation")]
    [InlineData("Cascade.Server")]
    [InlineData("Cascade.Cli")]
    public void Experiments_may_not_reference_serving_evaluation_the_server_or_the_cli(string target)
    {
        var problems = ViolationsWith(g => Replace(g, Project("Cascade.Experiments", "Cascade.Core", target)));
        Assert.Single(problems);
        Assert.StartsWith($"Cascade.Experiments (layer 6) references {target} (layer ", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_client_may_reference_no_cascade_project_not_even_the_core()
    {
        var problems = ViolationsWith(g => Replace(g, Project("Cascade.Client", "Cascade.Core")));
        Assert.Equal(["Cascade.Client (layer 0) references Cascade.Core (layer 0); references go to lower layers only.", "Cascade.Client references Cascade.Core; it may reference no other project."], problems);
    }

    [Fact]
    public void The_cli_and_serving_may_reference_experiments()
    {
        Assert.Empty(ViolationsWith(g => Replace(g, Project("Cascade.Cli", "Cascade.Server", "Cascade.Experiments"))));
        Assert.Single(ViolationsWith(g => Replace(g, Project("Cascade.Serving", "Cascade.Pipeline", "Cascade.Experiments"))));
    }

    [Fact]
    public void A_listed_same_layer_pair_is_allowed()
    {
        var rules = new LayerRules
        {
            Layers = LayerRules.Cascade.Layers,
            OnlyReferences = LayerRules.Cascade.OnlyReferences,
            SameLayerPairs = [("Cascade.Models", "Cascade.Ann")],
            ForbiddenPackages = [],
        };
        var graph = Replace(GoodGraph(), Project("Cascade.Models", "Cascade.Core", "Cascade.Ann"));
        Assert.Empty(rules.Violations(graph));
        Assert.Single(rules.Violations(Replace(graph, Project("Cascade.Ann", "Cascade.Models"))));
    }

    [Fact]
    public void Evaluation_may_not_reach_the_pipeline_although_it_lies_below()
    {
        var problems = ViolationsWith(g => Replace(g, Project("Cascade.Evaluation", "Cascade.Models", "Cascade.Pipeline")));
        Assert.Single(problems);
        Assert.StartsWith("Cascade.Evaluation references Cascade.Pipeline; it may reference only", problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_project_without_a_layer_and_a_reference_to_it_are_reported()
    {
        var problems = ViolationsWith(g =>
        {
            g.Add(Project("Cascade.Extra", "Cascade.Core"));
            return Replace(g, Project("Cascade.Cli", "Cascade.Server", "Cascade.Extra"));
        });
        Assert.Equal(["Cascade.Cli references Cascade.Extra, which has no layer in the table.", "Cascade.Extra has no layer in the table."], problems);
    }

    [Fact]
    public void A_table_entry_without_a_project_is_reported() =>
        Assert.Equal(["The layer table names Cascade.Tooling, which is not a project."],
            ViolationsWith(g => [.. g.Where(p => p.Name != "Cascade.Tooling")]));

    [Fact]
    public void A_forbidden_package_is_reported() =>
        Assert.Equal(["Cascade.Storage references the package Npgsql, which no library may use."],
            ViolationsWith(g => Replace(g, new ProjectFile("Cascade.Storage", ["Cascade.Core"], ["Microsoft.Data.Sqlite", "Npgsql"]))));

    [Fact]
    public void Project_files_are_read_from_their_xml()
    {
        var cli = Assert.Single(SourceProjects(), p => p.Name == "Cascade.Cli");
        Assert.Contains("Cascade.Server", cli.ProjectReferences);
        Assert.Contains("System.CommandLine", cli.PackageReferences);
    }
}
