using System.Text.Json;
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

    /// <summary>Reads a <see cref="PipelineOptions"/> JSON file (the same shape as the <c>Cascade:Pipeline</c> appsettings section) and validates it.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentException">The file is missing, malformed or invalid; the message says where.</exception>
    public static PipelineOptions Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ArgumentException($"Pipeline configuration file '{path}' does not exist.", nameof(path));
        }
        PipelineOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<PipelineOptions>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Pipeline configuration file '{path}' is not valid: {e.Message}", nameof(path), e);
        }
        if (options is null)
        {
            throw new ArgumentException($"Pipeline configuration file '{path}' is empty.", nameof(path));
        }
        var errors = options.Validate();
        return errors.Count == 0 ? options
            : throw new ArgumentException($"Pipeline configuration file '{path}' is invalid:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}", nameof(path));
    }

    /// <summary>
    /// The pipeline as a model of a <see cref="ModelCatalog"/>, named "pipeline": <c>pipeline</c> builds
    /// <see cref="PipelineOptions.Default"/>, <c>pipeline:config=FILE.json</c> a configured one, <c>ranker=none</c> drops
    /// its ranker (fusion order), and <c>items=FILE.jsonl</c> gives its items the attributes of a catalog file (<see cref="ItemFile"/>).
    /// </summary>
    public static ModelFactory ModelFactory { get; } = new("pipeline", "config=FILE.json (a Cascade:Pipeline section as JSON; default: the built-in pipeline), ranker=none|KIND, items=FILE.jsonl (item attributes, the API's item shape)", (spec, seed) =>
        {
            foreach (string key in spec.Parameters.Keys)
            {
                if (key is not ("config" or "ranker" or "items"))
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
            if (spec.Parameters.TryGetValue("ranker", out string? ranker))
            {
                options.Ranker = ranker == "none" ? null : new RankerOptions { Kind = ranker, Parameters = options.Ranker?.Kind == ranker ? options.Ranker.Parameters : [] };
            }
            return new PipelineRecommender(options, seed, items);
        });
}
