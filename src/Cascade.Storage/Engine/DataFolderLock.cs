using System.Globalization;

namespace Cascade.Storage.Engine;

/// <summary>
/// The one-writer rule of a data folder: an exclusive OS lock on <c>DIR/lock</c>, held from the moment an engine opens
/// until it is disposed (or the process dies: the OS releases the lock, so a crash never leaves a stale lock behind).
/// On Linux and macOS it is a <c>flock</c> taken per open file (a second open in the same process is refused too); on
/// Windows the file is opened without sharing. The holder writes its process id into <c>DIR/lock.pid</c> (the lock
/// file itself cannot be read by .NET while it is locked), so a refused process can name it.
/// </summary>
public sealed class DataFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the data folder.</summary>
    public const string FileName = "lock";

    /// <summary>The name of the file holding the holder's process id.</summary>
    public const string PidFileName = "lock.pid";

    private readonly FileStream _file;

    private DataFolderLock(string directory, FileStream file)
    {
        Directory = directory;
        _file = file;
    }

    /// <summary>The locked data folder (full path).</summary>
    public string Directory { get; }

    /// <summary>Takes the lock of <paramref name="dataDirectory"/> (creating the folder if needed), or fails at once.</summary>
    /// <param name="dataDirectory">The data folder.</param>
    /// <exception cref="DataFolderLockedException">Another process, or another engine in this one, holds it.</exception>
    public static DataFolderLock Acquire(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        string directory = Path.GetFullPath(dataDirectory);
        System.IO.Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException e) when (IsLockConflict(e))
        {
            throw new DataFolderLockedException(directory, ReadHolder(directory), e);
        }
        string pidPath = Path.Combine(directory, PidFileName);
        string temporary = pidPath + ".tmp";
        File.WriteAllText(temporary, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(temporary, pidPath, overwrite: true);
        return new DataFolderLock(directory, file);
    }

    // The lock is held elsewhere: EWOULDBLOCK from flock on Unix (errno 11 on Linux, 35 on macOS, as the HResult .NET
    // sets), a sharing or lock violation on Windows. Any other I/O error is reported as itself.
    private static bool IsLockConflict(IOException e) => OperatingSystem.IsWindows()
        ? (e.HResult & 0xFFFF) is 32 or 33
        : e.HResult is 11 or 35;

    /// <summary>The process id written by the holder of <paramref name="directory"/>'s lock, or null when unknown.</summary>
    /// <param name="directory">The data folder.</param>
    public static int? ReadHolder(string directory)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(directory, PidFileName)).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Releases the lock (the pid file stays; only a holder of the lock ever reads it as current).</summary>
    public void Dispose() => _file.Dispose();
}

/// <summary>A data folder is locked by another process (or another engine in this process): one writer per folder.</summary>
public sealed class DataFolderLockedException : IOException
{
    /// <summary>Creates the exception for <paramref name="directory"/>, held by <paramref name="holderPid"/>.</summary>
    public DataFolderLockedException(string directory, int? holderPid, Exception? inner = null)
        : base(Describe(directory, holderPid), inner)
    {
        Directory = directory;
        HolderPid = holderPid;
    }

    /// <summary>Creates the exception with a message.</summary>
    public DataFolderLockedException() : base("The data folder is locked by another process.") => Directory = "";

    /// <summary>Creates the exception with a message.</summary>
    public DataFolderLockedException(string message) : base(message) => Directory = "";

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public DataFolderLockedException(string message, Exception inner) : base(message, inner) => Directory = "";

    /// <summary>The locked data folder.</summary>
    public string Directory { get; }

    /// <summary>The process id of the holder, when it could be read.</summary>
    public int? HolderPid { get; }

    private static string Describe(string directory, int? pid) =>
        $"The data folder '{directory}' is in use by {(pid is { } p ? $"process {p.ToString(CultureInfo.InvariantCulture)}" : "another process")} " +
        $"(it holds '{Path.Combine(directory, DataFolderLock.FileName)}'): only one process may open a data folder at a time " +
        "(a `cascade serve`, or a verb that opens the engine: import, rebuild, train, batch, ctr --from-log, demo, recover). " +
        "Stop that process first, or work on a copy of the folder; while a server runs, use its HTTP API (e.g. POST /v1/admin/train).";
}
