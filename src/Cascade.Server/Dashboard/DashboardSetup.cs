using System.Security.Claims;
using Cascade.Server.Infrastructure;
using Cascade.Storage.Engine;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Dashboard;

/// <summary>Settings of the operator dashboard (<c>Cascade:Dashboard</c>).</summary>
public sealed class DashboardOptions
{
    /// <summary>Serve the dashboard at /dashboard. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a dashboard session lasts without a request (sliding), in minutes. Default 480.</summary>
    public int SessionMinutes { get; set; } = 480;
}

/// <summary>
/// Wires the dashboard: Razor components rendered on the server (static SSR, no JavaScript), a cookie session that
/// holds the admin key (encrypted and signed by ASP.NET Core data protection, HttpOnly, SameSite=Strict), and the
/// antiforgery check of its forms. Every page requires the session except the login page; with no API key
/// configured (the loopback-only open mode) the dashboard is open and says so on every page.
/// </summary>
internal static class DashboardSetup
{
    public const string Scheme = "CascadeDashboard";
    public const string KeyClaim = "cascade:key";
    public const string AppClaim = "cascade:app";
    public const string CookieName = "cascade_dashboard";
    public const string LoginPath = "/dashboard/login";
    private const string Policy = "CascadeDashboard";

    public static void AddCascadeDashboard(this IServiceCollection services, ServerOptions options, CascadeEngine engine)
    {
        if (!options.Dashboard.Enabled)
        {
            return;
        }
        var stats = new DashboardStats(engine.Log.LastSequence);
        engine.Attach(stats);
        services.AddSingleton(stats);
        services.AddSingleton<DashboardData>();
        services.AddRazorComponents();
        // The keys that sign the session cookie and the antiforgery tokens live in the data folder, so a restart keeps
        // sessions; they are as secret as the data itself.
        services.AddDataProtection().SetApplicationName("cascade")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDirectory, "dashboard-keys")));
        services.AddAuthentication(Scheme).AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            // Secure over HTTPS; the loopback tests and a local server speak plain HTTP (docs/dashboard.md).
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.Path = "/dashboard";
            cookie.LoginPath = LoginPath;
            cookie.LogoutPath = "/dashboard/logout";
            cookie.AccessDeniedPath = LoginPath;
            cookie.ExpireTimeSpan = TimeSpan.FromMinutes(options.Dashboard.SessionMinutes);
            cookie.SlidingExpiration = true;
            cookie.Events.OnValidatePrincipal = Revalidate;
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.RequireAssertion(context =>
            context.Resource is HttpContext http && http.RequestServices.GetRequiredService<ApiKeyAuth>().Open
            || context.User.HasClaim(c => c.Type == AppClaim)));
    }

    public static void UseCascadeDashboard(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<ServerOptions>().Dashboard.Enabled)
        {
            return;
        }
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapRazorComponents<Components.DashboardApp>().RequireAuthorization(Policy).ExcludeFromDescription();
        app.MapPost("/dashboard/logout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            // A plain endpoint, not a component form: its antiforgery token is checked here.
            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Problems.Invalid("__RequestVerificationToken", "is missing or not valid: sign out from a dashboard page", StatusCodes.Status400BadRequest);
            }
            await http.SignOutAsync(Scheme);
            return Results.Redirect(LoginPath);
        }).ExcludeFromDescription();
    }

    /// <summary>Signs the browser in with <paramref name="key"/> when it is an admin key; false otherwise.</summary>
    public static async Task<bool> SignInAsync(HttpContext http, string key)
    {
        if (http.RequestServices.GetRequiredService<ApiKeyAuth>().AdminApp(key) is not { } app)
        {
            return false;
        }
        var identity = new ClaimsIdentity([new Claim(KeyClaim, key), new Claim(AppClaim, app)], Scheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
        return true;
    }

    /// <summary>The app the dashboard shows: the session key's, or the default app in open mode.</summary>
    public static string AppOf(HttpContext http) =>
        http.User.FindFirst(AppClaim)?.Value ?? Core.Domain.Apps.Default;

    // A session lasts only while its key is still a configured admin key (keys change with a restart).
    private static async Task Revalidate(CookieValidatePrincipalContext context)
    {
        string? key = context.Principal?.FindFirst(KeyClaim)?.Value;
        if (key is null || context.HttpContext.RequestServices.GetRequiredService<ApiKeyAuth>().AdminApp(key) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
        }
    }
}
