using System.Text.Json;
using System.Text.RegularExpressions;

namespace Cascade.Tool.Tests;

/// <summary>
/// The Dockerfile and compose.yaml cannot be built here (no container daemon), so these tests read them and hold
/// their essentials to the code: the user, the data volume, the port, the health check and the entry point.
/// </summary>
public sealed class ContainerFilesTests
{
    private static readonly Dockerfile Image = Dockerfile.Parse(File.ReadAllText(Path.Combine(Cli.RepoRoot(), "Dockerfile")));
    private static readonly string Compose = File.ReadAllText(Path.Combine(Cli.RepoRoot(), "compose.yaml"));

    [Fact]
    public void The_image_runs_as_a_user_other_than_root()
    {
        string user = Assert.Single(Image.Final("USER").TakeLast(1));
        string name = user.Split(':')[0];
        Assert.NotEqual("root", name);
        Assert.NotEqual("0", name);
    }

    [Fact]
    public void The_volume_is_the_data_folder_that_cascade_serve_opens()
    {
        string volume = Assert.Single(Image.Final("VOLUME"));
        Assert.Equal(volume, Image.Env("CASCADE_DATA_DIR"));
        Assert.Contains($"- cascade-data:{volume}\n", Compose.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        // The variable is the one the command reads: `serve --help` shows it as the --data-dir default.
        var (code, stdout, stderr) = Cli.Run("dotnet", [Cli.CascadeDll(), "serve", "--help"], TimeSpan.FromMinutes(2),
            environment: new Dictionary<string, string> { ["CASCADE_DATA_DIR"] = volume });
        Assert.True(code == 0, stdout + stderr);
        Assert.Matches(@"--data-dir[^\n]*\[default: " + Regex.Escape(volume) + @"\]", stdout);
    }

    [Fact]
    public void The_exposed_port_is_the_one_the_server_listens_on_the_health_check_asks_and_compose_publishes()
    {
        int exposed = int.Parse(Assert.Single(Image.Final("EXPOSE")).Split('/')[0]);
        Assert.Equal(exposed, PortOf(Image.Env("ASPNETCORE_URLS")));
        Assert.Equal(exposed, PortOf(HealthCheckUrl()));
        var published = Regex.Match(Compose, @"- ""(?:[0-9.]+:)?\d+:(\d+)""");
        Assert.True(published.Success, "compose.yaml publishes no port");
        Assert.Equal(exposed, int.Parse(published.Groups[1].Value));
    }

    [Fact]
    public void The_health_check_asks_the_readiness_endpoint_the_server_maps()
    {
        string path = new Uri(HealthCheckUrl()).AbsolutePath;
        Assert.Equal("/health/ready", path);
        // docs/openapi.json is compared with the running server's own document by the server tests.
        using var openApi = JsonDocument.Parse(File.ReadAllText(Path.Combine(Cli.RepoRoot(), "docs", "openapi.json")));
        Assert.True(openApi.RootElement.GetProperty("paths").TryGetProperty(path, out _), $"the server maps no {path}");
    }

    [Fact]
    public void The_entry_point_runs_the_published_cascade_command_and_serves_by_default()
    {
        Assert.Equal($"[\"dotnet\", \"{Path.GetFileName(Cli.CascadeDll())}\"]", Assert.Single(Image.Final("ENTRYPOINT")));
        Assert.Equal("[\"serve\"]", Assert.Single(Image.Final("CMD")));
        Assert.Contains("dotnet publish src/Cascade.Cli/Cascade.Cli.csproj", Image.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_gives_the_server_an_api_key_since_it_listens_beyond_loopback()
    {
        Assert.Matches(@"Cascade__ApiKeys__0__Key: \$\{CASCADE_API_KEY:\?", Compose);
    }

    private static string HealthCheckUrl()
    {
        string check = Assert.Single(Image.Final("HEALTHCHECK"));
        var url = Regex.Match(check, @"http://[^\s""']+");
        Assert.True(url.Success, $"HEALTHCHECK asks no URL: {check}");
        return url.Value;
    }

    private static int PortOf(string url) => int.Parse(Regex.Match(url, @":(\d+)(?:/|$)").Groups[1].Value);

    /// <summary>A Dockerfile's instructions (continuation lines joined, comments dropped), by stage.</summary>
    private sealed record Dockerfile(string Text, List<List<(string Keyword, string Arguments)>> Stages)
    {
        public static Dockerfile Parse(string text)
        {
            var stages = new List<List<(string, string)>>();
            string joined = Regex.Replace(text.ReplaceLineEndings("\n"), @"\\\n(?:\s*#[^\n]*\n)*", " ");
            foreach (string raw in joined.Split('\n'))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                string keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
                string arguments = space < 0 ? "" : Regex.Replace(line[(space + 1)..].Trim(), @"\s+", " ");
                if (keyword == "FROM")
                {
                    stages.Add([]);
                }
                Assert.True(stages.Count > 0, $"an instruction before FROM: {line}");
                stages[^1].Add((keyword, arguments));
            }
            return new Dockerfile(text, stages);
        }

        /// <summary>The arguments of every <paramref name="keyword"/> instruction in the final (runtime) stage.</summary>
        public IEnumerable<string> Final(string keyword) => Stages[^1].Where(i => i.Keyword == keyword).Select(i => i.Arguments);

        /// <summary>The value the final stage gives an environment variable (ENV NAME=VALUE).</summary>
        public string Env(string name)
        {
            var values = Final("ENV").Select(e => Regex.Match(e, $@"(?:^|\s){Regex.Escape(name)}=(\S+)")).Where(m => m.Success).ToList();
            Assert.True(values.Count > 0, $"the image sets no {name}");
            return values[^1].Groups[1].Value.Trim('"');
        }
    }
}
