using System.Runtime.CompilerServices;

namespace Cascade.Ann;

/// <summary>
/// Marks visited node ids with a generation stamp so a new search starts by bumping the generation instead of
/// clearing the array; it is cleared only when the 16-bit stamp wraps, once every 65 535 searches.
/// </summary>
internal sealed class VisitedSet
{
    private ushort[] _stamps = [];
    private ushort _generation;

    /// <summary>Starts a new search over ids below <paramref name="count"/>.</summary>
    public void Reset(int count)
    {
        if (_stamps.Length < count)
        {
            _stamps = new ushort[Math.Max(count, _stamps.Length + (_stamps.Length >> 1))];
            _generation = 0;
        }
        _generation++;
        if (_generation == 0)
        {
            Array.Clear(_stamps);
            _generation = 1;
        }
    }

    /// <summary>Marks <paramref name="id"/>; returns false when it was already marked in this search.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryVisit(int id)
    {
        ref ushort stamp = ref _stamps[id];
        if (stamp == _generation)
        {
            return false;
        }
        stamp = _generation;
        return true;
    }
}
