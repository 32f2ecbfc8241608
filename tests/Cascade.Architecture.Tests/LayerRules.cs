namespace Cascade.Architecture.Tests;

/// <summary>
/// The layers of the src projects and the rules their references obey: a project references only projects of lower
/// layers (or a listed same-layer pair), every project has a layer, and some projects may reach only part of what lies
/// below them. A new project must be placed here deliberately.
/// </summary>
internal sealed class LayerRules
{
    /// <summary>The repository's rules.</summary>
    public static LayerRules Cascade { get; } = new()
    {
        Layers = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            ["Cascade.Core"] = 0,
            // The HTTP client speaks only the documented API (docs/openapi.json) with its own DTOs: it references no Cascade project.
            ["Cascade.Client"] = 0,
            ["Cascade.Storage"] = 1,
            ["Cascade.Models"] = 1,
            ["Cascade.Ann"] = 1,
            ["Cascade.Ranking"] = 2,
            ["Cascade.Ranking.Trees"] = 3,
            ["Cascade.Ranking.Neural"] = 3,
            // Scores with an ONNX model trained elsewhere (ONNX Runtime); the pipeline reaches it through the ranker catalog.
            ["Cascade.Ranking.Onnx"] = 3,
            ["Cascade.Features"] = 4,
            ["Cascade.Pipeline"] = 5,
            // Evaluation sits above the learners and beside Serving: neither may reference the other.
            ["Cascade.Evaluation"] = 6,
            ["Cascade.Serving"] = 6,
            // Experiments (assignment, statistics, simulator) sits beside Serving and Evaluation and references neither; Serving, Server and Cli call it.
            ["Cascade.Experiments"] = 6,
            // Monitoring (drift statistics, reference snapshot, simulator) sits beside Experiments and Serving and references only Core; Cli calls it, the server will.
            ["Cascade.Monitoring"] = 6,
            ["Cascade.Server"] = 7,
            ["Cascade.Tooling"] = 7,
            ["Cascade.Cli"] = 8,
        },
        OnlyReferences = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            ["Cascade.Client"] = [],
            // Offline evaluation judges the learners; it knows nothing of storage, features, the pipeline or serving.
            ["Cascade.Evaluation"] = ["Cascade.Core", "Cascade.Models", "Cascade.Ranking", "Cascade.Ranking.Trees", "Cascade.Ranking.Neural"],
        },
        SameLayerPairs = [],
        ForbiddenPackages = ["Npgsql", "BenchmarkDotNet"],
    };

    /// <summary>Layer of each project; 0 is the lowest.</summary>
    public required IReadOnlyDictionary<string, int> Layers { get; init; }

    /// <summary>Projects restricted to the listed references, whatever their layer allows.</summary>
    public required IReadOnlyDictionary<string, string[]> OnlyReferences { get; init; }

    /// <summary>References allowed between projects of the same layer.</summary>
    public required IReadOnlyList<(string From, string To)> SameLayerPairs { get; init; }

    /// <summary>Packages no project of the checked set may reference.</summary>
    public required IReadOnlyList<string> ForbiddenPackages { get; init; }

    /// <summary>Every rule that <paramref name="projects"/> break, one sentence each; empty when they keep them all.</summary>
    /// <param name="projects">All the projects the rules govern (the src folder).</param>
    public IReadOnlyList<string> Violations(IReadOnlyList<ProjectFile> projects)
    {
        var problems = new List<string>();
        var present = projects.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in Layers.Keys.Where(n => !present.Contains(n)))
        {
            problems.Add($"The layer table names {name}, which is not a project.");
        }
        foreach (var project in projects)
        {
            if (!Layers.TryGetValue(project.Name, out int layer))
            {
                problems.Add($"{project.Name} has no layer in the table.");
            }
            foreach (string target in project.ProjectReferences)
            {
                if (!Layers.TryGetValue(target, out int targetLayer))
                {
                    problems.Add($"{project.Name} references {target}, which has no layer in the table.");
                    continue;
                }
                if (!Layers.ContainsKey(project.Name))
                {
                    continue;
                }
                bool sameLayerPair = targetLayer == layer && SameLayerPairs.Contains((project.Name, target));
                if (targetLayer >= layer && !sameLayerPair)
                {
                    problems.Add($"{project.Name} (layer {layer}) references {target} (layer {targetLayer}); references go to lower layers only.");
                }
                if (OnlyReferences.TryGetValue(project.Name, out var allowed) && !allowed.Contains(target, StringComparer.Ordinal))
                {
                    problems.Add(allowed.Length == 0
                        ? $"{project.Name} references {target}; it may reference no other project."
                        : $"{project.Name} references {target}; it may reference only {string.Join(", ", allowed)}.");
                }
            }
            foreach (string package in project.PackageReferences.Where(p => ForbiddenPackages.Contains(p, StringComparer.OrdinalIgnoreCase)))
            {
                problems.Add($"{project.Name} references the package {package}, which no library may use.");
            }
        }
        return problems;
    }
}
