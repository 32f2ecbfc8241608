using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Cascade.Server.Tests;

namespace Cascade.Dashboard.Tests;

/// <summary>A browser without a browser: cookies kept, redirects not followed, forms posted with their antiforgery token.</summary>
public sealed partial class DashboardClient : IDisposable
{
    private readonly HttpClientHandler _handler = new() { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };

    public DashboardClient(Uri baseAddress)
    {
        Http = new HttpClient(_handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Http { get; }

    public CookieCollection Cookies => _handler.CookieContainer.GetAllCookies();

    /// <summary>Reads the form named <paramref name="formName"/> on <paramref name="page"/> and posts it with <paramref name="fields"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string formName, IReadOnlyDictionary<string, string> fields, string? action = null)
    {
        string html = await (await Http.GetAsync(page)).Content.ReadAsStringAsync();
        var token = TokenPattern().Match(html);
        Assert.True(token.Success, $"no antiforgery token on {page}");
        var form = new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value), ["_handler"] = formName };
        return await Http.PostAsync(action ?? page, new FormUrlEncodedContent(form));
    }

    public Task<HttpResponseMessage> LoginAsync(string key) =>
        PostFormAsync("/dashboard/login", "login", new Dictionary<string, string> { ["apiKey"] = key });

    public async Task<string> PageAsync(string path)
    {
        var response = await Http.GetAsync(path);
        string html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {html[..Math.Min(html.Length, 2000)]}");
        return html;
    }

    public void Dispose()
    {
        Http.Dispose();
        _handler.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}

/// <summary>A server with keys and a little generated data (items, users' clicks, a trained bundle).</summary>
public static class DashboardServer
{
    public const string AdminKey = "dashboard-admin-0123456789";
    public const string ReadKey = "dashboard-read-0123456789";

    public static Dictionary<string, string?> Settings(bool keys)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cascade:TrainOnStart"] = "false",
            ["Cascade:Pipeline:Selection:BudgetSeconds"] = "2", // selection runs, briefly
        };
        if (keys)
        {
            settings["Cascade:ApiKeys:0:Key"] = AdminKey;
            settings["Cascade:ApiKeys:0:Scopes:0"] = "admin";
            settings["Cascade:ApiKeys:1:Key"] = ReadKey;
            settings["Cascade:ApiKeys:1:Scopes:0"] = "read";
        }
        return settings;
    }

    public static async Task<RunningServer> StartAsync(bool keys = true, bool seed = true)
    {
        var server = await RunningServer.StartAsync(Settings(keys));
        if (keys)
        {
            server.Client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        }
        if (seed)
        {
            await SeedAsync(server);
        }
        return server;
    }

    public static async Task SeedAsync(RunningServer server)
    {
        var items = new StringBuilder("[");
        for (int i = 0; i < 40; i++)
        {
            items.Append(i > 0 ? "," : "").Append($$"""{"id":"i{{i}}","title":"Item {{i}}","categories":["c{{i % 3}}"]}""");
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/items", items.Append(']').ToString())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.PutJson("/v1/users/u1", """{"attributes":{"country":"fr"}}""")).StatusCode);
        var events = new StringBuilder("[");
        var random = new Random(7);
        for (int u = 0; u < 50; u++)
        {
            for (int k = 0; k < 6; k++)
            {
                string type = k == 5 ? "purchase" : "click";
                events.Append(events.Length > 1 ? "," : "").Append($$"""{"userId":"u{{u}}","itemId":"i{{Math.Min(random.Next(40), random.Next(40))}}","type":"{{type}}"}""");
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await server.PostJson("/v1/events", events.Append(']').ToString())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.PostAsync("/v1/admin/train", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v1/recommend/u1?n=5")).StatusCode);
        await server.SettledAsync();
    }
}
