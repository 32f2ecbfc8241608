namespace Cascade.Ranking;

/// <summary>One categorical field: its name and the size of its vocabulary.</summary>
/// <param name="Name">Field name, unique within a schema (e.g. "user", "item", "daytime").</param>
/// <param name="Cardinality">
/// Number of distinct codes the field can take, including code 0, which every field reserves for "missing or unknown"
/// (a value never seen in training, or absent). Codes of a row lie in [0, Cardinality).
/// </param>
public sealed record CategoricalField(string Name, int Cardinality);

/// <summary>
/// The columns of a <see cref="RankingDataset"/>: categorical fields (each with its own vocabulary, code 0 = missing)
/// followed by numeric features (NaN = missing). A ranker fitted on one schema only scores data of an equal schema.
/// </summary>
public sealed class FeatureSchema : IEquatable<FeatureSchema>
{
    private readonly int[] _offsets;

    /// <summary>Creates a schema.</summary>
    /// <param name="categorical">Categorical fields in column order.</param>
    /// <param name="numeric">Names of numeric features in column order.</param>
    /// <exception cref="ArgumentException">A name repeats or is empty, or a cardinality is below 1.</exception>
    public FeatureSchema(IReadOnlyList<CategoricalField> categorical, IReadOnlyList<string> numeric)
    {
        ArgumentNullException.ThrowIfNull(categorical);
        ArgumentNullException.ThrowIfNull(numeric);
        Categorical = [.. categorical];
        Numeric = [.. numeric];
        var names = new HashSet<string>(StringComparer.Ordinal);
        _offsets = new int[Categorical.Count + 1];
        for (int f = 0; f < Categorical.Count; f++)
        {
            var field = Categorical[f];
            if (string.IsNullOrEmpty(field.Name) || !names.Add(field.Name))
            {
                throw new ArgumentException($"Categorical field {f} has an empty or repeated name '{field.Name}'.", nameof(categorical));
            }
            if (field.Cardinality < 1)
            {
                throw new ArgumentException($"Categorical field '{field.Name}' has cardinality {field.Cardinality}; it must be at least 1 (code 0 is missing).", nameof(categorical));
            }
            _offsets[f + 1] = checked(_offsets[f] + field.Cardinality);
        }
        foreach (string name in Numeric)
        {
            if (string.IsNullOrEmpty(name) || !names.Add(name))
            {
                throw new ArgumentException($"Numeric feature name '{name}' is empty or repeats another column.", nameof(numeric));
            }
        }
    }

    /// <summary>Categorical fields in column order.</summary>
    public IReadOnlyList<CategoricalField> Categorical { get; }

    /// <summary>Numeric feature names in column order.</summary>
    public IReadOnlyList<string> Numeric { get; }

    /// <summary>Number of categorical fields.</summary>
    public int FieldCount => Categorical.Count;

    /// <summary>Number of numeric features.</summary>
    public int NumericCount => Numeric.Count;

    /// <summary>Sum of all field cardinalities: the size of one global vocabulary in which field f's code c is <c>FieldOffset(f) + c</c>.</summary>
    public int TotalCardinality => _offsets[^1];

    /// <summary>Start of field <paramref name="field"/> in the global vocabulary (see <see cref="TotalCardinality"/>).</summary>
    /// <param name="field">Field index.</param>
    public int FieldOffset(int field) => _offsets[field];

    /// <inheritdoc />
    public bool Equals(FeatureSchema? other) =>
        other is not null && Categorical.SequenceEqual(other.Categorical) && Numeric.SequenceEqual(other.Numeric, StringComparer.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FeatureSchema);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Categorical.Count, Numeric.Count, TotalCardinality);

    /// <summary>Writes the schema (used inside ranker model files).</summary>
    /// <param name="writer">Destination.</param>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Categorical.Count);
        foreach (var field in Categorical)
        {
            writer.Write(field.Name);
            writer.Write(field.Cardinality);
        }
        writer.Write(Numeric.Count);
        foreach (string name in Numeric)
        {
            writer.Write(name);
        }
    }

    /// <summary>Reads a schema written by <see cref="WriteTo"/>.</summary>
    /// <param name="reader">Source.</param>
    /// <exception cref="InvalidDataException">Counts or cardinalities are out of range.</exception>
    public static FeatureSchema ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        int fields = reader.ReadInt32();
        if (fields is < 0 or > 1_000_000)
        {
            throw new InvalidDataException($"Feature schema has {fields} categorical fields.");
        }
        var categorical = new CategoricalField[fields];
        for (int f = 0; f < fields; f++)
        {
            categorical[f] = new CategoricalField(reader.ReadString(), reader.ReadInt32());
        }
        int numeric = reader.ReadInt32();
        if (numeric is < 0 or > 1_000_000)
        {
            throw new InvalidDataException($"Feature schema has {numeric} numeric features.");
        }
        var names = new string[numeric];
        for (int i = 0; i < numeric; i++)
        {
            names[i] = reader.ReadString();
        }
        try
        {
            return new FeatureSchema(categorical, names);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Feature schema is inconsistent: {e.Message}", e);
        }
    }
}
