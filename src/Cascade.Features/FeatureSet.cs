using Cascade.Ranking;

namespace Cascade.Features;

/// <summary>
/// The feature definitions shared by training and serving: the <see cref="FeatureSchema"/> they produce and the one
/// code path that writes a row from feature state (used by <see cref="OnlineFeatureStore.Hydrate"/> and by
/// <see cref="TrainingSetBuilder"/>). Immutable and thread-safe. Columns are listed in docs/features.md.
/// </summary>
public sealed partial class FeatureSet
{
    internal const string UserHashField = "user_id";
    internal const string ItemHashField = "item_id";
    internal const string CategoryHashField = "category";
    internal const string TagHashField = "tag";
    internal const string DeviceHashField = "device";
    internal const string PlatformHashField = "platform";

    private readonly Dictionary<string, int> _numericIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _categoricalIndex = new(StringComparer.Ordinal);
    private readonly int[] _bucketized;

    // Column positions, fixed when the set is built; -1 when the group is off.
    private readonly int _userIdField, _itemIdField, _firstAttributeField, _categoryField, _firstTagField, _hourField, _crossField, _firstBucketField;
    private readonly int _userNumerics, _itemNumerics, _crossNumerics;

    /// <summary>Creates the feature set of <paramref name="options"/> (defaults when null), validating them.</summary>
    /// <param name="options">The definitions.</param>
    /// <exception cref="ArgumentException">An option is invalid or <see cref="FeatureSetOptions.BucketizedNumerics"/> names an unknown column.</exception>
    public FeatureSet(FeatureSetOptions? options = null)
    {
        Options = (options ?? new FeatureSetOptions()).Validate();
        var o = Options;
        WindowNames = [.. o.Windows];
        Rates = new double[o.Windows.Count];
        for (int w = 0; w < Rates.Length; w++)
        {
            Rates[w] = Math.Log(2) / FeatureSetOptions.ParseWindow(o.Windows[w]);
        }

        var numeric = new List<string>();
        foreach (string w in WindowNames)
        {
            numeric.Add($"user_impressions_{w}");
            numeric.Add($"user_positives_{w}");
            numeric.Add($"user_ctr_{w}");
        }
        numeric.AddRange(["user_positives_total", "user_seconds_since_last_event", "user_known"]);
        _userNumerics = numeric.Count;
        foreach (string w in WindowNames)
        {
            numeric.Add($"item_impressions_{w}");
            numeric.Add($"item_positives_{w}");
            numeric.Add($"item_ctr_{w}");
        }
        numeric.AddRange(["item_impressions_total", "item_positives_total", "item_age_hours", "item_known"]);
        _itemNumerics = numeric.Count - _userNumerics;
        if (o.IncludeCross)
        {
            foreach (string w in WindowNames)
            {
                numeric.Add($"user_category_positives_{w}");
            }
            numeric.AddRange(["user_seconds_since_category_event", "user_item_positives", "user_item_impressions", "user_item_seconds_since_last"]);
        }
        _crossNumerics = numeric.Count - _userNumerics - _itemNumerics;
        for (int i = 0; i < numeric.Count; i++)
        {
            _numericIndex.Add(numeric[i], i);
        }

        var fields = new List<CategoricalField>();
        _userIdField = o.IncludeUserId ? Add(fields, "user_id", o.UserIdBuckets) : -1;
        _itemIdField = o.IncludeItemId ? Add(fields, "item_id", o.ItemIdBuckets) : -1;
        _firstAttributeField = fields.Count;
        foreach (string key in o.UserAttributes)
        {
            Add(fields, "user_attr_" + key, o.UserAttributeBuckets);
        }
        _categoryField = Add(fields, "item_category", o.CategoryBuckets);
        Add(fields, "item_category_top", o.CategoryBuckets);
        _firstTagField = fields.Count;
        for (int t = 0; t < o.TagSlots; t++)
        {
            Add(fields, $"item_tag_{t}", o.TagBuckets);
        }
        _hourField = -1;
        if (o.IncludeContext)
        {
            _hourField = Add(fields, "hour_of_day", 25);
            Add(fields, "day_of_week", 8);
            Add(fields, "position", o.PositionCap + 2);
            Add(fields, "device", o.ContextBuckets);
            Add(fields, "platform", o.ContextBuckets);
        }
        _crossField = o.IncludeCross ? Add(fields, "user_x_category", o.CrossBuckets) : -1;
        _firstBucketField = fields.Count;
        var bucketized = new List<int>();
        bool all = false;
        foreach (string name in o.BucketizedNumerics)
        {
            all |= name == "*";
        }
        if (all)
        {
            for (int i = 0; i < numeric.Count; i++)
            {
                bucketized.Add(i);
            }
        }
        else
        {
            foreach (string name in o.BucketizedNumerics)
            {
                if (!_numericIndex.TryGetValue(name, out int index))
                {
                    throw new ArgumentException($"FeatureSetOptions.BucketizedNumerics names '{name}', which is not a numeric feature of this set; use \"*\" or one of: {string.Join(", ", numeric)}.", nameof(options));
                }
                if (bucketized.Contains(index))
                {
                    throw new ArgumentException($"FeatureSetOptions.BucketizedNumerics lists '{name}' twice.", nameof(options));
                }
                bucketized.Add(index);
            }
        }
        _bucketized = [.. bucketized];
        foreach (int index in _bucketized)
        {
            Add(fields, numeric[index] + "_bucket", o.LogBucketCount);
        }
        for (int f = 0; f < fields.Count; f++)
        {
            _categoricalIndex.Add(fields[f].Name, f);
        }
        Schema = new FeatureSchema(fields, numeric);
    }

