using System.Net;

namespace Cascade.Dashboard.Tests;

/// <summary>The dashboard over plain HTTP: the login, the session cookie, every page and its forms (no browser needed).</summary>
public sealed class DashboardPageTests
{
    public static readonly string[] Pages =
    [
        "/dashboard", "/dashboard/data", "/dashboard/models", "/dashboard/experiments", "/dashboard/monitoring", "/dashboard/debug?user=u1", "/dashboard/settings",
    ];

    [Fact]
    public async Task Every_page_redirects_to_the_login_without_a_session()
    {
        await using var server = await DashboardServer.StartAsync(seed: false);
        using var browser = new DashboardClient(server.Client.BaseAddress!);
        foreach (string page in Pages)
        {
            var response = await browser.Http.GetAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/dashboard/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/dashboard/login")).StatusCode);

        // Signing in from the redirect goes back to the page asked for, never off the dashboard.
        var back = await browser.PostFormAsync("/dashboard/login?ReturnUrl=%2Fdashboard%2Fsettings", "login", new Dictionary<string, string> { ["apiKey"] = DashboardServer.AdminKey });
        Assert.Equal("/dashboard/settings", back.Headers.Location!.AbsolutePath);
        using var other = new DashboardClient(server.Client.BaseAddress!);
        var offsite = await other.PostFormAsync("/dashboard/login?ReturnUrl=https%3A%2F%2Fexample.org%2F", "login", new Dictionary<string, string> { ["apiKey"] = DashboardServer.AdminKey });
        Assert.Equal("/dashboard", offsite.Headers.Location!.AbsolutePath);
        Assert.Equal(server.Client.BaseAddress!.Host, offsite.Headers.Location.Host);
    }

    [Fact]
    public async Task A_wrong_key_gets_a_401_page_naming_the_field_and_no_session()
    {
        await using var server = await DashboardServer.StartAsync(seed: false);
        using var browser = new DashboardClient(server.Client.BaseAddress!);
        var wrong = await browser.LoginAsync("not-a-key-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("apiKey: not a configured API key with the admin scope", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var read = await browser.LoginAsync(DashboardServer.ReadKey);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        var empty = await browser.LoginAsync("");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("apiKey: is required", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/dashboard")).StatusCode);
    }

    [Fact]
    public async Task A_login_post_without_the_antiforgery_token_is_refused()
    {
        await using var server = await DashboardServer.StartAsync(seed: false);
        using var browser = new DashboardClient(server.Client.BaseAddress!);
        var response = await browser.Http.PostAsync("/dashboard/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["apiKey"] = DashboardServer.AdminKey,
            ["_handler"] = "login",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/dashboard")).StatusCode);
    }

    [Fact]
    public async Task An_admin_key_signs_in_with_an_HttpOnly_SameSite_Strict_cookie_that_holds_no_readable_key()
    {
        await using var server = await DashboardServer.StartAsync(seed: false);
        using var browser = new DashboardClient(server.Client.BaseAddress!);
        var response = await browser.LoginAsync(DashboardServer.AdminKey);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/dashboard", response.Headers.Location!.AbsolutePath);
        Assert.DoesNotContain(DashboardServer.AdminKey, response.Headers.Location.OriginalString, StringComparison.Ordinal);
        string setCookie = string.Join("\n", response.Headers.GetValues("Set-Cookie"));
        Assert.Contains("cascade_dashboard=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires=", setCookie.Split('\n').First(c => c.StartsWith("cascade_dashboard=", StringComparison.Ordinal)), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(DashboardServer.AdminKey, setCookie, StringComparison.Ordinal);
        Assert.Contains("<h1>Overview</h1>", await browser.PageAsync("/dashboard"), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.BadRequest, (await browser.Http.PostAsync("/dashboard/logout", new FormUrlEncodedContent(new Dictionary<string, string>()))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.Http.GetAsync("/dashboard")).StatusCode);
        var signOut = await browser.PostFormAsync("/dashboard", "logout", new Dictionary<string, string>(), "/dashboard/logout");
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/dashboard")).StatusCode);
    }

    [Fact]
    public async Task Every_page_answers_200_with_its_content_after_login()
    {
        await using var server = await DashboardServer.StartAsync();
        using var browser = new DashboardClient(server.Client.BaseAddress!);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.LoginAsync(DashboardServer.AdminKey)).StatusCode);
        var expected = new Dictionary<string, string[]>
        {
            ["/dashboard"] = ["<h1>Overview</h1>", "Events by type, per day", "purchase", "Requests and latency per stage", "Serving bundle", "id=\"bundle-version\"", "Health", "<svg"],
            ["/dashboard/data"] = ["<h1>Data</h1>", "Live events"],
            ["/dashboard/models"] = ["<h1>Models</h1>", "Train now", "Bundles in service"],
            ["/dashboard/experiments"] = ["<h1>Experiments</h1>", "Define an experiment"],
            ["/dashboard/monitoring"] = ["<h1>Monitoring</h1>"],
            ["/dashboard/debug?user=u1"] = ["<h1>Debug</h1>", "Trail"],
            ["/dashboard/settings"] = ["<h1>Settings</h1>", "valid"],
        };
        // The item and user counts are taken in the background: the first visit may say "counting…".
        string overview = await browser.PageAsync("/dashboard");
        for (int i = 0; i < 40 && !overview.Contains("id=\"count-items\">40<", StringComparison.Ordinal); i++)
        {
            await Task.Delay(250);
            overview = await browser.PageAsync("/dashboard");
        }
        Assert.Contains("id=\"count-users\">1<", overview, StringComparison.Ordinal);
        foreach (var (page, fragments) in expected)
        {
            string html = await browser.PageAsync(page);
            foreach (string fragment in fragments)
            {
                Assert.True(html.Contains(fragment, StringComparison.Ordinal), $"{page} lacks '{fragment}'");
            }
            Assert.Equal(1, html.Split("<h1").Length - 1);
        }
    }

    [Fact]
    public async Task Without_api_keys_the_dashboard_is_open_and_says_so()
    {
        await using var server = await DashboardServer.StartAsync(keys: false, seed: false);
        using var browser = new DashboardClient(server.Client.BaseAddress!);
        string html = await browser.PageAsync("/dashboard");
        Assert.Contains("No API key is configured", html, StringComparison.Ordinal);
    }

    private static async Task<string> Posted(HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        string html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} instead of {(int)status}: {html[..Math.Min(html.Length, 3000)]}");
        return WebUtility.HtmlDecode(html);
    }

    [Fact]
    public async Task The_forms_train_save_roll_back_define_start_stop_and_evaluate_and_refuse_bad_input_on_the_page()
    {
        await using var server = await DashboardServer.StartAsync();
        using var browser = new DashboardClient(server.Client.BaseAddress!);
        await browser.LoginAsync(DashboardServer.AdminKey);
        Dictionary<string, string> Form(string name, string value) => new() { [name] = value };

        Assert.Contains("A training started", await Posted(await browser.PostFormAsync("/dashboard/models", "train", Form("x", "")), HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("Saved the serving bundle as 'first'", await Posted(await browser.PostFormAsync("/dashboard/models", "save", Form("saveName", "first")), HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("saveName: must be", await Posted(await browser.PostFormAsync("/dashboard/models", "save", Form("saveName", "../up")), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.Contains("Bundle 'first' is in service", await Posted(await browser.PostFormAsync("/dashboard/models", "rollback", Form("bundle", "first")), HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("bundle: 'missing' is not a bundle folder", await Posted(await browser.PostFormAsync("/dashboard/models", "rollback", Form("bundle", "missing")), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);

        Assert.Contains("definition: not a valid experiment definition", await Posted(await browser.PostFormAsync("/dashboard/experiments", "define", Form("definition", "{")), HttpStatusCode.BadRequest), StringComparison.Ordinal);
        const string Definition = """{"id":"exp-1","arms":[{"name":"control","share":0.5},{"name":"b","share":0.5}],"preExperimentDays":0}""";
        Assert.Contains("Experiment 'exp-1' is defined", await Posted(await browser.PostFormAsync("/dashboard/experiments", "define", Form("definition", Definition)), HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("id:", await Posted(await browser.PostFormAsync("/dashboard/experiments", "define", Form("definition", Definition)), HttpStatusCode.Conflict), StringComparison.Ordinal);
        Assert.Contains("is running", await Posted(await browser.PostFormAsync("/dashboard/experiments", "lifecycle", Form("action", "start:exp-1")), HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("id=\"experiment-status\">running", await browser.PageAsync("/dashboard/experiments/exp-1"), StringComparison.Ordinal);
        // The report is computed in the background; the page shows it once it is there.
        string report = "";
        for (int i = 0; i < 60 && !report.Contains("events read", StringComparison.Ordinal); i++)
        {
            await Task.Delay(250);
            report = await browser.PageAsync("/dashboard/experiments/exp-1");
        }
        Assert.Contains("Report computed", report, StringComparison.Ordinal);
        Assert.Contains("A new report is being computed", await Posted(await browser.PostFormAsync("/dashboard/experiments/exp-1", "report", Form("x", "")), HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("is stopped", await Posted(await browser.PostFormAsync("/dashboard/experiments", "lifecycle", Form("action", "stop:exp-1")), HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("action: must be", await Posted(await browser.PostFormAsync("/dashboard/experiments", "lifecycle", Form("action", "delete:exp-1")), HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.Http.GetAsync("/dashboard/experiments/nope")).StatusCode);

        Assert.Contains("Evaluated", await Posted(await browser.PostFormAsync("/dashboard/monitoring", "evaluate", Form("x", "")), HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("drift-status", await browser.PageAsync("/dashboard/monitoring"), StringComparison.Ordinal);

        Assert.Contains("user: ", await Posted(await browser.Http.GetAsync("/dashboard/data?user=" + new string('u', 300)), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.Contains("id=\"found-user\"", await browser.PageAsync("/dashboard/data?user=u1"), StringComparison.Ordinal);
        Assert.Contains("Item 39", await browser.PageAsync("/dashboard/data?item=i39"), StringComparison.Ordinal);
        Assert.Contains("right: 'nope' is neither", await Posted(await browser.Http.GetAsync("/dashboard/debug?user=u1&right=nope"), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        string anonymous = await browser.PageAsync("/dashboard/debug?items=i1,i2");
        Assert.Contains("Recommendations with their trail", anonymous, StringComparison.Ordinal);
    }
}
