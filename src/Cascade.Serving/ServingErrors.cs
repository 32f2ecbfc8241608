namespace Cascade.Serving;

/// <summary>A request named a category the serving bundle's catalog does not hold (a client error naming <c>category</c>).</summary>
public sealed class UnknownCategoryException : ArgumentException
{
    /// <summary>Creates the error for <paramref name="category"/>.</summary>
    /// <param name="category">The unknown category name.</param>
    public UnknownCategoryException(string category)
        : base($"Category '{category}' is not in the catalog.", nameof(category))
    {
        Category = category;
    }

    /// <summary>The unknown category name.</summary>
    public string Category { get; }
}

/// <summary>
/// No bundle serves the app yet: one is being trained in the background (requests never train). The server answers
/// 503 with Retry-After.
/// </summary>
public sealed class BundleNotReadyException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="app">The app.</param>
    /// <param name="retryAfter">When to try again.</param>
    /// <param name="lastFailure">Why the last training failed, if it did.</param>
    public BundleNotReadyException(string app, TimeSpan retryAfter, string? lastFailure)
        : base(lastFailure is null
            ? $"No model bundle serves app '{app}' yet; one is being trained in the background."
            : $"No model bundle serves app '{app}' yet; the last training failed ({lastFailure}) and is being retried in the background.")
    {
        App = app;
        RetryAfter = retryAfter;
        LastFailure = lastFailure;
    }

    /// <summary>The app.</summary>
    public string App { get; }

    /// <summary>When to try again.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>Why the last training failed, or null.</summary>
    public string? LastFailure { get; }
}
