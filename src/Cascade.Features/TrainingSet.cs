using Cascade.Ranking;

namespace Cascade.Features;

/// <summary>
/// Labelled rows from a <see cref="TrainingSetBuilder"/> with, per row, the user, the item and the time its features
/// were taken at. Rows of one group (one request) are contiguous and groups are in time order, so a cut by time
/// (<see cref="SplitByTime"/>) gives a train and a validation set without splitting a request.
/// </summary>
public sealed class TrainingSet
{
    private readonly long[] _timestamps;
    private readonly string[] _users;
    private readonly string[] _items;

    internal TrainingSet(RankingDataset data, long[] timestampsMs, string[] userIds, string[] itemIds, ExampleSource source)
    {
        Data = data;
        _timestamps = timestampsMs;
        _users = userIds;
        _items = itemIds;
        Source = source;
    }

    /// <summary>The rows, labels and group offsets.</summary>
    public RankingDataset Data { get; }

    /// <summary>Per row: the example's time; its features hold exactly the events strictly before it.</summary>
    public IReadOnlyList<long> TimestampsMs => _timestamps;

    /// <summary>Per row: the user.</summary>
    public IReadOnlyList<string> UserIds => _users;

    /// <summary>Per row: the item.</summary>
    public IReadOnlyList<string> ItemIds => _items;

    /// <summary>Where the examples came from (what <see cref="ExampleSource.Auto"/> resolved to).</summary>
    public ExampleSource Source { get; }

    /// <summary>
    /// Splits at <paramref name="cutMs"/>: groups whose first row is before the cut go to Train, the rest to Valid.
    /// Both keep their groups.
    /// </summary>
    /// <param name="cutMs">The cut time, Unix milliseconds.</param>
    public (TrainingSet Train, TrainingSet Valid) SplitByTime(long cutMs)
    {
        var offsets = Data.GroupOffsets ?? [0, Data.Rows];
        int g = 0;
        while (g < offsets.Length - 1 && _timestamps[offsets[g]] < cutMs)
        {
            g++;
        }
        return (Slice(offsets, 0, g), Slice(offsets, g, offsets.Length - 1));
    }

    private TrainingSet Slice(int[] offsets, int fromGroup, int toGroup)
    {
        int from = offsets[fromGroup], to = offsets[toGroup];
        var rows = new int[to - from];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = from + i;
        }
        var picked = Data.Select(rows);
        var groups = new int[toGroup - fromGroup + 1];
        for (int i = 0; i < groups.Length; i++)
        {
            groups[i] = offsets[fromGroup + i] - from;
        }
        var data = new RankingDataset(Data.Schema, rows.Length, picked.Categorical, picked.Numeric, picked.Labels, Data.GroupOffsets is null ? null : groups, picked.Weights, validate: false);
        return new TrainingSet(data, _timestamps[from..to], _users[from..to], _items[from..to], Source);
    }
}
