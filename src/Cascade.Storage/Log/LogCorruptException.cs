namespace Cascade.Storage.Log;

/// <summary>The event log holds damaged data that recovery must not silently discard.</summary>
public sealed class LogCorruptException : IOException
{
    /// <summary>Creates the exception for damage at <paramref name="offset"/> of <paramref name="path"/>.</summary>
    public LogCorruptException(string path, long offset, string reason)
        : base($"Event log segment '{path}' is corrupt at byte offset {offset}: {reason}. " +
               "Acknowledged records may be damaged, so the log is not opened. Restore the segment from a backup, " +
               "or move the damaged segment aside to accept losing the records from this offset on.")
    {
        Path = path;
        Offset = offset;
    }

    /// <summary>Creates the exception with a message.</summary>
    public LogCorruptException() : base("The event log is corrupt.") => Path = "";

    /// <summary>Creates the exception with a message.</summary>
    public LogCorruptException(string message) : base(message) => Path = "";

    /// <summary>Creates the exception with a message and inner exception.</summary>
    public LogCorruptException(string message, Exception inner) : base(message, inner) => Path = "";

    /// <summary>The damaged segment file.</summary>
    public string Path { get; }

    /// <summary>The byte offset of the damaged record in that file.</summary>
    public long Offset { get; }
}
