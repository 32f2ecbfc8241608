using System.Text;
using Cascade.Models.Serialization;

namespace Cascade.Models.Neural;

/// <summary>
/// Sparse categorical features of users or items for the two-tower network: entity e has the feature ids
/// Ids[Pointers[e] .. Pointers[e+1]) out of <see cref="FeatureCount"/> (categories, tags, attribute values, hashed title
/// tokens). An entity beyond <see cref="EntityCount"/> has no features. Immutable once built.
/// </summary>
public sealed class SideFeatures
{
    /// <summary>Wraps CSR arrays after checking them.</summary>
    /// <param name="featureCount">Number of distinct feature ids.</param>
    /// <param name="pointers">EntityCount + 1 offsets into <paramref name="ids"/>.</param>
    /// <param name="ids">Feature ids, each below <paramref name="featureCount"/>.</param>
    public SideFeatures(int featureCount, int[] pointers, int[] ids)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(featureCount);
        ArgumentNullException.ThrowIfNull(pointers);
        ArgumentNullException.ThrowIfNull(ids);
        if (pointers.Length == 0 || pointers[0] != 0 || pointers[^1] != ids.Length)
        {
            throw new ArgumentException($"pointers must start at 0 and end at the {ids.Length} ids.", nameof(pointers));
        }
        for (int e = 0; e + 1 < pointers.Length; e++)
        {
            if (pointers[e + 1] < pointers[e])
            {
                throw new ArgumentException($"pointers[{e + 1}] = {pointers[e + 1]} is below pointers[{e}] = {pointers[e]}.", nameof(pointers));
            }
        }
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)featureCount)
            {
                throw new ArgumentException($"Feature id {id} is outside [0, {featureCount}).", nameof(ids));
            }
        }
        FeatureCount = featureCount;
        Pointers = pointers;
        Ids = ids;
    }

    /// <summary>No features for anyone.</summary>
    public static SideFeatures Empty { get; } = new(0, [0], []);

    /// <summary>Number of distinct feature ids.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of entities described.</summary>
    public int EntityCount => Pointers.Length - 1;

    /// <summary>Offsets into <see cref="Ids"/>.</summary>
    public int[] Pointers { get; }

    /// <summary>Feature ids of all entities.</summary>
    public int[] Ids { get; }

    /// <summary>The feature ids of <paramref name="entity"/> (empty beyond <see cref="EntityCount"/>).</summary>
    public ReadOnlySpan<int> Of(int entity) =>
        (uint)entity < (uint)EntityCount ? Ids.AsSpan(Pointers[entity], Pointers[entity + 1] - Pointers[entity]) : default;

    /// <summary>Builds features from one list of ids per entity.</summary>
    /// <param name="featureCount">Number of distinct feature ids.</param>
    /// <param name="lists">Feature ids of entity 0, 1, ….</param>
    public static SideFeatures FromLists(int featureCount, IReadOnlyList<IReadOnlyCollection<int>> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        var pointers = new int[lists.Count + 1];
        var ids = new List<int>();
        for (int e = 0; e < lists.Count; e++)
        {
            ids.AddRange(lists[e]);
            pointers[e + 1] = ids.Count;
        }
        return new SideFeatures(featureCount, pointers, [.. ids]);
    }

    /// <summary>
    /// The bucket of every lower-cased letter-or-digit token of <paramref name="text"/>, hashed with FNV-1a (stable across
    /// processes) into [offset, offset + buckets): hashed title tokens for the item tower.
    /// </summary>
    /// <param name="text">Free text, e.g. a title.</param>
    /// <param name="offset">First feature id of the hashed range.</param>
    /// <param name="buckets">Number of hash buckets.</param>
    public static int[] HashTokens(string text, int offset, int buckets)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        var result = new List<int>();
        var token = new StringBuilder();
        foreach (char c in text + " ")
        {
            if (char.IsLetterOrDigit(c))
            {
                token.Append(char.ToLowerInvariant(c));
                continue;
            }
            if (token.Length > 0)
            {
                uint hash = 2166136261;
                foreach (char t in token.ToString())
                {
                    hash = (hash ^ t) * 16777619;
                }
                int id = offset + (int)(hash % (uint)buckets);
                if (!result.Contains(id))
                {
                    result.Add(id);
                }
                token.Clear();
            }
        }
        return [.. result];
    }

    internal void Write(BinaryWriter writer)
    {
        writer.Write(FeatureCount);
        writer.WriteArray(Pointers);
        writer.WriteArray(Ids);
    }

    internal static SideFeatures Read(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        int[] pointers = reader.ReadInt32Array();
        int[] ids = reader.ReadInt32Array();
        return new SideFeatures(count, pointers, ids);
    }
}
