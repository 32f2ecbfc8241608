using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Cascade.Cli.Commands;

/// <summary>
/// `cascade --version`: the version and the commit the binary was built from. The commit comes from the assembly's
/// informational version (<c>VERSION+COMMIT</c>), which the SDK's source control support fills from git at build
/// time (or <c>-p:SourceRevisionId=…</c> where there is no git); a build without either says "commit unknown".
/// </summary>
internal static class VersionInfo
{
    /// <summary>The line `cascade --version` prints, e.g. <c>cascade 1.0.0 (commit f520a9d0506b)</c>.</summary>
    public static string Describe(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        string informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString(3)
            ?? "0.0.0";
        int plus = informational.IndexOf('+', StringComparison.Ordinal);
        string version = plus < 0 ? informational : informational[..plus];
        string commit = plus < 0 || plus == informational.Length - 1 ? "commit unknown" : "commit " + informational[(plus + 1)..];
        return $"cascade {version} ({commit}, .NET {Environment.Version})";
    }

    /// <summary>Makes the root command's --version print <see cref="Describe"/> instead of the bare informational version.</summary>
    public static void Install(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersion();
            }
        }
    }

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Describe(typeof(VersionInfo).Assembly));
            return 0;
        }
    }
}
