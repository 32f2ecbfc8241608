using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Cascade.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Tests;

/// <summary>
/// Requests generated from the server's own OpenAPI document (<see cref="OpenApiFuzzer"/>): every operation, valid,
/// boundary and hostile values; no 5xx, no hang, every 4xx a problem naming the field. Bounded: 100 requests per
/// operation by default. bench/fuzz.sh runs the same test with CASCADE_FUZZ_PER_OPERATION set for a long run and
/// CASCADE_FUZZ_REPORT naming a file for its figures.
/// </summary>
public sealed class FuzzTests
{
    [Fact]
    public async Task Requests_generated_from_the_openapi_document_never_get_a_5xx_and_every_4xx_names_its_field()
    {
        int perOperation = int.TryParse(Environment.GetEnvironmentVariable("CASCADE_FUZZ_PER_OPERATION"), out int n) ? n : 100;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("CASCADE_FUZZ_SEED"), out int s) ? s : 15;
        await using var server = await RunningServer.StartAsync(new()
        {
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:MaxRequestBodyBytes"] = "1048576",
            ["Logging:LogLevel:Default"] = "Error",
        });
        await server.PostJson("/v1/items", "[" + string.Join(",", Enumerable.Range(0, 8).Select(i => $$"""{"id":"i{{i}}","title":"I{{i}}","categories":["c{{i % 2}}"]}""")) + "]");
        await server.PostJson("/v1/events", "[" + string.Join(",", Enumerable.Range(0, 6).SelectMany(u => Enumerable.Range(0, u + 1).Select(i => $$"""{"userId":"u{{u}}","itemId":"i{{i}}","type":"click"}"""))) + "]");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
        server.Services.GetRequiredService<RecommendationService>().Bundles.SaveBundle("default", Path.Combine(server.DataDirectory, "bundles", "b1"));

        var document = JsonNode.Parse(await server.Client.GetStringAsync("/openapi/v1.json"))!.AsObject();
        var fuzzer = new OpenApiFuzzer(server.Client, document, seed);
        Assert.Equal(document["paths"]!.AsObject().Sum(p => p.Value!.AsObject().Count), fuzzer.OperationNames.Count);
        Assert.Contains("POST /v1/events", fuzzer.OperationNames);

        await fuzzer.RunAsync(perOperation);

        if (Environment.GetEnvironmentVariable("CASCADE_FUZZ_REPORT") is { Length: > 0 } report)
        {
            File.WriteAllText(report, string.Create(CultureInfo.InvariantCulture,
                $"requests={fuzzer.Sent} operations={fuzzer.OperationNames.Count} failures={fuzzer.FailureCount} 5xx={fuzzer.Statuses.Where(k => k.Key >= 500).Sum(k => k.Value)} statuses={string.Join(",", fuzzer.Statuses.Select(k => $"{k.Key}:{k.Value}"))}\n")
                + string.Join("\n", fuzzer.Failures) + "\n");
        }
        Assert.True(fuzzer.FailureCount == 0, $"{fuzzer.FailureCount} of {fuzzer.Sent} answers broke a rule:\n{string.Join("\n", fuzzer.Failures)}");
        Assert.Equal(perOperation * fuzzer.OperationNames.Count, fuzzer.Sent);
    }
}
