using Cascade.Client;
using Cascade.Client.Sample;
using Microsoft.Extensions.DependencyInjection;

// Usage: dotnet run --project samples/Cascade.Client.Sample -- [SERVER_URL] [API_KEY]
// (default http://127.0.0.1:5080, the address of `cascade serve` and `cascade demo`; the key also from CASCADE_API_KEY).
string url = args.Length > 0 ? args[0] : "http://127.0.0.1:5080";
string? apiKey = args.Length > 1 ? args[1] : Environment.GetEnvironmentVariable("CASCADE_API_KEY");
if (!Uri.TryCreate(url, UriKind.Absolute, out var baseAddress))
{
    await Console.Error.WriteLineAsync($"error: '{url}' is not an absolute URL; pass the server's address, e.g. http://127.0.0.1:5080");
    return 1;
}

var services = new ServiceCollection();
services.AddCascadeClient(options =>
{
    options.BaseAddress = baseAddress;
    options.ApiKey = apiKey;
});
await using var provider = services.BuildServiceProvider();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
try
{
    return await SampleRun.RunAsync(provider.GetRequiredService<CascadeClient>(), Console.Out, cancel.Token);
}
catch (CascadeApiException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 1;
}
catch (HttpRequestException e)
{
    await Console.Error.WriteLineAsync($"error: no answer from {baseAddress}: {e.Message}. Is `cascade serve` running there?");
    return 1;
}
