using System.Diagnostics;
using System.Globalization;
using Cascade.Storage.Engine;

namespace Cascade.Storage.Tests;

/// <summary>One writer per data folder: an engine holds an exclusive OS lock on DIR/lock for its life.</summary>
public class DataFolderLockTests
{
    [Fact]
    public void A_second_engine_on_an_open_folder_is_refused_naming_the_holder_and_the_lock_is_free_after_dispose()
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        using (CascadeEngine.Open(options))
        {
            var ex = Assert.Throws<DataFolderLockedException>(() => CascadeEngine.Open(options));
            Assert.Equal(Environment.ProcessId, ex.HolderPid);
            Assert.Contains($"in use by process {Environment.ProcessId}", ex.Message, StringComparison.Ordinal);
            Assert.Contains(Path.GetFullPath(dir.Path), ex.Message, StringComparison.Ordinal);
            // Inspecting (cascade recover) needs the folder too.
            Assert.Throws<DataFolderLockedException>(() => CascadeEngine.Inspect(options));
        }
        using var reopened = CascadeEngine.Open(options);
        Assert.Equal(0, reopened.Log.LastSequence);
    }

    [Fact]
    public void A_failed_open_releases_the_lock()
    {
        using var dir = new TempDirectory();
        var options = new EngineOptions { DataDirectory = dir.Path };
        Directory.CreateDirectory(options.LogDirectory);
        File.WriteAllBytes(Path.Combine(options.LogDirectory, "00000000000000000001.log"), [.. Enumerable.Repeat((byte)0xFF, 64)]); // a bad magic: refused
        Assert.Throws<Cascade.Storage.Log.LogCorruptException>(() => CascadeEngine.Open(options));
        using var folderLock = DataFolderLock.Acquire(dir.Path); // free again
    }

    [Fact]
    public async Task A_folder_held_by_another_process_is_refused_naming_its_pid_until_that_process_dies()
    {
        using var dir = new TempDirectory();
        string dataDir = dir.Combine("data");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The crash child: opens an engine on the folder, prints "ready", then ingests until killed.
        foreach (string a in new[] { CrashTests.LocateChild(), dataDir, "lock", "1", "-", "1", (256 << 10).ToString(CultureInfo.InvariantCulture), "120" })
        {
            info.ArgumentList.Add(a);
        }
        using var child = Process.Start(info) ?? throw new InvalidOperationException("Could not start the crash child.");
        try
        {
            string? line;
            while ((line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))) is not null && !line.StartsWith("ready", StringComparison.Ordinal))
            {
            }
            Assert.NotNull(line);

            var ex = Assert.Throws<DataFolderLockedException>(() => CascadeEngine.Open(new EngineOptions { DataDirectory = dataDir }));
            Assert.Equal(child.Id, ex.HolderPid);
            Assert.Contains($"in use by process {child.Id}", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            child.Kill(); // SIGKILL: the OS releases the lock with the process
            await child.WaitForExitAsync();
        }
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dataDir }); // free once the holder is gone
        Assert.Equal(engine.Log.LastSequence, engine.Catalog.Mark.Sequence <= engine.Log.LastSequence ? engine.Log.LastSequence : -1);
    }
}
