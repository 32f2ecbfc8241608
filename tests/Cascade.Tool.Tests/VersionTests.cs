using System.Text.RegularExpressions;

namespace Cascade.Tool.Tests;

public sealed class VersionTests
{
    [Fact]
    public void Version_prints_the_version_and_the_commit_it_was_built_from()
    {
        var (code, stdout, stderr) = Cli.Cascade("--version");

        Assert.True(code == 0, stdout + stderr);
        var match = Regex.Match(stdout.Trim(), @"^cascade (\d+\.\d+\.\d+\S*) \((commit [0-9a-f]{7,40}|commit unknown), \.NET [0-9.]+\)$");
        Assert.True(match.Success, $"unexpected --version output: {stdout}");
        // Built from a git checkout, the commit is the one checked out (CI builds and tests the same clone).
        if (GitHead() is { } head)
        {
            Assert.Equal("commit " + head, match.Groups[2].Value);
        }
    }

    private static string? GitHead()
    {
        try
        {
            var (code, stdout, _) = Cli.Run("git", ["-C", Cli.RepoRoot(), "rev-parse", "HEAD"], TimeSpan.FromSeconds(30));
            return code == 0 ? stdout.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine: the build had none either
        }
    }
}
