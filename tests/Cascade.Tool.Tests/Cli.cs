using System.Diagnostics;

namespace Cascade.Tool.Tests;

/// <summary>Runs processes for the tests: the built <c>cascade</c> command, <c>dotnet</c> itself, or an installed tool.</summary>
internal static class Cli
{
    /// <summary>The repository root (the folder holding Cascade.slnx).</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cascade.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Cascade.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The build configuration the tests were built in (the CLI was built in the same one): "Debug" or "Release".</summary>
    public static string Configuration =>
        AppContext.BaseDirectory.Replace('\\', '/').Contains("/release", StringComparison.OrdinalIgnoreCase) ? "Release" : "Debug";

    /// <summary>The built cascade.dll of the tests' configuration.</summary>
    public static string CascadeDll()
    {
        string dll = Path.Combine(RepoRoot(), "artifacts", "bin", "Cascade.Cli", Configuration.ToLowerInvariant(), "cascade.dll");
        Assert.True(File.Exists(dll), $"the cascade command is not built at {dll}");
        return dll;
    }

    /// <summary>Runs <c>dotnet cascade.dll ARGS</c>.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Cascade(params string[] args) =>
        Run("dotnet", [CascadeDll(), .. args], TimeSpan.FromMinutes(5));

    /// <summary>
    /// Runs a program, killing it (and its children) when it outlives <paramref name="timeout"/>, with
    /// <paramref name="environment"/>'s variables added to the child's environment.
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string program, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true); // never left running after the test
            Assert.Fail($"{program} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A fresh temporary folder, deleted by <see cref="IDisposable.Dispose"/>.</summary>
    public static TempDir TempDir() => new(Path.Combine(Path.GetTempPath(), "cascade-tool-tests", Guid.NewGuid().ToString("N")));
}

/// <summary>A temporary folder that is deleted when disposed.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string path)
    {
        Path = path;
        Directory.CreateDirectory(path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS temp cleaner gets the rest.
        }
    }
}
