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

    /// <summary>
    /// The data folder the flags impose on the server's configuration, or null to leave it to the configuration:
    /// an explicit --data-dir wins; otherwise Cascade__DataDirectory (or appsettings, or --config) decides, and only
    /// when the environment has no Cascade__DataDirectory does CASCADE_DATA_DIR (the CLI's default folder) apply.
    /// </summary>
    internal static string? DataDirectoryOverride(bool explicitFlag, string? flagValue, Func<string, string?> environment)
    {
        if (explicitFlag)
        {
            return flagValue;
        }
        if (environment("Cascade__DataDirectory") is { Length: > 0 })
        {
            return null;
        }
        return environment("CASCADE_DATA_DIR") is { Length: > 0 } d ? d : null;
    }

    public static Command Create()
    {
        var urls = Urls();
        var config = Config();
        var command = new Command("serve", "Run the HTTP API (configuration: appsettings.json, Cascade__* environment variables, --config FILE, these flags).") { urls, config };
        command.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (DataDirectoryOverride(parse.GetResult(CommonOptions.DataDir) is { Implicit: false }, parse.GetValue(CommonOptions.DataDir), Environment.GetEnvironmentVariable) is { } dataDir)
            {
                overrides["Cascade:DataDirectory"] = dataDir;
            }
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
