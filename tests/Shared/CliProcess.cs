using System.Diagnostics;

namespace Cascade.Tests.Shared;

/// <summary>
/// Runs the real <c>cascade</c> command (built under artifacts/bin/Cascade.Cli by the test project's reference) and
/// collects its output; compiled into each test project that runs it.
/// </summary>
internal static class CliProcess
{
    /// <summary>The repository root: the folder above the test's binaries that holds Cascade.slnx.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cascade.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Cascade.slnx) is not above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs <c>cascade</c> with <paramref name="args"/>; kills it (and its children) and fails after <paramref name="limit"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(TimeSpan limit, params string[] args)
    {
        string? dll = Directory.GetFiles(Path.Combine(RepoRoot(), "artifacts", "bin", "Cascade.Cli"), "cascade.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        Assert.True(dll is not null, "the cascade command is not built under artifacts/bin/Cascade.Cli");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll!);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true); // never left running after the test
            Assert.Fail($"cascade {string.Join(' ', args)} did not finish within {limit.TotalMinutes:0} minutes");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
