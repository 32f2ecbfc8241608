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

    public static Option<string> Config() => new("--config")
    {
        Description = "An extra JSON configuration file in appsettings shape ({\"Cascade\": {\"Pipeline\": …}}), applied over appsettings.json and the environment.",
    };

    public static Command Create()
    {
        var urls = Urls();
        var config = Config();
        var command = new Command("serve", "Run the HTTP API (configuration: appsettings.json, Cascade__* environment variables, --config FILE, these flags).") { urls, config };
        command.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?> { ["Cascade:DataDirectory"] = parse.GetValue(CommonOptions.DataDir) };
            if (parse.GetValue(urls) is { } u)
            {
                overrides["urls"] = u;
            }
            if (parse.GetValue(config) is { } file)
            {
                overrides["Cascade:ConfigFile"] = file;
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
