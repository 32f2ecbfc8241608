using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cascade.Models;
using Cascade.Models.Serialization;
using Cascade.Pipeline.Ranking;
using Cascade.Pipeline.Sources;
using Cascade.Ranking;

namespace Cascade.Pipeline;

/// <summary>One file of a bundle.</summary>
/// <param name="Spec">The model spec it holds (for a model), or "ranker".</param>
/// <param name="File">File name inside the bundle directory.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file.</param>
/// <param name="Bytes">File length.</param>
public sealed record BundleFile(string Spec, string File, string Sha256, long Bytes);

/// <summary>The manifest of a model bundle (manifest.json; docs/formats/bundle.md).</summary>
/// <param name="Format">Always "cascade-bundle".</param>
/// <param name="Version">Manifest version (1).</param>
/// <param name="App">The app it was trained for.</param>
/// <param name="Sequence">The event-log sequence its training snapshot ends at: loading rebuilds the snapshot up to it, so ids agree.</param>
/// <param name="CreatedAt">When it was written.</param>
/// <param name="Seed">The seed it was built with.</param>
/// <param name="Pipeline">The pipeline configuration.</param>
/// <param name="Models">One file per fitted model.</param>
/// <param name="Ranker">The ranker's file, or null.</param>
public sealed record BundleManifest(string Format, int Version, string App, long Sequence, DateTimeOffset CreatedAt, int Seed,
    PipelineOptions Pipeline, IReadOnlyList<BundleFile> Models, BundleFile? Ranker);

/// <summary>
/// A model bundle on disk: a directory with manifest.json and one checksummed model file per fitted model plus the
/// ranker. Written to a temporary directory and renamed into place, so a reader never sees half a bundle; read back
/// only after every file's SHA-256 matches the manifest (and each model file's own CRC), so a damaged bundle is
/// refused before anything is swapped.
/// </summary>
public static class PipelineBundle
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = "manifest.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes <paramref name="pipeline"/> as a bundle at <paramref name="directory"/> (replacing one there).</summary>
    /// <param name="pipeline">A pipeline built by <see cref="PipelineBuilder"/> (it knows its options and fitted models).</param>
    /// <param name="directory">Destination directory.</param>
    /// <param name="app">The app.</param>
    /// <param name="sequence">The log sequence of the training snapshot.</param>
    /// <param name="seed">The build seed.</param>
    /// <returns>The manifest written.</returns>
    public static BundleManifest Save(RecommendationPipeline pipeline, string directory, string app, long sequence, int seed)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var options = pipeline.Options ?? throw new ArgumentException("The pipeline was not built from options; it cannot be saved as a bundle.", nameof(pipeline));
        string final = Path.GetFullPath(directory);
        string temp = final + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(temp);
        try
        {
            var files = new List<BundleFile>();
            int n = 0;
            foreach (var (spec, model) in pipeline.Models.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                files.Add(WriteFile(temp, $"model-{n++:00}.cmodel", spec, model.Save));
            }
            BundleFile? ranker = pipeline.Ranker is { } r ? WriteFile(temp, "ranker.cmodel", "ranker", r.Save) : null;
            var manifest = new BundleManifest("cascade-bundle", 1, app, sequence, DateTimeOffset.UtcNow, seed, options, files, ranker);
            File.WriteAllText(Path.Combine(temp, ManifestFile), JsonSerializer.Serialize(manifest, Json));
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }
            Directory.Move(temp, final);
            return manifest;
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>Reads and verifies the manifest and every file's checksum, and loads the fitted models and the ranker.</summary>
    /// <param name="directory">The bundle directory.</param>
    /// <exception cref="InvalidDataException">A file is missing, its checksum does not match, or it does not load; the message names the file.</exception>
    public static (BundleManifest Manifest, Dictionary<string, IRecommender> Models, IRanker? Ranker) Read(string directory)
    {
        string manifestPath = Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            throw new InvalidDataException($"'{directory}' is not a Cascade bundle: {ManifestFile} is missing.");
        }
        BundleManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BundleManifest>(File.ReadAllText(manifestPath), Json)
                ?? throw new InvalidDataException($"{manifestPath} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{manifestPath} is not a valid bundle manifest: {e.Message}", e);
        }
        if (manifest.Format != "cascade-bundle" || manifest.Version != 1)
        {
            throw new InvalidDataException($"{manifestPath}: format '{manifest.Format}' version {manifest.Version} is not supported (this build reads cascade-bundle version 1).");
        }
        if (manifest.Pipeline.Validate() is { Count: > 0 } errors)
        {
            throw new InvalidDataException($"{manifestPath}: the pipeline configuration is invalid: {string.Join("; ", errors)}");
        }
        var models = new Dictionary<string, IRecommender>(StringComparer.Ordinal);
        foreach (var file in manifest.Models)
        {
            models[file.Spec] = Load(directory, file, ModelFile.Load);
        }
        var ranker = manifest.Ranker is { } r ? Load(directory, r, RankerCatalog.Load) : null;
        return (manifest, models, ranker);
    }

    /// <summary>Rebuilds a pipeline from a bundle read by <see cref="Read"/> over the data it was trained on.</summary>
    /// <param name="directory">The bundle directory.</param>
    /// <param name="data">The interactions up to the manifest's sequence and the item table.</param>
    /// <exception cref="InvalidDataException">The bundle is damaged or does not fit the data.</exception>
    public static RecommendationPipeline Load(string directory, PipelineData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (manifest, models, ranker) = Read(directory);
        foreach (var (spec, model) in models)
        {
            if (model.UserCount != data.Interactions.Rows || model.ItemCount != data.Interactions.Columns)
            {
                throw new InvalidDataException($"Bundle model '{spec}' was fitted on {model.UserCount} users × {model.ItemCount} items, but the log up to sequence {manifest.Sequence} gives {data.Interactions.Rows} × {data.Interactions.Columns}.");
            }
        }
        var pipeline = PipelineBuilder.Build(manifest.Pipeline, data, manifest.Seed, null, models, ranker);
        if (manifest.Pipeline.Ranker is not null && ranker is not null && !ranker.Schema!.Equals(pipeline.Features!.Schema))
        {
            throw new InvalidDataException("The bundle's ranker was fitted on another feature schema than this pipeline builds.");
        }
        return pipeline;
    }

    private static BundleFile WriteFile(string directory, string name, string spec, Action<Stream> write)
    {
        string path = Path.Combine(directory, name);
        using (var stream = File.Create(path))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        return new BundleFile(spec, name, Hash(path), new FileInfo(path).Length);
    }

    private static T Load<T>(string directory, BundleFile file, Func<Stream, T> load)
    {
        string path = Path.Combine(directory, file.File);
        if (file.File.Contains('/', StringComparison.Ordinal) || file.File.Contains('\\', StringComparison.Ordinal) || !File.Exists(path))
        {
            throw new InvalidDataException($"Bundle file '{file.File}' (for '{file.Spec}') is missing.");
        }
        string actual = Hash(path);
        if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"Bundle file '{file.File}' (for '{file.Spec}') fails its checksum: manifest SHA-256 {file.Sha256}, file {actual}.");
        }
        using var stream = File.OpenRead(path);
        return load(stream);
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
