using System.Runtime.CompilerServices;

namespace Cascade.Ann;

/// <summary>
/// Decides which visited items may enter a result. Implemented by structs so the search loop is compiled once
/// per filter kind and the common unfiltered case costs nothing.
/// </summary>
internal interface IResultFilter
{
    bool Allows(int id);
}

/// <summary>Every item qualifies.</summary>
internal readonly struct AcceptAll : IResultFilter
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Allows(int id) => true;
}

/// <summary>Items not tombstoned and allowed by an optional bitmap and an optional user filter qualify.</summary>
internal readonly struct CombinedFilter(ulong[]? tombstones, ulong[]? allowWords, IItemFilter? user) : IResultFilter
{
    private readonly ulong[]? _tombstones = tombstones;
    private readonly ulong[]? _allowWords = allowWords;
    private readonly IItemFilter? _user = user;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Allows(int id)
    {
        if (_tombstones is not null && (_tombstones[id >> 6] & (1UL << (id & 63))) != 0)
        {
            return false;
        }
        if (_allowWords is not null)
        {
            int w = id >> 6;
            return (uint)w < (uint)_allowWords.Length && (_allowWords[w] & (1UL << (id & 63))) != 0;
        }
        return _user is null || _user.Allows(id);
    }
}
