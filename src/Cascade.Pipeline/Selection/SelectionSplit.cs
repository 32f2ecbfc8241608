using Cascade.Core;

namespace Cascade.Pipeline.Selection;

/// <summary>
/// The validation split of model selection, time-aware: a seeded sample of users (those with three or more
/// interactions) gives up its newest interactions — a share of each, at least one, never all — and every trial is fitted on
/// the rest and judged by how well it recommends the given-up items. Without timestamps, the given-up items are a seeded
/// random share instead.
/// </summary>
public sealed class SelectionSplit
{
    private SelectionSplit(CsrMatrix fit, int[] users, int[][] heldOut, string metric, int k)
    {
        Fit = fit;
        Users = users;
        HeldOut = heldOut;
        Metric = metric;
        K = k;
    }

    /// <summary>The training part: every interaction except the validation users' newest.</summary>
    public CsrMatrix Fit { get; }

    /// <summary>The validation users (dense ids), in sample order.</summary>
    public int[] Users { get; }

    /// <summary>Each validation user's held-out items.</summary>
    public int[][] HeldOut { get; }

    /// <summary>The metric's name (ndcg, recall, precision or hitrate).</summary>
    public string Metric { get; }

    /// <summary>The metric's cut-off.</summary>
    public int K { get; }

    /// <summary>Carves the split from <paramref name="interactions"/>.</summary>
    /// <param name="interactions">Users × items, with timestamps when there are any.</param>
    /// <param name="options">Share, sample size, metric and seed.</param>
    public static SelectionSplit Create(CsrMatrix interactions, SelectionOptions options) => Create(interactions, options, 0);

    /// <summary>
    /// The split of a repeat (0: the first split): another seeded sample and, under random validation, other held-out
    /// items; under time-aware validation each user gives up the next-newest interactions instead — those newer than
    /// them are left out of the fit part, as if the data ended earlier (rolling origin).
    /// </summary>
    internal static SelectionSplit Create(CsrMatrix interactions, SelectionOptions options, int repeat)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        ArgumentNullException.ThrowIfNull(options);
        var (metric, k) = options.ParsedMetric();
        var random = new Random(unchecked(options.Seed + repeat * 1_000_003));
        var eligible = new List<int>();
        for (int u = 0; u < interactions.Rows; u++)
        {
            if (interactions.RowLength(u) >= 3)
            {
                eligible.Add(u);
            }
        }
        var sample = eligible.ToArray();
        random.Shuffle(sample);
        if (sample.Length > options.ValidationUsers)
        {
            sample = sample[..options.ValidationUsers];
        }
        var held = new Dictionary<int, HashSet<int>>(sample.Length);
        var dropped = new HashSet<(int User, int Item)>();
        foreach (int u in sample)
        {
            var items = interactions.RowIndices(u);
            int n = items.Length;
            int take = Math.Clamp((int)Math.Round(options.ValidationFraction * n), 1, n - 1);
            var order = Enumerable.Range(0, n).ToArray();
            if (interactions.Timestamps is null || options.Validation == "random")
            {
                random.Shuffle(order);
            }
            else
            {
                var times = interactions.RowTimestamps(u).ToArray();
                // Newest first; ties broken by position, so the split is the same on every run.
                Array.Sort(order, (a, b) => times[b] != times[a] ? times[b].CompareTo(times[a]) : b.CompareTo(a));
            }
            bool newest = interactions.Timestamps is not null && options.Validation != "random";
            // Under time-aware validation, a repeat skips the newest `skip` interactions (dropped) and holds out the next.
            int skip = newest ? Math.Max(0, Math.Min(repeat * take, n - 1 - take)) : 0;
            var given = new HashSet<int>(take);
            for (int j = skip; j < skip + take; j++)
            {
                given.Add(items[order[j]]);
            }
            held[u] = given;
            for (int j = 0; j < skip; j++)
            {
                dropped.Add((u, items[order[j]]));
            }
        }
        var builder = new CsrMatrixBuilder(interactions.NonZeros);
        for (int u = 0; u < interactions.Rows; u++)
        {
            var items = interactions.RowIndices(u);
            var values = interactions.RowValues(u);
            var times = interactions.Timestamps is null ? default : interactions.RowTimestamps(u);
            var given = held.GetValueOrDefault(u);
            for (int j = 0; j < items.Length; j++)
            {
                if (given?.Contains(items[j]) != true && (dropped.Count == 0 || !dropped.Contains((u, items[j]))))
                {
                    builder.Add(u, items[j], values[j], times.IsEmpty ? 0 : times[j]);
                }
            }
        }
        return new SelectionSplit(builder.Build(interactions.Rows, interactions.Columns), sample,
            [.. sample.Select(u => held[u].ToArray())], metric, k);
    }

    /// <summary>The metric of one user's recommended list against the items that user gave up.</summary>
    /// <param name="index">The user's index in <see cref="Users"/>.</param>
    /// <param name="recommended">The recommended items, best first (at least the first <see cref="K"/> are read).</param>
    public double Score(int index, ReadOnlySpan<int> recommended)
    {
        int[] relevant = HeldOut[index];
        int n = Math.Min(K, recommended.Length);
        int hits = 0;
        double dcg = 0;
        for (int r = 0; r < n; r++)
        {
            if (Array.IndexOf(relevant, recommended[r]) >= 0)
            {
                hits++;
                dcg += 1 / Math.Log2(r + 2);
            }
        }
        switch (Metric)
        {
            case "recall":
                return (double)hits / relevant.Length;
            case "precision":
                return (double)hits / K;
            case "hitrate":
                return hits > 0 ? 1 : 0;
            default:
                double ideal = 0;
                for (int r = 0; r < Math.Min(K, relevant.Length); r++)
                {
                    ideal += 1 / Math.Log2(r + 2);
                }
                return dcg / ideal;
        }
    }

    /// <summary>The mean metric over the validation users of the lists <paramref name="recommend"/> gives (called in parallel).</summary>
    /// <param name="recommend">The top items for the validation user at an index of <see cref="Users"/>, best first, their fit-part items excluded.</param>
    /// <param name="cancellationToken">Stops between users.</param>
    public double Mean(Func<int, int[]> recommend, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recommend);
        var scores = new double[Users.Length];
        Parallel.For(0, Users.Length, new ParallelOptions { CancellationToken = cancellationToken }, i => scores[i] = Score(i, recommend(i)));
        return Users.Length == 0 ? 0 : scores.Average();
    }
}
