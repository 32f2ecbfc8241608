using System.Numerics.Tensors;
using Cascade.Core;

namespace Cascade.Models.Embeddings;

/// <summary>
/// The validation split behind early stopping: a seeded fraction of each user's training entries is held out, the
/// model trains on the rest, and nDCG@k (binary gains, seen items excluded — the evaluation protocol of docs/metrics.md)
/// of the held-out entries is measured between epochs. Users with a single entry keep it for training.
/// </summary>
public sealed class ValidationHoldout
{
    private readonly int[] _users;
    private readonly int[][] _heldOut;

    private ValidationHoldout(CsrMatrix train, int[] users, int[][] heldOut)
    {
        Train = train;
        _users = users;
        _heldOut = heldOut;
    }

    /// <summary>The training part (same shape as the input).</summary>
    public CsrMatrix Train { get; }

    /// <summary>Number of users with held-out entries.</summary>
    public int UserCount => _users.Length;

    /// <summary>Splits <paramref name="data"/>: each user with two or more entries gives round(fraction·n) of them (at least one, at most n − 1).</summary>
    /// <param name="data">The training matrix.</param>
    /// <param name="fraction">Share held out, in (0, 1).</param>
    /// <param name="seed">Seed of the choice.</param>
    public static ValidationHoldout Create(CsrMatrix data, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must be in (0, 1).");
        }
        var random = new Random(seed);
        var pointers = new int[data.Rows + 1];
        var indices = new List<int>(data.NonZeros);
        var values = new List<float>(data.NonZeros);
        var times = data.Timestamps is null ? null : new List<long>(data.NonZeros);
        var users = new List<int>();
        var heldOut = new List<int[]>();
        for (int u = 0; u < data.Rows; u++)
        {
            ReadOnlySpan<int> items = data.RowIndices(u);
            int n = items.Length;
            int hold = n < 2 ? 0 : Math.Clamp((int)Math.Round(fraction * n), 1, n - 1);
            var order = new int[n];
            for (int a = 0; a < n; a++)
            {
                order[a] = a;
            }
            random.Shuffle(order);
            var held = new bool[n];
            for (int a = 0; a < hold; a++)
            {
                held[order[a]] = true;
            }
            var heldItems = new int[hold];
            int h = 0;
            int start = data.RowPointers[u];
            for (int a = 0; a < n; a++)
            {
                if (held[a])
                {
                    heldItems[h++] = items[a];
                    continue;
                }
                indices.Add(items[a]);
                values.Add(data.Values[start + a]);
                times?.Add(data.Timestamps![start + a]);
            }
            pointers[u + 1] = indices.Count;
            if (hold > 0)
            {
                users.Add(u);
                heldOut.Add(heldItems);
            }
        }
        var train = new CsrMatrix(data.Rows, data.Columns, pointers, [.. indices], [.. values], times?.ToArray());
        return new ValidationHoldout(train, [.. users], [.. heldOut]);
    }

    /// <summary>Mean nDCG@k over the held-out users, scoring each with <paramref name="score"/> and excluding its training items.</summary>
    /// <param name="k">The cut-off.</param>
    /// <param name="score">Writes the scores of every item for a user into a buffer of <c>Train.Columns</c> floats.</param>
    /// <param name="threads">Users scored in parallel.</param>
    public double Ndcg(int k, Action<int, float[]> score, int threads)
    {
        ArgumentNullException.ThrowIfNull(score);
        var perUser = new double[_users.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        Parallel.For(0, _users.Length, options, () => new float[Train.Columns], (n, _, buffer) =>
        {
            int u = _users[n];
            score(u, buffer);
            foreach (int seen in Train.RowIndices(u))
            {
                buffer[seen] = float.NegativeInfinity;
            }
            var top = TopK.Select(buffer, k);
            int[] relevant = _heldOut[n];
            double dcg = 0, ideal = 0;
            for (int r = 0; r < top.Length; r++)
            {
                if (Array.IndexOf(relevant, top[r].Item) >= 0)
                {
                    dcg += 1 / Math.Log2(r + 2);
                }
            }
            for (int r = 0; r < Math.Min(k, relevant.Length); r++)
            {
                ideal += 1 / Math.Log2(r + 2);
            }
            perUser[n] = dcg / ideal;
            return buffer;
        }, _ => { });
        return _users.Length == 0 ? 0 : TensorPrimitives.Sum<double>(perUser) / _users.Length;
    }
}
