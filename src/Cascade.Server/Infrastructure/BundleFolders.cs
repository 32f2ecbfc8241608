using Cascade.Pipeline;
using Cascade.Serving;
using Cascade.Serving.Ingestion;

namespace Cascade.Server.Infrastructure;

/// <summary>The outcome of loading a named bundle: the summary, or the field and reason it was refused for (422: a bad name; 409: a refused bundle).</summary>
/// <param name="Summary">The bundle put in service.</param>
/// <param name="Status">422 or 409 when refused.</param>
/// <param name="Field">The field refused.</param>
/// <param name="Reason">Why, naming the bundle by its name, never by a server path.</param>
internal sealed record BundleLoad(TrainingSummary? Summary, int Status, string Field, string Reason);

/// <summary>
/// The server's bundles folder (<c>Cascade:BundlesDirectory</c>): bundles named by their folder there, listed,
/// saved and loaded (a roll-back is loading an earlier one). Used by <c>POST /v1/admin/bundle</c> and the dashboard.
/// </summary>
internal static class BundleFolders
{
    private const string Where = "the name of a bundle folder in the server's bundles folder (Cascade:BundlesDirectory)";

    /// <summary>Why <paramref name="name"/> cannot name a bundle folder, or null.</summary>
    public static string? WhyNotName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? $"is required: {Where}"
        : name is "." or ".." || InputValidator.WhyNotId(name) is not null || name.Contains('\\', StringComparison.Ordinal) ? $"must be {Where}, not a path"
        : null;

    /// <summary>Every folder of the bundles folder with its manifest (or why it could not be read), newest first.</summary>
    public static IReadOnlyList<(string Name, BundleManifest? Manifest, string? Error)> List(ServerOptions options, int max = 100)
    {
        var root = new DirectoryInfo(Path.GetFullPath(options.BundlesRoot));
        if (!root.Exists)
        {
            return [];
        }
        return [.. root.EnumerateDirectories().Where(d => d.LinkTarget is null && WhyNotName(d.Name) is null)
            .OrderByDescending(d => d.LastWriteTimeUtc).Take(max)
            .Select(d =>
            {
                try
                {
                    return (d.Name, (BundleManifest?)PipelineBundle.ReadManifest(d.FullName), (string?)null);
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
                {
                    return (d.Name, null, e.Message);
                }
            })];
    }

    /// <summary>The folder <paramref name="name"/> (a valid name) of the bundles folder, or null when it is not a folder there or is a link.</summary>
    public static string? Folder(ServerOptions options, string name)
    {
        string directory = Path.Combine(Path.GetFullPath(options.BundlesRoot), name);
        var info = new DirectoryInfo(directory);
        return info.Exists && info.LinkTarget is null ? directory : null;
    }

    /// <summary>Writes the bundle serving <paramref name="app"/> to the folder <paramref name="name"/> of the bundles folder.</summary>
    public static BundleManifest Save(RecommendationService service, ServerOptions options, string app, string name) =>
        service.Bundles.SaveBundle(app, Path.Combine(Path.GetFullPath(options.BundlesRoot), name));

    /// <summary>Verifies, smoke-tests and swaps in the bundle in the folder <paramref name="name"/>; the old one keeps serving on any refusal.</summary>
    public static async Task<BundleLoad> LoadAsync(RecommendationService service, ServerOptions options, string app, string? name, CancellationToken aborted)
    {
        if (WhyNotName(name) is { } bad)
        {
            return new BundleLoad(null, 422, "path", bad);
        }
        if (Folder(options, name!) is not { } directory)
        {
            return new BundleLoad(null, 422, "path", $"'{name}' is not a bundle folder in the bundles folder (Cascade:BundlesDirectory)");
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        limit.CancelAfter(TimeSpan.FromSeconds(options.BundleLoadTimeoutSeconds));
        try
        {
            // Off the request thread: reading, hashing and building check the token between steps, so a load that runs
            // over its time is cancelled and leaves the old bundle serving.
            return new BundleLoad(await Task.Run(() => service.Bundles.LoadBundle(app, directory, limit.Token), CancellationToken.None).WaitAsync(limit.Token), 200, "", "");
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return new BundleLoad(null, 409, "path", $"Loading bundle '{name}' took longer than {options.BundleLoadTimeoutSeconds} s (Cascade:BundleLoadTimeoutSeconds) and was cancelled.");
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            // The answer names the bundle by the name it was asked for, never by where the server keeps it.
            string detail = e.Message.Replace(directory, name, StringComparison.Ordinal).Replace(Path.GetFullPath(options.BundlesRoot), "(bundles)", StringComparison.Ordinal);
            return new BundleLoad(null, 409, "path", $"Bundle '{name}': {detail}");
        }
    }
}
