namespace Cascade.Core;

/// <summary>
/// The newest <see cref="Capacity"/> entries of something that happens over time (trainings, evaluations,
/// reports), oldest first; safe for concurrent adds and reads.
/// </summary>
/// <typeparam name="T">The entry.</typeparam>
/// <param name="capacity">How many entries are kept; older ones are dropped.</param>
public sealed class RecentHistory<T>(int capacity)
{
    private readonly Queue<T> _entries = new();

    /// <summary>How many entries are kept.</summary>
    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be at least 1.");

    /// <summary>Adds an entry, dropping the oldest beyond <see cref="Capacity"/>.</summary>
    public void Add(T entry)
    {
        lock (_entries)
        {
            _entries.Enqueue(entry);
            while (_entries.Count > Capacity)
            {
                _entries.Dequeue();
            }
        }
    }

    /// <summary>A copy of the entries, oldest first.</summary>
    public IReadOnlyList<T> ToList()
    {
        lock (_entries)
        {
            return [.. _entries];
        }
    }
}
