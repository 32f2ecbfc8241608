using System.Diagnostics;
using System.Globalization;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;

namespace Cascade.Storage.Bench;

/// <summary>
/// The serving write pattern: impressions appended at a steady rate in small batches (one request's page each), as
/// a server logging impressions does, into an existing data folder; reports the process CPU the log writer and the
/// catalog applier spend on them. Run it on a copy of a large folder (the catalog's size decides its page cache's
/// behaviour) under <c>perf record</c> to see where that CPU goes.
/// </summary>
internal static class Trickle
{
    public static string Run(string dataDirectory, int seconds, int eventsPerSecond, int batch)
    {
        using var engine = CascadeEngine.Open(new EngineOptions { DataDirectory = dataDirectory });
        engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromMinutes(30)).GetAwaiter().GetResult();
        var random = new Random(1);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long sent = 0;
        var pending = new List<Task>();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            long due = (long)(clock.Elapsed.TotalSeconds * eventsPerSecond);
            while (sent < due)
            {
                var events = new FeedbackEvent[batch];
                string user = "u" + random.Next(100_000).ToString(CultureInfo.InvariantCulture);
                string request = Guid.NewGuid().ToString("N");
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                for (int i = 0; i < batch; i++)
                {
                    events[i] = new FeedbackEvent(Apps.Default, null, user, "i" + random.Next(1_000_000).ToString(CultureInfo.InvariantCulture), "impression", null, now, request, i);
                }
                pending.Add(engine.AppendEventsAsync(events));
                sent += batch;
            }
            if (pending.Count > 1000)
            {
                Task.WaitAll(pending);
                pending.Clear();
            }
            Thread.Sleep(5);
        }
        Task.WaitAll(pending);
        double appendSeconds = clock.Elapsed.TotalSeconds;
        engine.WaitForCatalogAsync(engine.Log.LastSequence, TimeSpan.FromMinutes(30)).GetAwaiter().GetResult();
        double catchUp = clock.Elapsed.TotalSeconds - appendSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"trickle: {sent:N0} impressions in batches of {batch} over {appendSeconds:0.0} s ({sent / appendSeconds:N0}/s); catalog caught up {catchUp:0.00} s after the last append; process CPU {cpu:0.0} s ({1e6 * cpu / sent:0.0} µs per event)");
    }
}
