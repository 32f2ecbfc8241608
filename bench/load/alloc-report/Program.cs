// Sums the allocation ticks of a dotnet-trace profile (about one per 100 KB allocated) by type and by the Cascade
// methods on their stacks, to find what a request allocates:
//
//   dotnet tool install dotnet-trace --tool-path /tmp/tools
//   /tmp/tools/dotnet-trace collect -p PID --profile gc-verbose --duration 00:00:00:15 -o alloc.nettrace   # under load
//   dotnet run --project bench/load/alloc-report -c Release -- alloc.nettrace [TOP]
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: alloc-report TRACE.nettrace [TOP]");
    return 2;
}
int top = args.Length == 2 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30;
using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
var byType = new Dictionary<string, double>(StringComparer.Ordinal);
var byMethod = new Dictionary<string, double>(StringComparer.Ordinal);
double total = 0;
int collections = 0;
foreach (var e in log.Events)
{
    if (e is GCStartTraceData)
    {
        collections++;
    }
    if (e is not GCAllocationTickTraceData tick)
    {
        continue;
    }
    double bytes = tick.AllocationAmount64;
    total += bytes;
    byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + bytes;
    var seen = new HashSet<string>(StringComparer.Ordinal);
    for (var frame = e.CallStack(); frame is not null; frame = frame.Caller)
    {
        string method = frame.CodeAddress.FullMethodName ?? "";
        if (method.Contains("Cascade", StringComparison.Ordinal) && seen.Add(method))
        {
            byMethod[method] = byMethod.GetValueOrDefault(method) + bytes; // inclusive: once per tick
        }
    }
}
Console.WriteLine($"sampled {total / 1e6:F0} MB, {collections} collections");
Console.WriteLine("by type:");
foreach (var (name, bytes) in byType.OrderByDescending(p => p.Value).Take(top))
{
    Console.WriteLine($"{bytes / total * 100,6:F1}%  {name}");
}
Console.WriteLine("by Cascade method (inclusive):");
foreach (var (name, bytes) in byMethod.OrderByDescending(p => p.Value).Take(top))
{
    Console.WriteLine($"{bytes / total * 100,6:F1}%  {bytes / 1e6,8:F0} MB  {name}");
}
return 0;