    /// <summary>The feature set of the default options.</summary>
    public static FeatureSet Default { get; } = new();

    /// <summary>Builds a feature set from a JSON object of <see cref="FeatureSetOptions"/>.</summary>
    /// <param name="json">The options as JSON.</param>
    /// <exception cref="ArgumentException">The JSON or an option is invalid.</exception>
    public static FeatureSet FromJson(string json) => new(FeatureSetOptions.FromJson(json));

    /// <summary>The validated options.</summary>
    public FeatureSetOptions Options { get; }

    /// <summary>The columns every row of this set has, in training and in serving.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>The counter windows as written in the options (e.g. "1h"), in column order.</summary>
    public IReadOnlyList<string> WindowNames { get; }

    /// <summary>Decay rate per window and millisecond: ln 2 / half-life.</summary>
    internal double[] Rates { get; }

    /// <summary>The column of numeric feature <paramref name="name"/>, or −1 when the set has none.</summary>
    /// <param name="name">A numeric feature name, e.g. "item_ctr_1d".</param>
    public int NumericIndex(string name) => _numericIndex.TryGetValue(name, out int i) ? i : -1;

    /// <summary>The field of categorical feature <paramref name="name"/>, or −1 when the set has none.</summary>
    /// <param name="name">A categorical field name, e.g. "item_category".</param>
    public int CategoricalIndex(string name) => _categoricalIndex.TryGetValue(name, out int i) ? i : -1;

    /// <summary>
    /// The value of column <paramref name="name"/> in row <paramref name="row"/>: the number for a numeric feature,
    /// the code for a categorical field. Meant for explaining a ranked item; read many rows by index instead.
    /// </summary>
    /// <param name="data">Rows of this set's schema.</param>
    /// <param name="row">The row.</param>
    /// <param name="name">A column name.</param>
    /// <exception cref="ArgumentException">The set has no column of that name.</exception>
    public float Value(RankingDataset data, int row, string name)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_numericIndex.TryGetValue(name, out int n))
        {
            return data.NumericRow(row)[n];
        }
        if (_categoricalIndex.TryGetValue(name, out int c))
        {
            return data.CategoricalRow(row)[c];
        }
        throw new ArgumentException($"The feature set has no column '{name}'; its columns are {string.Join(", ", Schema.Numeric)}, {string.Join(", ", _categoricalIndex.Keys)}.", nameof(name));
    }

    /// <summary>The hash field of user attribute <paramref name="key"/>.</summary>
    internal static string UserAttributeHashField(string key) => "user_attr_" + key;

    private static int Add(List<CategoricalField> fields, string name, int cardinality)
    {
        fields.Add(new CategoricalField(name, cardinality));
        return fields.Count - 1;
    }
}
