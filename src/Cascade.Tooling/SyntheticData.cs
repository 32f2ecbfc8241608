using System.Text.Json;
using Cascade.Serving.Ingestion;

namespace Cascade.Tooling;

/// <summary>Sizes and seed of a synthetic data set. Defaults make a small demo (seconds to ingest).</summary>
public sealed record SyntheticOptions
{
    /// <summary>Number of items. Default 2,000.</summary>
    public int Items { get; init; } = 2_000;

    /// <summary>Number of users. Default 1,000.</summary>
    public int Users { get; init; } = 1_000;

    /// <summary>Approximate number of events, impressions included. Default 100,000.</summary>
    public long Events { get; init; } = 100_000;

    /// <summary>Number of latent taste clusters. Default 12.</summary>
    public int Clusters { get; init; } = 12;

    /// <summary>Days the event stream spans, ending at <see cref="End"/>. Default 28.</summary>
    public int Days { get; init; } = 28;

    /// <summary>The newest timestamp. Default 2026-01-01T00:00Z, so output depends on the seed only.</summary>
    public DateTimeOffset End { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Random seed. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Checks the values; the message names the option.</summary>
    public SyntheticOptions Validate()
    {
        if (Items < 10)
        {
            throw new ArgumentOutOfRangeException(nameof(Items), Items, "--items must be at least 10.");
        }
        if (Users < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Users), Users, "--users must be at least 1.");
        }
        if (Events < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Events), Events, "--events must be 0 or more.");
        }
        if (Clusters is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(Clusters), Clusters, "--clusters must be between 1 and 1000.");
        }
        if (Days is < 1 or > 3650)
        {
            throw new ArgumentOutOfRangeException(nameof(Days), Days, "--days must be between 1 and 3650.");
        }
        return this;
    }
}

/// <summary>
/// A realistic synthetic catalog and event stream: items with a power-law popularity, grouped into latent taste
/// clusters that carry categories and tags; users who mostly like one cluster; sessions in which a feed of ten
/// items is shown (impressions) and clicked with a probability that falls with position and rises with the
/// user's affinity, followed sometimes by likes, purchases, ratings or dislikes. Deterministic for a seed.
/// </summary>
public sealed class SyntheticData
{
    private static readonly string[] Genres = ["news", "sports", "music", "comedy", "science", "gaming", "cooking", "travel", "fashion", "tech", "film", "kids",
        "history", "nature", "finance", "art", "health", "cars", "books", "diy"];
    private static readonly string[] Countries = ["us", "gb", "de", "fr", "in", "br", "jp", "ng"];
    private readonly SyntheticOptions _o;
    private readonly int[] _itemCluster;
    private readonly double[] _itemPop;
    private readonly int[] _userCluster;
    private readonly double[] _userActivity;
    private readonly int[][] _clusterItems;
    private readonly double[][] _clusterCdf;
    private readonly double[] _globalCdf;
    private readonly double[] _userCdf;

    /// <summary>Draws the latent structure for <paramref name="options"/>.</summary>
    public SyntheticData(SyntheticOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _o = options.Validate();
        var rng = new Random(_o.Seed);
        _itemCluster = new int[_o.Items];
        _itemPop = new double[_o.Items];
        var perm = Enumerable.Range(0, _o.Items).ToArray();
        rng.Shuffle(perm);
        for (int i = 0; i < _o.Items; i++)
        {
            _itemCluster[i] = rng.Next(_o.Clusters);
            _itemPop[i] = 1.0 / Math.Pow(perm[i] + 1, 0.9); // Zipf-like popularity over a random order of items
        }
        _clusterItems = new int[_o.Clusters][];
        _clusterCdf = new double[_o.Clusters][];
        for (int c = 0; c < _o.Clusters; c++)
        {
            _clusterItems[c] = [.. Enumerable.Range(0, _o.Items).Where(i => _itemCluster[i] == c)];
            _clusterCdf[c] = Cdf(_clusterItems[c].Select(i => _itemPop[i]));
        }
        _globalCdf = Cdf(_itemPop);
        _userCluster = new int[_o.Users];
        _userActivity = new double[_o.Users];
        for (int u = 0; u < _o.Users; u++)
        {
            _userCluster[u] = rng.Next(_o.Clusters);
            _userActivity[u] = Math.Exp(rng.NextDouble() * 3); // log-uniform activity: a few heavy users
        }
        _userCdf = Cdf(_userActivity);
    }

    /// <summary>The id of item <paramref name="i"/>.</summary>
    public static string ItemId(int i) => $"i{i}";

    /// <summary>The id of user <paramref name="u"/>.</summary>
    public static string UserId(int u) => $"u{u}";

    /// <summary>The latent cluster of user <paramref name="u"/>, for tests that check a model learns it.</summary>
    public int UserCluster(int u) => _userCluster[u];

    /// <summary>The latent cluster of item <paramref name="i"/>.</summary>
    public int ItemCluster(int i) => _itemCluster[i];

