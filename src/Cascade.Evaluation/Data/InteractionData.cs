using System.Globalization;
using Cascade.Core;

namespace Cascade.Evaluation.Data;

/// <summary>
/// A table of (user, item, rating, time) interactions with string ids interned to dense integers, read from
/// whitespace-separated text files (<c>user item [rating [unix_seconds]]</c>, MovieLens u.data style).
/// Splits are arrays of row numbers into this table, so train and test share one id space.
/// </summary>
public sealed class InteractionData
{
    private readonly List<int> _users = [];
    private readonly List<int> _items = [];
    private readonly List<float> _ratings = [];
    private readonly List<long> _times = [];

    /// <summary>User ids (external ↔ dense).</summary>
    public IdInterner Users { get; } = new();

    /// <summary>Item ids (external ↔ dense).</summary>
    public IdInterner Items { get; } = new();

    /// <summary>Number of rows.</summary>
    public int Count => _users.Count;

    /// <summary>Dense user of row <paramref name="row"/>.</summary>
    public int User(int row) => _users[row];

    /// <summary>Dense item of row <paramref name="row"/>.</summary>
    public int Item(int row) => _items[row];

    /// <summary>Rating (or weight) of row <paramref name="row"/>; 1 when the file has no rating column.</summary>
    public float Rating(int row) => _ratings[row];

    /// <summary>Unix time in seconds of row <paramref name="row"/>; 0 when the file has no time column.</summary>
    public long Time(int row) => _times[row];

    /// <summary>Appends one interaction with external ids.</summary>
    /// <param name="user">External user id.</param>
    /// <param name="item">External item id.</param>
    /// <param name="rating">Rating or weight.</param>
    /// <param name="unixSeconds">Time in Unix seconds.</param>
    /// <returns>The new row number.</returns>
    public int Add(string user, string item, float rating, long unixSeconds)
    {
        _users.Add(Users.GetOrAdd(user));
        _items.Add(Items.GetOrAdd(item));
        _ratings.Add(rating);
        _times.Add(unixSeconds);
        return _users.Count - 1;
    }

    /// <summary>All row numbers 0 … Count − 1.</summary>
    public int[] AllRows()
    {
        var rows = new int[Count];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = i;
        }
        return rows;
    }

    /// <summary>Reads a file into a new table.</summary>
    /// <param name="path">Whitespace-separated <c>user item [rating [unix_seconds]]</c> lines; blank lines and lines starting with # are skipped.</param>
    public static InteractionData Load(string path)
    {
        var data = new InteractionData();
        data.Append(path);
        return data;
    }

    /// <summary>Reads a file and appends its rows.</summary>
    /// <param name="path">Whitespace-separated <c>user item [rating [unix_seconds]]</c> lines.</param>
    /// <returns>The row numbers appended, in file order.</returns>
    /// <exception cref="FormatException">A line has fewer than two fields or an unparsable number; the message names the file and line.</exception>
    public int[] Append(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Interaction file '{path}' does not exist.", path);
        }
        int first = Count;
        int lineNumber = 0;
        Span<Range> fields = stackalloc Range[5];
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            ReadOnlySpan<char> text = line.AsSpan().Trim();
            if (text.IsEmpty || text[0] == '#')
            {
                continue;
            }
            int n = text.SplitAny(fields, " \t,", StringSplitOptions.RemoveEmptyEntries);
            if (n < 2)
            {
                throw new FormatException($"{path}:{lineNumber}: expected 'user item [rating [unix_seconds]]', found '{line}'.");
            }
            float rating = 1f;
            long time = 0;
            if (n >= 3 && !float.TryParse(text[fields[2]], NumberStyles.Float, CultureInfo.InvariantCulture, out rating))
            {
                throw new FormatException($"{path}:{lineNumber}: rating '{text[fields[2]]}' is not a number.");
            }
            if (n >= 4 && !long.TryParse(text[fields[3]], NumberStyles.Integer, CultureInfo.InvariantCulture, out time))
            {
                throw new FormatException($"{path}:{lineNumber}: time '{text[fields[3]]}' is not an integer of Unix seconds.");
            }
            Add(text[fields[0]].ToString(), text[fields[1]].ToString(), rating, time);
        }
        var rows = new int[Count - first];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = first + i;
        }
        return rows;
    }

    /// <summary>
    /// Builds the user × item matrix of <paramref name="rows"/> over the whole table's id space (so every split of one
    /// table has the same shape); values are ratings and timestamps are milliseconds. Repeated (user, item) pairs sum.
    /// </summary>
    /// <param name="rows">Row numbers to include.</param>
    public CsrMatrix ToMatrix(ReadOnlySpan<int> rows)
    {
        var builder = new CsrMatrixBuilder(Math.Max(rows.Length, 16));
        foreach (int r in rows)
        {
            builder.Add(_users[r], _items[r], _ratings[r], _times[r] * 1000);
        }
        return builder.Build(Users.Count, Items.Count);
    }
}
