using Cascade.Core.Domain;

namespace Cascade.Features.Tests;

/// <summary>A small random log with catalog, requests of impressions, clicks (some in the same millisecond), likes, dislikes and ratings.</summary>
public sealed class SyntheticLog
{
    public const string App = "shop";
    public const long Start = 1_700_000_000_000;
    public const long Step = 37_000; // timestamps sit on a coarse grid, so many events share a millisecond

    public List<Item> Items { get; } = [];
    public List<User> Users { get; } = [];

    /// <summary>Events in log order, which is not time order.</summary>
    public List<FeedbackEvent> Events { get; } = [];

    public static SyntheticLog Create(int seed, int requests = 450, int users = 30, int items = 60, int extraEvents = 600)
    {
        var rng = new Random(seed);
        var log = new SyntheticLog();
        for (int i = 0; i < items; i++)
        {
            if (i % 10 == 9)
            {
                continue; // some items exist only through events
            }
            var cats = new List<string>();
            int n = rng.Next(0, 3);
            for (int c = 0; c < n; c++)
            {
                cats.Add("c" + rng.Next(8));
            }
            var tags = new List<string>();
            for (int t = rng.Next(0, 4); t > 0; t--)
            {
                tags.Add("t" + rng.Next(20));
            }
            var created = i % 7 == 0 ? default : DateTimeOffset.FromUnixTimeMilliseconds(Start - rng.Next(0, 5) * 86_400_000L + rng.Next(0, 400) * Step);
            log.Items.Add(new Item(App, "i" + i, "Item " + i, cats, tags, "{}", created, false, null));
        }
        for (int u = 0; u < users; u++)
        {
            if (u % 6 == 5)
            {
                continue;
            }
            string attrs = u % 4 == 0 ? "{}" : $"{{\"country\":\"{(u % 3 == 0 ? "de" : "us")}\",\"age\":{20 + u}}}";
            log.Users.Add(new User(App, "u" + u, attrs));
        }
        var seen = new HashSet<(string, string, long)>();
        string[] positives = ["click", "like", "purchase"];
        for (int r = 0; r < requests; r++)
        {
            string user = "u" + rng.Next(users);
            long t = Start + rng.Next(0, 300) * Step;
            string? request = rng.Next(10) < 7 ? "r" + r : null;
            int shown = rng.Next(2, 6);
            for (int p = 0; p < shown; p++)
            {
                string item = "i" + rng.Next(items);
                if (!seen.Add((user, item, t)))
                {
                    continue;
                }
                log.Events.Add(new FeedbackEvent(App, null, user, item, "impression", null, t, request, rng.Next(4) == 0 ? null : p));
                if (rng.Next(10) < 3)
                {
                    // Clicks land 0, 1 or 2 steps later: in the same millisecond, inside and outside a 60 s window.
                    long at = t + rng.Next(0, 3) * Step;
                    string? clickRequest = rng.Next(3) switch { 0 => null, 1 => request, _ => "other" + r };
                    log.Events.Add(new FeedbackEvent(App, null, user, item, "click", null, at, clickRequest, p));
                }
            }
        }
        for (int e = 0; e < extraEvents; e++)
        {
            string user = "u" + rng.Next(users);
            string item = "i" + rng.Next(items);
            long t = Start + rng.Next(-50, 320) * Step;
            int kind = rng.Next(6);
            var ev = kind switch
            {
                < 3 => new FeedbackEvent(App, null, user, item, positives[kind], null, t, null, null),
                3 => new FeedbackEvent(App, null, user, item, "dislike", null, t, null, null),
                4 => new FeedbackEvent(App, null, user, item, "rating", 1 + rng.Next(5), t, null, null),
                _ => new FeedbackEvent(App, null, user, item, "no-such-type", null, t, null, null),
            };
            log.Events.Add(ev);
        }
        // Log order is arrival order, not event time: shuffle.
        var events = log.Events.ToArray();
        rng.Shuffle(events);
        log.Events.Clear();
        log.Events.AddRange(events);
        return log;
    }
}
