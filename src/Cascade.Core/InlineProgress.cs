namespace Cascade.Core;

/// <summary>
/// An <see cref="IProgress{T}"/> that reports on the calling thread, in order. <see cref="Progress{T}"/> posts each
/// report to the captured context or the thread pool, so reports can arrive late and out of order; a console progress
/// bar or a log of steps wants them as they happen.
/// </summary>
/// <typeparam name="T">The progress value.</typeparam>
/// <param name="report">Called with each value, on the reporting thread.</param>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => report(value);
}