    /// <summary>The catalog.</summary>
    public IEnumerable<ItemInput> Items()
    {
        var rng = new Random(_o.Seed + 1);
        long spanMs = (long)TimeSpan.FromDays(_o.Days * 2).TotalMilliseconds;
        for (int i = 0; i < _o.Items; i++)
        {
            int c = _itemCluster[i];
            string genre = Genres[c % Genres.Length];
            var attrs = JsonSerializer.SerializeToElement(new { duration = 30 + rng.Next(1800), language = rng.Next(4) == 0 ? "es" : "en" });
            yield return new ItemInput
            {
                Id = ItemId(i),
                Title = $"{char.ToUpperInvariant(genre[0])}{genre[1..]} #{i}",
                Categories = [genre, $"{genre}/{c}"],
                Tags = [$"t{c}-{rng.Next(5)}", $"t{c}-{rng.Next(5)}", $"t{rng.Next(_o.Clusters)}-{rng.Next(5)}"],
                Attributes = attrs,
                CreatedAt = _o.End.AddMilliseconds(-rng.NextInt64(spanMs)),
            };
        }
    }

    /// <summary>The users.</summary>
    public IEnumerable<UserInput> Users()
    {
        var rng = new Random(_o.Seed + 2);
        for (int u = 0; u < _o.Users; u++)
        {
            yield return new UserInput
            {
                Id = UserId(u),
                Attributes = JsonSerializer.SerializeToElement(new { country = Countries[rng.Next(Countries.Length)], age = 16 + rng.Next(60) }),
            };
        }
    }

    /// <summary>The event stream in time order, about <see cref="SyntheticOptions.Events"/> events.</summary>
    public IEnumerable<EventInput> Events()
    {
        var rng = new Random(_o.Seed + 3);
        long spanMs = (long)TimeSpan.FromDays(_o.Days).TotalMilliseconds;
        long startMs = _o.End.ToUnixTimeMilliseconds() - spanMs;
        const int FeedSize = 10;
        long emitted = 0;
        var shown = new int[FeedSize];
        for (long s = 0; emitted < _o.Events; s++)
        {
            // Time advances with the share of events emitted, so the stream spans the days whatever its size.
            long t = startMs + (long)((double)emitted / _o.Events * spanMs);
            int u = Sample(_userCdf, rng);
            string user = UserId(u);
            string request = $"r{s}";
            int c = _userCluster[u];
            for (int p = 0; p < FeedSize; p++)
            {
                shown[p] = rng.NextDouble() < 0.7 && _clusterItems[c].Length > 0
                    ? _clusterItems[c][Sample(_clusterCdf[c], rng)]
                    : Sample(_globalCdf, rng);
            }
            for (int p = 0; p < FeedSize && emitted < _o.Events; p++)
            {
                int i = shown[p];
                var ts = DateTimeOffset.FromUnixTimeMilliseconds(t + p * 1000L);
                yield return Event(user, i, "impression", null, ts, request, p, ref emitted);
                double affinity = _itemCluster[i] == c ? 1.0 : 0.15;
                double pClick = 0.35 * affinity / Math.Pow(1 + p, 0.6);
                if (rng.NextDouble() < pClick && emitted < _o.Events)
                {
                    yield return Event(user, i, "click", null, ts.AddSeconds(2), request, p, ref emitted);
                    double r = rng.NextDouble();
                    if (r < 0.25 && emitted < _o.Events)
                    {
                        yield return Event(user, i, "like", null, ts.AddSeconds(30), null, null, ref emitted);
                    }
                    else if (r < 0.30 && emitted < _o.Events)
                    {
                        yield return Event(user, i, "purchase", null, ts.AddSeconds(60), null, null, ref emitted);
                    }
                    else if (r < 0.40 && emitted < _o.Events)
                    {
                        int stars = affinity >= 1 ? 3 + rng.Next(3) : 1 + rng.Next(3);
                        yield return Event(user, i, "rating", stars, ts.AddSeconds(90), null, null, ref emitted);
                    }
                }
                else if (affinity < 1 && rng.NextDouble() < 0.01 && emitted < _o.Events)
                {
                    yield return Event(user, i, "dislike", null, ts.AddSeconds(3), request, p, ref emitted);
                }
            }
        }
    }

    private static EventInput Event(string user, int item, string type, double? value, DateTimeOffset ts, string? request, int? position, ref long emitted)
    {
        emitted++;
        return new EventInput
        {
            EventId = $"g{emitted}",
            UserId = user,
            ItemId = ItemId(item),
            Type = type,
            Value = value,
            Timestamp = ts,
            RequestId = request,
            Position = position,
        };
    }

    private static double[] Cdf(IEnumerable<double> weights)
    {
        var w = weights.ToArray();
        var cdf = new double[w.Length];
        double total = 0;
        for (int i = 0; i < w.Length; i++)
        {
            total += w[i];
            cdf[i] = total;
        }
        for (int i = 0; i < cdf.Length; i++)
        {
            cdf[i] /= total;
        }
        return cdf;
    }

    private static int Sample(double[] cdf, Random rng)
    {
        int i = Array.BinarySearch(cdf, rng.NextDouble());
        i = i < 0 ? ~i : i;
        return Math.Min(i, cdf.Length - 1);
    }
}
