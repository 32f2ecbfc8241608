using Cascade.Client.Sample;

namespace Cascade.Client.Tests;

public sealed class SampleTests
{
    [Fact]
    public async Task The_sample_ingests_recommends_and_prints_an_explanation_trail()
    {
        await using var server = await TestServer.StartAsync();
        using var output = new StringWriter();

        int code = await SampleRun.RunAsync(server.Client, output);

        string text = output.ToString();
        Assert.True(code == 0, text);
        Assert.Contains("items: 4 stored, 0 invalid", text, StringComparison.Ordinal);
        Assert.Contains("events: 6 stored, 0 duplicates, 0 invalid", text, StringComparison.Ordinal);
        Assert.Contains("trail of ", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  source:[^:]+: ", text);
        Assert.Contains("click: Stored", text, StringComparison.Ordinal);
    }
}
