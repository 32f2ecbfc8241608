using Cascade.Core;
using Cascade.Evaluation.Data;
using Cascade.Evaluation.Splitting;

namespace Cascade.Evaluation.Running;

/// <summary>
/// What one evaluation needs: the training matrix (over the whole table's id space), and per evaluated user the sorted
/// test items with their ratings. Evaluated users are those with at least one test row and at least one training row
/// (the users a history-based model can predict for, as in the Microsoft Recommenders protocol: users in both test and predictions).
/// </summary>
public sealed class EvaluationSet
{
    private EvaluationSet(CsrMatrix train, int[] users, int[][] relevant, float[][] ratings, int testRows, int coldTestRows, IReadOnlyList<string> itemIds)
    {
        ItemIds = itemIds;
        Train = train;
        Users = users;
        Relevant = relevant;
        RelevantRatings = ratings;
        TestRows = testRows;
        ColdTestRows = coldTestRows;
    }

    /// <summary>Users × items training matrix (values are ratings, timestamps in milliseconds).</summary>
    public CsrMatrix Train { get; }

    /// <summary>Whether the test rows are the users' newest (a time-aware split) rather than a random share of each user's rows.</summary>
    public bool TestIsNewest { get; init; }

    /// <summary>External id of every item column, by dense index (for models that join item attributes, <see cref="Cascade.Models.IUsesItemIds"/>).</summary>
    public IReadOnlyList<string> ItemIds { get; }

    /// <summary>The evaluated users, ascending.</summary>
    public int[] Users { get; }

    /// <summary>Test items of <see cref="Users"/>[i], ascending and distinct.</summary>
    public int[][] Relevant { get; }

    /// <summary>Test ratings matching <see cref="Relevant"/> (the latest row wins for a repeated pair).</summary>
    public float[][] RelevantRatings { get; }

    /// <summary>Number of test rows in the split.</summary>
    public int TestRows { get; }

    /// <summary>Test rows of users with no training data (not evaluated).</summary>
    public int ColdTestRows { get; }

    /// <summary>Builds the set from a table and a split of it.</summary>
    /// <param name="data">The table.</param>
    /// <param name="split">Train and test rows.</param>
    public static EvaluationSet Create(InteractionData data, DataSplit split)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(split);
        CsrMatrix train = data.ToMatrix(split.Train);
        var byUser = new SortedDictionary<int, SortedDictionary<int, float>>();
        int cold = 0;
        foreach (int r in split.Test)
        {
            int u = data.User(r);
            if (train.RowLength(u) == 0)
            {
                cold++;
                continue;
            }
            if (!byUser.TryGetValue(u, out var items))
            {
                items = [];
                byUser[u] = items;
            }
            items[data.Item(r)] = data.Rating(r);
        }
        // Time-aware when, for nine users in ten, every test row is at least as new as the user's newest training row.
        var newestTrain = new Dictionary<int, long>();
        foreach (int r in split.Train)
        {
            newestTrain[data.User(r)] = Math.Max(newestTrain.GetValueOrDefault(data.User(r), long.MinValue), data.Time(r));
        }
        var olderTest = new HashSet<int>();
        foreach (int r in split.Test)
        {
            if (data.Time(r) < newestTrain.GetValueOrDefault(data.User(r), long.MinValue))
            {
                olderTest.Add(data.User(r));
            }
        }
        bool testIsNewest = byUser.Count > 0 && olderTest.Count(byUser.ContainsKey) <= byUser.Count / 10;
        var users = new int[byUser.Count];
        var relevant = new int[byUser.Count][];
        var ratings = new float[byUser.Count][];
        int n = 0;
        foreach (var (user, items) in byUser)
        {
            users[n] = user;
            relevant[n] = [.. items.Keys];
            ratings[n] = [.. items.Values];
            n++;
        }
        return new EvaluationSet(train, users, relevant, ratings, split.Test.Length, cold, data.Items.ToArray()) { TestIsNewest = testIsNewest };
    }
}
