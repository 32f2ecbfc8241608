using Cascade.Core.Domain;

namespace Cascade.Storage.Bench;

/// <summary>Synthetic feedback with power-law (Zipf) item popularity and user activity, reproducible from a seed.</summary>
internal sealed class Synthetic
{
    private static readonly (string Type, double Share)[] Mix =
    [
        ("click", 0.55), ("impression", 0.15), ("like", 0.10), ("rating", 0.10), ("purchase", 0.05), ("dislike", 0.05),
    ];

    private readonly Random _random;
    private readonly double[] _itemCdf;
    private readonly double[] _userCdf;
    private long _clock = 1_700_000_000_000;

    public Synthetic(int users, int items, int seed, double itemExponent = 1.0, double userExponent = 0.6)
    {
        _random = new Random(seed);
        _itemCdf = ZipfCdf(items, itemExponent);
        _userCdf = ZipfCdf(users, userExponent);
        Users = users;
        Items = items;
    }

    public int Users { get; }

    public int Items { get; }

    public (int User, int Item, string Type, double? Value, long TimestampMs) Next()
    {
        int user = Sample(_userCdf);
        int item = Sample(_itemCdf);
        double u = _random.NextDouble();
        string type = Mix[^1].Type;
        foreach (var (t, share) in Mix)
        {
            if (u < share)
            {
                type = t;
                break;
            }
            u -= share;
        }
        double? value = type == "rating" ? _random.Next(1, 6) : null;
        _clock += _random.Next(0, 20);
        return (user, item, type, value, _clock);
    }

    public FeedbackEvent NextEvent(string? eventId = null)
    {
        var (user, item, type, value, ts) = Next();
        return new FeedbackEvent(Apps.Default, eventId, UserId(user), ItemId(item), type, value, ts, null, null);
    }

    public static string UserId(int user) => "user-" + user.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string ItemId(int item) => "item-" + item.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private int Sample(double[] cdf)
    {
        int i = Array.BinarySearch(cdf, _random.NextDouble());
        return Math.Min(i < 0 ? ~i : i, cdf.Length - 1);
    }

    private static double[] ZipfCdf(int n, double exponent)
    {
        var cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            sum += 1.0 / Math.Pow(k + 1, exponent);
            cdf[k] = sum;
        }
        for (int k = 0; k < n; k++)
        {
            cdf[k] /= sum;
        }
        return cdf;
    }
}
