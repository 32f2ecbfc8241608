using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Cascade.Server.Infrastructure;

/// <summary>
/// The preamble every endpoint shares, as endpoint filters: the API key and its scope (on route groups), and the
/// JSON body (on the endpoints that take one). A handler runs only for an authorised request with a well-formed
/// body, and reads them with <see cref="App"/> and <see cref="Body{T}"/>. Group filters run before endpoint
/// filters, so a request without a valid key is refused before its body is read.
/// </summary>
internal static class EndpointFilters
{
    private const string AppItem = "cascade.app";
    private const string BodyItem = "cascade.body";

    /// <summary>Requires an API key with <paramref name="scope"/> (401/403 problems otherwise); the key's app is <see cref="App"/>.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, Scope scope) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(Limits.PolicyOf(scope)).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var (app, denied) = http.RequestServices.GetRequiredService<ApiKeyAuth>().Authorize(http, scope);
            if (denied is not null)
            {
                return denied;
            }
            http.Items[AppItem] = app;
            return await next(context);
        });

    /// <summary>
    /// Reads the JSON body before the handler — one object (<paramref name="batch"/> false), an array (true) or
    /// either (null) — and answers a missing, malformed, too large or wrong-shaped one with its problem.
    /// </summary>
    public static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder builder, bool? batch) where T : class =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var limits = http.RequestServices.GetRequiredService<JsonLimits>();
            var body = await JsonBody.ReadAsync<T>(http.Request, allowSingle: batch != true, allowBatch: batch != false, limits);
            if (body.Error is not null)
            {
                return body.Error;
            }
            http.Items[BodyItem] = body;
            return await next(context);
        });

    /// <summary>The app of the request's API key (set by <see cref="RequireScope"/>).</summary>
    public static string App(this HttpContext http) =>
        http.Items[AppItem] as string ?? throw new InvalidOperationException("The endpoint is not behind RequireScope.");

    /// <summary>The request's parsed JSON body (set by <see cref="WithJsonBody{T}"/>).</summary>
    public static JsonBody.Parsed<T> Body<T>(this HttpContext http) where T : class =>
        http.Items[BodyItem] as JsonBody.Parsed<T> ?? throw new InvalidOperationException($"The endpoint does not read a {typeof(T).Name} body.");
}
