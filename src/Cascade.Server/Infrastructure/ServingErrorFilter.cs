using System.Globalization;
using Cascade.Serving;
using Microsoft.AspNetCore.Http;

namespace Cascade.Server.Infrastructure;

/// <summary>
/// Turns the serving library's typed errors into problem responses for every recommend-family endpoint: an unknown
/// category is a 422 naming <c>category</c>; no bundle yet is a 503 with Retry-After (a request never trains).
/// </summary>
internal sealed class ServingErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (UnknownCategoryException e)
        {
            return Problems.Invalid("category", $"'{e.Category}' is not a category of the catalog");
        }
        catch (BundleNotReadyException e)
        {
            context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(e.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Results.Problem(title: "No model bundle is serving yet; retry shortly.", detail: e.Message, statusCode: StatusCodes.Status503ServiceUnavailable,
                type: "https://cascade.dev/problems/not-ready");
        }
    }
}
