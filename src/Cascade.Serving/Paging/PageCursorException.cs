namespace Cascade.Serving.Paging;

/// <summary>Why a cursor was refused.</summary>
public enum PageCursorError
{
    /// <summary>Not a cursor: bad characters, bad encoding, too short or too long, or an inconsistent body.</summary>
    Malformed,

    /// <summary>A cursor of a format version this build does not read.</summary>
    UnsupportedVersion,

    /// <summary>The signature does not match: forged, altered, signed with a retired key, or issued for another user or query.</summary>
    InvalidSignature,

    /// <summary>The cursor's lifetime has passed.</summary>
    Expired,
}

/// <summary>A page cursor was refused; the API answers 400 with <see cref="Exception.Message"/>.</summary>
public sealed class PageCursorException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why the cursor was refused.</param>
    /// <param name="message">What was wrong and what to do.</param>
    public PageCursorException(PageCursorError error, string message)
        : base(message) => Error = error;

    /// <summary>Creates the exception with a generic message.</summary>
    public PageCursorException()
        : this(PageCursorError.Malformed, "The page cursor is malformed.")
    {
    }

    /// <summary>Creates the exception as malformed.</summary>
    /// <param name="message">What was wrong.</param>
    public PageCursorException(string message)
        : this(PageCursorError.Malformed, message)
    {
    }

    /// <summary>Creates the exception as malformed, with a cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public PageCursorException(string message, Exception innerException)
        : base(message, innerException) => Error = PageCursorError.Malformed;

    /// <summary>Why the cursor was refused.</summary>
    public PageCursorError Error { get; }
}
