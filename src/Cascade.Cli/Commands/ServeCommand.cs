using System.CommandLine;
using Cascade.Server;
using Microsoft.Extensions.Hosting;

namespace Cascade.Cli.Commands;

/// <summary>`cascade serve`: runs the HTTP API.</summary>
internal static class ServeCommand
{
    public static Option<string> Urls() => new("--urls")
    {
        Description = $"Addresses to listen on, separated by ';'. Without an API key only loopback is allowed. Default {ServerOptions.DefaultUrl}.",
    };

    public static Command Create()
    {
        var urls = Urls();
        var command = new Command("serve", "Run the HTTP API (configuration: appsettings.json, Cascade__* environment variables, these flags).") { urls };
        command.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?> { ["Cascade:DataDirectory"] = parse.GetValue(CommonOptions.DataDir) };
            if (parse.GetValue(urls) is { } u)
            {
                overrides["urls"] = u;
            }
            try
            {
                var app = CascadeServer.Build([], overrides);
                await ((IHost)app).RunAsync(ct);
                return 0;
            }
            catch (InvalidOperationException ex)
            {
                return CommonOptions.Fail(ex.Message);
            }
        });
        return command;
    }
}
