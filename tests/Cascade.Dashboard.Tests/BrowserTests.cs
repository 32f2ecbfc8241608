using System.Net.Http.Json;
using Cascade.Server.Tests;
using Microsoft.Playwright;

namespace Cascade.Dashboard.Tests;

/// <summary>
/// A fact that needs Debian's headless Chromium (<c>/usr/bin/chromium</c>, driven by Playwright's bundled driver; its
/// own browser download is not used). .ci/run installs it and sets CASCADE_REQUIRE_SERVERS=1, so there a missing
/// browser fails the test; elsewhere it is skipped with the reason printed.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Executable = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Executable) && Environment.GetEnvironmentVariable("CASCADE_REQUIRE_SERVERS") != "1")
        {
            Skip = $"chromium is not installed at {Executable} (apt-get install -y chromium; .ci/run does it).";
        }
    }
}

/// <summary>One seeded server and one headless Chromium shared by the browser tests.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public RunningServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>artifacts/dashboard-screenshots of the repository (git-ignored).</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot(), "artifacts", "dashboard-screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumFactAttribute.Executable))
        {
            return; // the tests are skipped (or fail, when CASCADE_REQUIRE_SERVERS=1, on their own assertion)
        }
        Server = await DashboardServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        // Root in a container has no user namespace for Chromium's sandbox.
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumFactAttribute.Executable, Headless = true, Args = ["--no-sandbox"] });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cascade.slnx")))
            {
                return dir.FullName;
            }
        }
        return Path.GetTempPath();
    }
}

/// <summary>The dashboard in a real browser: login, every page, an experiment and a user's debug view, accessibility basics.</summary>
public sealed class BrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private static readonly (string Path, string Heading, string Screenshot)[] Pages =
    [
        ("/dashboard", "Overview", "overview"), ("/dashboard/data?user=u1", "Data", "data"), ("/dashboard/models", "Models", "models"),
        ("/dashboard/experiments", "Experiments", "experiments"), ("/dashboard/monitoring", "Monitoring", "monitoring"),
        ("/dashboard/debug?user=u1", "Debug", "debug"), ("/dashboard/settings", "Settings", "settings"),
    ];

    private async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> SignedInAsync(bool javaScript = true)
    {
        Assert.True(File.Exists(ChromiumFactAttribute.Executable), $"chromium is required at {ChromiumFactAttribute.Executable} (CASCADE_REQUIRE_SERVERS=1)");
        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.Server.Client.BaseAddress!.ToString(), JavaScriptEnabled = javaScript, ViewportSize = new() { Width = 1280, Height = 900 } });
        // A loaded CI machine (2 cores, other test servers training) can take longer than Playwright's 30 s default.
        context.SetDefaultTimeout(120_000);
        context.SetDefaultNavigationTimeout(120_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") { lock (errors) { errors.Add($"console: {message.Text}"); } } };
        page.PageError += (_, error) => { lock (errors) { errors.Add($"page error: {error}"); } };
        page.Response += (_, response) => { if (response.Status >= 500) { lock (errors) { errors.Add($"{response.Status} {response.Url}"); } } };
        await page.GotoAsync("/dashboard");
        Assert.EndsWith("/dashboard/login", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        await page.GetByLabel("Admin API key").FillAsync(DashboardServer.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/dashboard");
        Assert.DoesNotContain(DashboardServer.AdminKey, page.Url, StringComparison.Ordinal);
        return (context, page, errors);
    }

    private async Task<bool> ArmReadyAsync(string arm)
    {
        var list = await fixture.Server.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/experiments");
        return list.GetProperty("arms").EnumerateArray().Any(a => a.GetProperty("arm").GetString() == arm && a.GetProperty("ready").GetBoolean());
    }

    [ChromiumFact]
    public async Task Every_page_renders_its_content_with_one_h1_labelled_controls_and_no_server_or_console_errors()
    {
        var (context, page, errors) = await SignedInAsync();
        await using var _ = context;
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "cascade_dashboard");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        foreach (var (path, heading, screenshot) in Pages)
        {
            var response = await page.GotoAsync(path);
            Assert.Equal(200, response!.Status);
            Assert.Equal(1, await page.Locator("h1").CountAsync());
            Assert.Equal(heading, await page.Locator("h1").InnerTextAsync());
            // Every form control has a label (a <label for>, a wrapping label or an aria-label); every image has alt text.
            var unlabelled = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                  .filter(c => c.labels.length === 0 && !c.getAttribute('aria-label')).map(c => c.outerHTML)
                """);
            Assert.True(unlabelled.Length == 0, $"{path}: controls without a label: {string.Join(", ", unlabelled)}");
            var noAlt = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('img:not([alt]), svg[role=img]:not([aria-label])')].map(e => e.outerHTML.slice(0, 80))
                """);
            Assert.True(noAlt.Length == 0, $"{path}: images without alt text: {string.Join(", ", noAlt)}");
            await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, screenshot + ".png"), FullPage = true });
        }
        await page.GotoAsync("/dashboard");
        Assert.Contains("purchase", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await page.Locator("svg[role=img]").CountAsync() >= 2);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [ChromiumFact]
    public async Task An_experiment_is_defined_started_and_reported_and_a_users_debug_view_explains_each_item_with_javascript_off()
    {
        var (context, page, errors) = await SignedInAsync(javaScript: false);
        await using var _ = context;
        await page.GotoAsync("/dashboard/experiments");
        await page.GetByRole(AriaRole.Button, new() { Name = "Define" }).ClickAsync(); // the example definition in the form
        Assert.Contains("Experiment 'feed-1' is defined", await page.Locator("#form-message").InnerTextAsync(), StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start feed-1" }).ClickAsync();
        Assert.Contains("is running", await page.Locator("#form-message").InnerTextAsync(), StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Link, new() { Name = "feed-1", Exact = true }).ClickAsync();
        Assert.Equal("Experiment feed-1", await page.Locator("h1").InnerTextAsync());
        Assert.Equal("running", await page.Locator("#experiment-status").InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "experiment-report.png"), FullPage = true });

        await page.GotoAsync("/dashboard/debug");
        await page.GetByLabel("User id").FillAsync("u1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).ClickAsync();
        Assert.Contains("user=u1", page.Url, StringComparison.Ordinal);
        var rows = page.Locator("table.trail tbody tr");
        Assert.True(await rows.CountAsync() > 0);
        Assert.True(await page.Locator("table.trail tbody li").CountAsync() >= await rows.CountAsync(), "every item has a trail");

        // Side by side: the serving pipeline and the experiment's arm with a pipeline of its own, once its bundle is trained.
        for (int i = 0; i < 60 && !await ArmReadyAsync("feed-1/trending"); i++)
        {
            await Task.Delay(500);
        }
        await page.GotoAsync("/dashboard/debug?user=u1&n=8&left=serving&right=feed-1%2Ftrending");
        Assert.Equal(2, await page.Locator("section h2").CountAsync());
        Assert.Equal("Arm feed-1/trending", await page.Locator("section h2").Nth(1).InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, "debug-arms.png"), FullPage = true });
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        // A bad value is refused on the page with a 4xx, naming the field (the browser logs the 4xx itself).
        var refused = await page.GotoAsync("/dashboard/debug?user=u1&n=0");
        Assert.Equal(422, refused!.Status);
        Assert.StartsWith("n:", await page.Locator("#form-message").InnerTextAsync(), StringComparison.Ordinal);
    }
}
