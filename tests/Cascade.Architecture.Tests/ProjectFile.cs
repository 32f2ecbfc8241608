using System.Xml.Linq;

namespace Cascade.Architecture.Tests;

/// <summary>What a project file declares: the projects and packages it references.</summary>
/// <param name="Name">The project name (the file name without .csproj).</param>
/// <param name="ProjectReferences">Names of the referenced projects.</param>
/// <param name="PackageReferences">Ids of the referenced packages.</param>
internal sealed record ProjectFile(string Name, IReadOnlyList<string> ProjectReferences, IReadOnlyList<string> PackageReferences)
{
    /// <summary>Reads a .csproj file.</summary>
    public static ProjectFile Read(string path)
    {
        var document = XDocument.Load(path);
        return new ProjectFile(
            Path.GetFileNameWithoutExtension(path),
            [.. Includes(document, "ProjectReference").Select(i => Path.GetFileNameWithoutExtension(i.Replace('\\', '/')))],
            [.. Includes(document, "PackageReference")]);
    }

    /// <summary>Every project file one folder below <paramref name="folder"/> (<c>folder/X/X.csproj</c>).</summary>
    public static IReadOnlyList<ProjectFile> ReadAll(string folder) =>
        [.. Directory.GetDirectories(folder).SelectMany(d => Directory.GetFiles(d, "*.csproj")).Order(StringComparer.Ordinal).Select(Read)];

    /// <summary>The packages whose versions Directory.Packages.props declares.</summary>
    public static IReadOnlyList<string> PackageVersions(string path) => [.. Includes(XDocument.Load(path), "PackageVersion")];

    /// <summary>The folder holding Cascade.slnx, found by walking up from the test's own folder.</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Cascade.slnx")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds Cascade.slnx.");
    }

    private static IEnumerable<string> Includes(XDocument document, string item) =>
        document.Descendants(item).Select(e => (string?)e.Attribute("Include")).OfType<string>();
}
