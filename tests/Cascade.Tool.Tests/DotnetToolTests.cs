using System.Text.RegularExpressions;

namespace Cascade.Tool.Tests;

/// <summary>
/// The CLI as a dotnet tool: the package `dotnet pack src/Cascade.Cli` makes installs with `dotnet tool install` and
/// runs. The test packs the build the tests already made (<c>--no-build</c>, a few seconds) and installs from that
/// folder alone (a nuget.config that clears every other source), so it needs no network.
/// </summary>
public sealed class DotnetToolTests
{
    [Fact]
    public void The_packed_tool_installs_into_a_tool_path_and_prints_its_version()
    {
        using var temp = Cli.TempDir();
        string packages = Path.Combine(temp.Path, "package");
        string tools = Path.Combine(temp.Path, "tools");
        string project = Path.Combine(Cli.RepoRoot(), "src", "Cascade.Cli", "Cascade.Cli.csproj");
        var pack = Cli.Run("dotnet", ["pack", project, "--no-build", "--no-restore", "-c", Cli.Configuration, "-o", packages], TimeSpan.FromMinutes(3));
        Assert.True(pack.ExitCode == 0, pack.Stdout + pack.Stderr);
        string nupkg = Assert.Single(Directory.GetFiles(packages, "Cascade.Cli.*.nupkg"));
        string version = Regex.Match(Path.GetFileName(nupkg), @"^Cascade\.Cli\.(.+)\.nupkg$").Groups[1].Value;

        string config = Path.Combine(temp.Path, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        var install = Cli.Run("dotnet", ["tool", "install", "--tool-path", tools, "--configfile", config, "Cascade.Cli", "--version", version], TimeSpan.FromMinutes(2));
        Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);

        var run = Cli.Run(Path.Combine(tools, OperatingSystem.IsWindows() ? "cascade.exe" : "cascade"), ["--version"], TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.StartsWith($"cascade {version} (commit ", run.Stdout, StringComparison.Ordinal);
    }
}
