using System.Runtime.InteropServices;

namespace Cascade.Core;

/// <summary>
/// Maps string ids at the edge of the system to dense integers (0, 1, 2, …) used inside it.
/// Thread-safe; every call takes a short lock.
/// </summary>
public sealed class IdInterner
{
    private readonly Dictionary<string, int> _ids;
    private readonly List<string> _names;
    private readonly Lock _gate = new();

    /// <summary>Creates an empty interner.</summary>
    public IdInterner()
    {
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        _names = [];
    }

    /// <summary>The number of interned ids; dense ids are 0 … Count − 1.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _names.Count;
            }
        }
    }

    /// <summary>Returns the dense id of <paramref name="id"/>, assigning the next one if it is new.</summary>
    /// <param name="id">The external id.</param>
    /// <param name="added">True when this call assigned the id.</param>
    public int GetOrAdd(string id, out bool added)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_gate)
        {
            ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, id, out bool exists);
            added = !exists;
            if (!exists)
            {
                slot = _names.Count;
                _names.Add(id);
            }
            return slot;
        }
    }

    /// <summary>Returns the dense id of <paramref name="id"/>, assigning the next one if it is new.</summary>
    public int GetOrAdd(string id) => GetOrAdd(id, out _);

    /// <summary>Like <see cref="GetOrAdd(string)"/>, allocating a string only for an id not seen before.</summary>
    public int GetOrAdd(ReadOnlySpan<char> id)
    {
        lock (_gate)
        {
            if (_ids.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(id, out int dense))
            {
                return dense;
            }
            string name = id.ToString();
            dense = _names.Count;
            _ids.Add(name, dense);
            _names.Add(name);
            return dense;
        }
    }

    /// <summary>Restores a mapping loaded from storage; <paramref name="dense"/> must be the next id or one already mapped to <paramref name="id"/>.</summary>
    /// <exception cref="InvalidDataException">The stored mapping is not dense or contradicts the one held.</exception>
    public void Restore(string id, int dense)
    {
        lock (_gate)
        {
            if (_ids.TryGetValue(id, out int existing))
            {
                if (existing != dense)
                {
                    throw new InvalidDataException($"Id '{id}' is stored as {dense} but already interned as {existing}.");
                }
                return;
            }
            if (dense != _names.Count)
            {
                throw new InvalidDataException($"Stored id mapping is not dense: expected {_names.Count} for '{id}', found {dense}.");
            }
            _ids.Add(id, dense);
            _names.Add(id);
        }
    }

    /// <summary>Looks up the dense id of <paramref name="id"/> without assigning one.</summary>
    public bool TryGet(string id, out int dense)
    {
        lock (_gate)
        {
            return _ids.TryGetValue(id, out dense);
        }
    }

    /// <summary>Returns the external id of dense id <paramref name="dense"/>.</summary>
    public string GetName(int dense)
    {
        lock (_gate)
        {
            if ((uint)dense >= (uint)_names.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(dense), dense, $"No id is interned as {dense}; {_names.Count} are.");
            }
            return _names[dense];
        }
    }

    /// <summary>Copies the external ids in dense order.</summary>
    public string[] ToArray()
    {
        lock (_gate)
        {
            return [.. _names];
        }
    }
}
