using System.Globalization;
using Cascade.Evaluation.Data;

namespace Cascade.Evaluation.Splitting;

/// <summary>Which rows a stratified split groups by.</summary>
public enum StratifyBy
{
    /// <summary>Each user's rows are split in the ratio.</summary>
    User = 0,

    /// <summary>Each item's rows are split in the ratio (the Microsoft Recommenders ML-100k benchmark).</summary>
    Item = 1,
}

/// <summary>
/// Train/test splitters. Each takes the rows to split (all rows, or the train rows of an earlier split to carve a
/// validation split the same way) and returns a <see cref="DataSplit"/> of those rows. Seeded splits are deterministic.
/// Group sizes round with round-half-to-even, like Python's round().
/// </summary>
public static class Splitter
{
    /// <summary>Each row goes to train with probability <paramref name="trainRatio"/>, exactly round(ratio·n) rows overall.</summary>
    /// <param name="data">The table.</param>
    /// <param name="rows">Rows to split.</param>
    /// <param name="trainRatio">Fraction for training, in (0, 1).</param>
    /// <param name="seed">Shuffle seed.</param>
    public static DataSplit Random(InteractionData data, ReadOnlySpan<int> rows, double trainRatio, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckRatio(trainRatio);
        int[] shuffled = rows.ToArray();
        new Random(seed).Shuffle(shuffled);
        int cut = TrainCount(shuffled.Length, trainRatio);
        return Make(shuffled.AsSpan(0, cut), shuffled.AsSpan(cut));
    }

    /// <summary>For each user (or item), its rows in a seeded random order, the first round(ratio·n) to train.</summary>
    /// <param name="data">The table.</param>
    /// <param name="rows">Rows to split.</param>
    /// <param name="trainRatio">Fraction for training, in (0, 1).</param>
    /// <param name="by">Group by user or by item.</param>
    /// <param name="seed">Shuffle seed.</param>
    public static DataSplit Stratified(InteractionData data, ReadOnlySpan<int> rows, double trainRatio, StratifyBy by, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckRatio(trainRatio);
        var random = new Random(seed);
        var train = new List<int>();
        var test = new List<int>();
        foreach (int[] group in Groups(data, rows, by == StratifyBy.User))
        {
            random.Shuffle(group);
            int cut = TrainCount(group.Length, trainRatio);
            train.AddRange(group.AsSpan(0, cut));
            test.AddRange(group.AsSpan(cut));
        }
        return Make(train.ToArray(), test.ToArray());
    }

