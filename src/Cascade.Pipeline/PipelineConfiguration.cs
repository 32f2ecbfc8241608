using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Cascade.Models;

namespace Cascade.Pipeline;

/// <summary>Reading pipeline configuration files, and the pipeline as a model that offline evaluation can build.</summary>
public static class PipelineConfiguration
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>
    /// Reads a <see cref="PipelineOptions"/> JSON file — the <c>Cascade:Pipeline</c> appsettings section itself, or a
    /// whole appsettings-shaped file holding only that section — and validates it.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentException">The file is missing, malformed or invalid; the message says where.</exception>
    public static PipelineOptions Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"Pipeline configuration file '{path}' does not exist.", nameof(path));
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Pipeline configuration file '{path}' is not valid: {e.Message}", nameof(path), e);
        }
        var options = FromJson(root, $"Pipeline configuration file '{path}'");
        ResolveRankerModel(options, Path.GetDirectoryName(Path.GetFullPath(path))!);
        return options;
    }

    /// <summary>
    /// A file a ranker reads (the <c>onnx</c> ranker's <c>model</c>) given as a relative path is relative to the
    /// configuration file's folder, so a pipeline file and its model can move together.
    /// </summary>
    private static void ResolveRankerModel(PipelineOptions options, string folder)
    {
        if (options.Ranker is { } ranker
            && string.Equals(ranker.Kind, Cascade.Ranking.Onnx.OnnxRanker.KindName, StringComparison.OrdinalIgnoreCase)
            && ranker.Parameters.TryGetValue(Cascade.Ranking.Onnx.OnnxRankerOptions.ModelKey, out string? model)
            && model.Length > 0 && !Path.IsPathRooted(model))
        {
            ranker.Parameters[Cascade.Ranking.Onnx.OnnxRankerOptions.ModelKey] = Path.GetFullPath(Path.Combine(folder, model));
        }
    }

    /// <summary>
    /// Reads a <see cref="PipelineOptions"/> from JSON — the section itself, or <c>{"Cascade": {"Pipeline": …}}</c> —
    /// and validates it.
    /// </summary>
    /// <param name="root">The JSON.</param>
    /// <param name="what">What the JSON is, for messages (e.g. "Pipeline configuration file 'x.json'").</param>
    /// <exception cref="ArgumentException">The JSON is empty, malformed or invalid; the message says where.</exception>
    public static PipelineOptions FromJson(JsonNode? root, string what)
    {
        PipelineOptions? options;
        try
        {
            // Either the section itself or an appsettings-shaped file ({"Cascade": {"Pipeline": …}}, as cascade tune writes).
            if (root is JsonObject { Count: 1 } outer && outer["Cascade"] is JsonObject cascade && cascade["Pipeline"] is JsonObject section)
            {
                root = section;
            }
            options = root?.Deserialize<PipelineOptions>(Json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{what} is not valid: {e.Message}", nameof(root), e);
        }
        if (options is null)
        {
            throw new ArgumentException($"{what} is empty.", nameof(root));
        }
        var errors = options.Validate();
        return errors.Count == 0 ? options
            : throw new ArgumentException($"{what} is invalid:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}", nameof(root));
    }

    private static readonly JsonSerializerOptions Written = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Writes <paramref name="options"/> as an appsettings-shaped file, <c>{"Cascade": {"Pipeline": …}}</c>, which
    /// <c>cascade serve --config</c> and <see cref="Load"/> (so <c>pipeline:config=FILE</c>) both accept.
    /// </summary>
    /// <param name="options">The configuration.</param>
    /// <param name="path">The file (replaced).</param>
    public static void Save(PipelineOptions options, string path)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var section = JsonSerializer.SerializeToNode(options, Written)!.AsObject();
        // Settings left at their defaults are omitted, so the file says only what was chosen.
        foreach (var empty in section.Where(p => p.Value is JsonArray { Count: 0 } or JsonObject { Count: 0 }).Select(p => p.Key).ToList())
        {
            section.Remove(empty);
        }
        string temp = path + ".tmp";
        File.WriteAllText(temp, new JsonObject { ["Cascade"] = new JsonObject { ["Pipeline"] = section } }.ToJsonString(Written) + Environment.NewLine);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The pipeline as a model of a <see cref="ModelCatalog"/>, named "pipeline": <c>pipeline</c> builds
    /// <see cref="PipelineOptions.Default"/> (model selection chooses its sources, fusion and ranker while fitting), <c>pipeline:config=FILE.json</c> a configured one, <c>ranker=none</c> drops
    /// its ranker (fusion order), and <c>items=FILE.jsonl</c> gives its items the attributes of a catalog file (<see cref="ItemFile"/>).
    /// </summary>
    public static ModelFactory ModelFactory { get; } = new("pipeline", "config=FILE.json (a Cascade:Pipeline section as JSON; default: model selection), ranker=none|KIND, items=FILE.jsonl (item attributes, the API's item shape)", (spec, seed) =>
        {
            foreach (string key in spec.Parameters.Keys)
            {
                if (key is not ("config" or "ranker" or "items" or "validation" or "budget"))
                {
                    throw new ArgumentException($"pipeline has no parameter '{key}'; use config=FILE.json, ranker=none|KIND and items=FILE.jsonl.");
                }
            }
            string? items = spec.Parameters.GetValueOrDefault("items");
            if (items is not null && !File.Exists(items))
            {
                throw new ArgumentException($"pipeline: item file '{items}' does not exist.");
            }
            var options = spec.Parameters.TryGetValue("config", out string? path) ? Load(path) : PipelineOptions.Default();
            if (spec.Parameters.TryGetValue("validation", out string? validation))
            {
                (options.Selection ??= new Selection.SelectionOptions()).Validation = validation;
            }
            if (spec.Parameters.TryGetValue("budget", out string? budget))
            {
                (options.Selection ??= new Selection.SelectionOptions()).BudgetSeconds = double.Parse(budget, System.Globalization.CultureInfo.InvariantCulture);
            }
            if (spec.Parameters.TryGetValue("ranker", out string? ranker))
            {
                options.Ranker = ranker == "none" ? null : new RankerOptions { Kind = ranker, Parameters = options.Ranker?.Kind == ranker ? options.Ranker.Parameters : [] };
                if (ranker == "none" && options.IsSelectionOn())
                {
                    // No ranker pinned: selection tries none either.
                    options.Selection ??= new Selection.SelectionOptions();
                    options.Selection.Rankers = [];
                }
            }
            return new PipelineRecommender(options, seed, items);
        });
}
