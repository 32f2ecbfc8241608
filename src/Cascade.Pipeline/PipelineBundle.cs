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
/// <param name="Selection">What model selection did to choose <paramref name="Pipeline"/>, or null (selection off).</param>
public sealed record BundleManifest(string Format, int Version, string App, long Sequence, DateTimeOffset CreatedAt, int Seed,
    PipelineOptions Pipeline, IReadOnlyList<BundleFile> Models, BundleFile? Ranker, Selection.SelectionReport? Selection = null);

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
            var manifest = new BundleManifest("cascade-bundle", 1, app, sequence, DateTimeOffset.UtcNow, seed, options, files, ranker, pipeline.Selection);
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

    /// <summary>Largest manifest read, in bytes.</summary>
    public const long MaxManifestBytes = 16L << 20;

    /// <summary>Reads and validates the manifest of the bundle at <paramref name="directory"/> (no model file is read).</summary>
    /// <exception cref="InvalidDataException">The manifest is missing, not a regular file, too large or invalid.</exception>
    public static BundleManifest ReadManifest(string directory)
    {
        string manifestPath = Path.Combine(directory, ManifestFile);
        var info = new FileInfo(manifestPath);
        if (!info.Exists)
        {
            throw new InvalidDataException($"This is not a Cascade bundle: {ManifestFile} is missing.");
        }
        if (info.LinkTarget is not null || info.Length > MaxManifestBytes || info.Length == 0)
        {
            throw new InvalidDataException($"{ManifestFile} is not a regular file of at most {MaxManifestBytes} bytes.");
        }
        BundleManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BundleManifest>(File.ReadAllText(manifestPath), Json)
                ?? throw new InvalidDataException($"{ManifestFile} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{ManifestFile} is not a valid bundle manifest: {e.Message}", e);
        }
        Validate(manifest);
        return manifest;
    }

    /// <summary>
    /// Reads and verifies the manifest and every file's checksum, and loads the fitted models and the ranker. Only
    /// regular files are opened (no symbolic links, devices or pipes), each of the length its manifest declares, which
    /// is checked before a byte is read; messages name files by their name in the bundle, never by a full path.
    /// </summary>
    /// <param name="directory">The bundle directory.</param>
    /// <param name="cancellationToken">Stops the read between chunks.</param>
    /// <exception cref="InvalidDataException">A file is missing, its checksum does not match, or it does not load; the message names the file.</exception>
    public static (BundleManifest Manifest, Dictionary<string, IRecommender> Models, IRanker? Ranker) Read(string directory, CancellationToken cancellationToken = default)
    {
        var manifest = ReadManifest(directory);
        var models = new Dictionary<string, IRecommender>(StringComparer.Ordinal);
        foreach (var file in manifest.Models)
        {
            models[file.Spec] = Load(directory, file, ModelFile.Load, cancellationToken);
        }
        var ranker = manifest.Ranker is { } r ? Load(directory, r, RankerCatalog.Load, cancellationToken) : null;
        return (manifest, models, ranker);
    }

    // Every field a manifest needs is there (JSON null or absent fields deserialize to null whatever the types say).
    private static void Validate(BundleManifest manifest)
    {
        var missing = new List<string>();
        void Need(object? value, string name)
        {
            if (value is null)
            {
                missing.Add(name);
            }
        }
        Need(manifest.Format, "format");
        Need(manifest.App, "app");
        Need(manifest.Pipeline, "pipeline");
        Need(manifest.Models, "models");
        for (int i = 0; i < (manifest.Models?.Count ?? 0); i++)
        {
            var f = manifest.Models![i];
            if (f is null)
            {
                missing.Add($"models[{i}]");
                continue;
            }
            Need(f.Spec, $"models[{i}].spec");
            Need(f.File, $"models[{i}].file");
            Need(f.Sha256, $"models[{i}].sha256");
        }
        if (manifest.Ranker is { } r)
        {
            Need(r.File, "ranker.file");
            Need(r.Sha256, "ranker.sha256");
        }
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"{ManifestFile} lacks {string.Join(", ", missing)}.");
        }
        if (manifest.Format != "cascade-bundle" || manifest.Version != 1)
        {
            throw new InvalidDataException($"{ManifestFile}: format '{manifest.Format}' version {manifest.Version} is not supported (this build reads cascade-bundle version 1).");
        }
        if (manifest.Pipeline.IsSelectionOn())
        {
            throw new InvalidDataException($"{ManifestFile}: the pipeline configuration asks for model selection; a bundle holds the configuration selection chose, and is loaded, never retrained.");
        }
        if (manifest.Pipeline.Validate() is { Count: > 0 } errors)
        {
            throw new InvalidDataException($"{ManifestFile}: the pipeline configuration is invalid: {string.Join("; ", errors)}");
        }
    }

    /// <summary>Rebuilds a pipeline from a bundle read by <see cref="Read"/> over the data it was trained on.</summary>
    /// <param name="directory">The bundle directory.</param>
    /// <param name="data">The interactions up to the manifest's sequence and the item table.</param>
    /// <exception cref="InvalidDataException">The bundle is damaged or does not fit the data.</exception>
    public static RecommendationPipeline Load(string directory, PipelineData data) => Build(Read(directory), data);

    /// <summary>
    /// Builds the pipeline of a bundle read by <see cref="Read"/> over the data it was trained on. Nothing is fitted or
    /// trained: a model the configuration needs that the bundle lacks (a wrong <c>spec</c>), a model the bundle holds that
    /// the configuration does not use, or a configured ranker without its file is an error.
    /// </summary>
    /// <param name="bundle">What <see cref="Read"/> returned.</param>
    /// <param name="data">The interactions up to the manifest's sequence and the item table.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <exception cref="InvalidDataException">The bundle does not fit the data or its configuration.</exception>
    public static RecommendationPipeline Build((BundleManifest Manifest, Dictionary<string, IRecommender> Models, IRanker? Ranker) bundle, PipelineData data,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (manifest, models, ranker) = bundle;
        foreach (var (spec, model) in models)
        {
            if (model.UserCount != data.Interactions.Rows || model.ItemCount != data.Interactions.Columns)
            {
                throw new InvalidDataException($"Bundle model '{spec}' was fitted on {model.UserCount} users × {model.ItemCount} items, but the log up to sequence {manifest.Sequence} gives {data.Interactions.Rows} × {data.Interactions.Columns}.");
            }
        }
        if (manifest.Pipeline.Ranker is not null && ranker is null)
        {
            throw new InvalidDataException("The bundle's configuration has a ranker but the bundle holds no ranker file; it would have to be trained.");
        }
        var pipeline = PipelineBuilder.Build(manifest.Pipeline, data, manifest.Seed, null, models, ranker, cancellationToken);
        var fitted = pipeline.Models.Where(m => !models.TryGetValue(m.Key, out var given) || !ReferenceEquals(given, m.Value)).Select(m => m.Key).ToList();
        if (fitted.Count > 0)
        {
            throw new InvalidDataException($"The bundle holds no model for spec {string.Join(", ", fitted.Select(f => $"'{f}'"))} that its configuration uses (it holds {string.Join(", ", models.Keys.Select(k => $"'{k}'"))}); a bundle is loaded, never retrained.");
        }
        var unused = models.Keys.Where(k => !pipeline.Models.ContainsKey(k)).ToList();
        if (unused.Count > 0)
        {
            throw new InvalidDataException($"The bundle holds models its configuration does not use: {string.Join(", ", unused.Select(u => $"'{u}'"))}.");
        }
        if (manifest.Pipeline.Ranker is not null && ranker is not null && !ranker.Schema!.Equals(pipeline.Features!.Schema))
        {
            throw new InvalidDataException("The bundle's ranker was fitted on another feature schema than this pipeline builds.");
        }
        pipeline.Selection = manifest.Selection;
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

    private static T Load<T>(string directory, BundleFile file, Func<Stream, T> load, CancellationToken cancellationToken)
    {
        if (file.File.Length == 0 || file.File.Contains('/', StringComparison.Ordinal) || file.File.Contains('\\', StringComparison.Ordinal) || file.File is "." or "..")
        {
            throw new InvalidDataException($"Bundle file '{file.File}' (for '{file.Spec}') is not a file name in the bundle.");
        }
        string path = Path.Combine(directory, file.File);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new InvalidDataException($"Bundle file '{file.File}' (for '{file.Spec}') is missing.");
        }
        // Checked before the file is opened: a link, a device or a pipe (whose length is 0) is never read.
        if (info.LinkTarget is not null || (info.Attributes & (FileAttributes.ReparsePoint | FileAttributes.Directory | FileAttributes.Device)) != 0)
        {
            throw new InvalidDataException($"Bundle file '{file.File}' (for '{file.Spec}') is not a regular file.");
        }
        if (file.Bytes <= 0 || info.Length != file.Bytes)
        {
            throw new InvalidDataException($"Bundle file '{file.File}' (for '{file.Spec}') has {info.Length} bytes; the manifest declares {file.Bytes}.");
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (stream.Length != file.Bytes)
        {
            throw new InvalidDataException($"Bundle file '{file.File}' (for '{file.Spec}') changed while it was read.");
        }
        string actual = Hash(stream, file.Bytes, cancellationToken);
        if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"Bundle file '{file.File}' (for '{file.Spec}') fails its checksum: manifest SHA-256 {file.Sha256}, file {actual}.");
        }
        stream.Position = 0;
        return load(stream);
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    // Hashes at most `bytes` bytes, checking for cancellation between chunks.
    private static string Hash(Stream stream, long bytes, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long left = bytes;
        while (left > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0)
            {
                break;
            }
            hash.AppendData(buffer, 0, n);
            left -= n;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