    /// <summary>For each user, the earliest round(ratio·n) rows (by time, then row order) to train, the rest to test.</summary>
    /// <param name="data">The table.</param>
    /// <param name="rows">Rows to split.</param>
    /// <param name="trainRatio">Fraction for training, in (0, 1).</param>
    public static DataSplit Chronological(InteractionData data, ReadOnlySpan<int> rows, double trainRatio)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckRatio(trainRatio);
        return ChronologicalBy(data, rows, n => TrainCount(n, trainRatio));
    }

    /// <summary>For each user, the last <paramref name="n"/> rows by time to test; users with ≤ n rows stay wholly in train.</summary>
    /// <param name="data">The table.</param>
    /// <param name="rows">Rows to split.</param>
    /// <param name="n">Rows per user held out (≥ 1).</param>
    public static DataSplit LeaveLastN(InteractionData data, ReadOnlySpan<int> rows, int n)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return ChronologicalBy(data, rows, count => count <= n ? count : count - n);
    }

    /// <summary>Rows before <paramref name="cutoffUnixSeconds"/> to train, the rest to test.</summary>
    /// <param name="data">The table.</param>
    /// <param name="rows">Rows to split.</param>
    /// <param name="cutoffUnixSeconds">The first second that belongs to test.</param>
    public static DataSplit TimeCutoff(InteractionData data, ReadOnlySpan<int> rows, long cutoffUnixSeconds)
    {
        ArgumentNullException.ThrowIfNull(data);
        var train = new List<int>();
        var test = new List<int>();
        foreach (int r in rows)
        {
            (data.Time(r) < cutoffUnixSeconds ? train : test).Add(r);
        }
        return Make(train.ToArray(), test.ToArray());
    }

    /// <summary>
    /// Applies a split described by text to <paramref name="rows"/>: <c>random:R</c>, <c>stratified-user:R</c>,
    /// <c>stratified-item:R</c>, <c>chrono:R</c>, <c>leave-last:N</c> or <c>time:UNIX_SECONDS</c>.
    /// </summary>
    /// <param name="data">The table.</param>
    /// <param name="rows">Rows to split.</param>
    /// <param name="spec">The split description.</param>
    /// <param name="seed">Seed of the random splits.</param>
    public static DataSplit Apply(InteractionData data, ReadOnlySpan<int> rows, string spec, int seed)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec);
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? spec : spec[..colon];
        string argument = colon < 0 ? "" : spec[(colon + 1)..];
        double Ratio() => argument.Length == 0 ? 0.75 : double.Parse(argument, CultureInfo.InvariantCulture);
        return kind.ToLowerInvariant() switch
        {
            "random" => Random(data, rows, Ratio(), seed),
            "stratified-user" => Stratified(data, rows, Ratio(), StratifyBy.User, seed),
            "stratified-item" => Stratified(data, rows, Ratio(), StratifyBy.Item, seed),
            "chrono" or "chronological" => Chronological(data, rows, Ratio()),
            "leave-last" => LeaveLastN(data, rows, argument.Length == 0 ? 1 : int.Parse(argument, CultureInfo.InvariantCulture)),
            "time" => TimeCutoff(data, rows, long.Parse(argument, CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"Unknown split '{spec}'; use random:R, stratified-user:R, stratified-item:R, chrono:R, leave-last:N or time:UNIX_SECONDS.", nameof(spec)),
        };
    }

    private static DataSplit ChronologicalBy(InteractionData data, ReadOnlySpan<int> rows, Func<int, int> trainCount)
    {
        var train = new List<int>();
        var test = new List<int>();
        foreach (int[] group in Groups(data, rows, byUser: true))
        {
            long[] keys = new long[group.Length];
            for (int i = 0; i < group.Length; i++)
            {
                keys[i] = data.Time(group[i]);
            }
            // Stable by time: group is in row order, and equal times keep it.
            int[] order = new int[group.Length];
            for (int i = 0; i < order.Length; i++)
            {
                order[i] = i;
            }
            Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
            int cut = trainCount(group.Length);
            for (int i = 0; i < order.Length; i++)
            {
                (i < cut ? train : test).Add(group[order[i]]);
            }
        }
        return Make(train.ToArray(), test.ToArray());
    }

    // Groups rows by user or item, each group in row order, groups in order of first appearance of the dense id.
    private static List<int[]> Groups(InteractionData data, ReadOnlySpan<int> rows, bool byUser)
    {
        int keys = byUser ? data.Users.Count : data.Items.Count;
        var counts = new int[keys + 1];
        foreach (int r in rows)
        {
            counts[(byUser ? data.User(r) : data.Item(r)) + 1]++;
        }
        for (int k = 0; k < keys; k++)
        {
            counts[k + 1] += counts[k];
        }
        var sorted = new int[rows.Length];
        int[] next = counts.AsSpan(0, keys).ToArray();
        int[] ordered = rows.ToArray();
        Array.Sort(ordered);
        foreach (int r in ordered)
        {
            sorted[next[byUser ? data.User(r) : data.Item(r)]++] = r;
        }
        var groups = new List<int[]>();
        for (int k = 0; k < keys; k++)
        {
            if (counts[k + 1] > counts[k])
            {
                groups.Add(sorted.AsSpan(counts[k], counts[k + 1] - counts[k]).ToArray());
            }
        }
        return groups;
    }

    private static int TrainCount(int n, double ratio) => (int)Math.Round(n * ratio, MidpointRounding.ToEven);

    private static void CheckRatio(double ratio)
    {
        if (!(ratio is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The train ratio must lie strictly between 0 and 1, e.g. 0.75.");
        }
    }

    private static DataSplit Make(ReadOnlySpan<int> train, ReadOnlySpan<int> test)
    {
        int[] a = train.ToArray(), b = test.ToArray();
        Array.Sort(a);
        Array.Sort(b);
        return new DataSplit(a, b);
    }
}
