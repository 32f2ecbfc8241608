// The child process of the crash test. It opens a CascadeEngine on a data folder and appends events with client
// event ids from several concurrent appenders, in batches of varying size, until it is killed (or a time limit
// passes). Each event id goes to stdout only after the append that carried it completed, one line per event:
//
//   ack <event id> <sequence> <1 if acknowledged as a duplicate, else 0> .
//
// The trailing " ." lets the reader tell a complete line from one cut short by the kill.
// Usage: Cascade.CrashChild <data dir> <run tag> <seed> <resend file or -> [appenders] [segment bytes] [max seconds]
using System.Globalization;
using System.Text;
using Cascade.Core.Domain;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: Cascade.CrashChild <data dir> <run tag> <seed> <resend file or -> [appenders] [segment bytes] [max seconds]");
    return 2;
}
string dataDir = args[0];
string runTag = args[1];
int seed = int.Parse(args[2], CultureInfo.InvariantCulture);
string[] resend = args[3] == "-" ? [] : File.ReadAllLines(args[3]);
int appenders = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3;
long segmentBytes = args.Length > 5 ? long.Parse(args[5], CultureInfo.InvariantCulture) : 256 << 10;
int maxSeconds = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : 30;

var stdout = Console.OpenStandardOutput();
var outputGate = new Lock();
void Emit(string text)
{
    byte[] bytes = Encoding.UTF8.GetBytes(text);
    lock (outputGate)
    {
        stdout.Write(bytes);
        stdout.Flush();
    }
}

using var engine = CascadeEngine.Open(new EngineOptions
{
    DataDirectory = dataDir,
    Log = new EventLogOptions { Durability = DurabilityMode.EveryBatch, SegmentBytes = segmentBytes },
});
Emit($"ready {engine.Log.LastSequence}\n");

string[] types = ["click", "click", "like", "purchase", "rating", "impression", "dislike"];
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
var tasks = new Task[appenders];
for (int a = 0; a < appenders; a++)
{
    int appender = a;
    // Each appender re-sends its share of the earlier ids, mixed into its first batches.
    var pendingResend = new Queue<string>(resend.Where((_, i) => i % appenders == appender));
    tasks[a] = Task.Run(async () =>
    {
        var random = new Random(HashCode.Combine(seed, appender));
        long n = 0;
        while (!stop.IsCancellationRequested)
        {
            int size = random.Next(4) switch
            {
                0 => 1,
                1 => random.Next(2, 20),
                2 => random.Next(20, 200),
                _ => random.Next(200, 1000),
            };
            var batch = new List<FeedbackEvent>(size + 8);
            for (int i = 0; i < size; i++)
            {
                if (pendingResend.Count > 0 && random.Next(3) == 0)
                {
                    batch.Add(MakeEvent(random, pendingResend.Dequeue()));
                }
                batch.Add(MakeEvent(random, $"{runTag}-a{appender}-{n++}"));
            }
            var results = await engine.AppendEventsAsync(batch);
            var lines = new StringBuilder(batch.Count * 32);
            for (int i = 0; i < batch.Count; i++)
            {
                lines.Append("ack ").Append(batch[i].EventId).Append(' ')
                    .Append(results[i].Sequence.ToString(CultureInfo.InvariantCulture)).Append(' ')
                    .Append(results[i].Duplicate ? '1' : '0').Append(" .\n");
            }
            Emit(lines.ToString());
        }
    });
}
await Task.WhenAll(tasks);
return 0;

FeedbackEvent MakeEvent(Random random, string eventId)
{
    string type = types[random.Next(types.Length)];
    double? value = type == "rating" ? random.Next(1, 6) : null;
    string user = "u" + random.Next(40).ToString(CultureInfo.InvariantCulture);
    string item = "i" + ((int)(500 * Math.Pow(random.NextDouble(), 3))).ToString(CultureInfo.InvariantCulture);
    return new FeedbackEvent(Apps.Default, eventId, user, item, type, value, 1_700_000_000_000 + random.Next(1_000_000), null, null);
}
