using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;

namespace Cascade.Server.Dashboard;

/// <summary>
/// What every dashboard page shares: the request, the app it shows (the session key's), and the outcome of a form
/// post — a message, and on a refusal the 4xx status the page is answered with, the message naming the field.
/// </summary>
public abstract class DashboardPage : ComponentBase
{
    /// <summary>The request being rendered (static server rendering always has one).</summary>
    [CascadingParameter] protected HttpContext HttpContext { get; set; } = default!;

    /// <summary>The app the page shows.</summary>
    protected string App { get; private set; } = "";

    /// <summary>The outcome of the form posted, if any.</summary>
    protected string? Message { get; set; }

    /// <summary>Whether <see cref="Message"/> is a refusal.</summary>
    protected bool Failed { get; private set; }

    /// <inheritdoc />
    protected override void OnInitialized() => App = DashboardSetup.AppOf(HttpContext);

    /// <summary>Refuses the posted form: <paramref name="message"/> (starting with the field's name) shown with <paramref name="status"/>.</summary>
    protected void Fail(int status, string message)
    {
        Failed = true;
        Message = message;
        HttpContext.Response.StatusCode = status;
    }
}
