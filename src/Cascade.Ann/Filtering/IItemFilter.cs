namespace Cascade.Ann;

/// <summary>
/// Restricts a search to the items it allows, for example one category. Called from the search's inner loop,
/// so it must be cheap, thread-safe and free of side effects.
/// </summary>
public interface IItemFilter
{
    /// <summary>True when item <paramref name="id"/> may be returned.</summary>
    bool Allows(int id);
}

/// <summary>An <see cref="IItemFilter"/> over a delegate, such as <c>id =&gt; category[id] == 7</c>.</summary>
/// <param name="predicate">Returns true for the ids that may be returned.</param>
public sealed class PredicateFilter(Func<int, bool> predicate) : IItemFilter
{
    private readonly Func<int, bool> _predicate = predicate ?? throw new ArgumentNullException(nameof(predicate));

    /// <inheritdoc />
    public bool Allows(int id) => _predicate(id);
}
