using Cascade.Serving.Ingestion;
using Microsoft.AspNetCore.Http;

namespace Cascade.Server.Infrastructure;

/// <summary>RFC 7807 problem responses that name the field and the reason.</summary>
internal static class Problems
{
    public static IResult Invalid(IReadOnlyList<FieldError> errors, int status = StatusCodes.Status422UnprocessableEntity) =>
        Results.Problem(
            title: "The request is invalid.",
            detail: string.Join("; ", errors.Take(20).Select(e => $"{e.Field}: {e.Reason}")),
            statusCode: status,
            type: "https://cascade.dev/problems/invalid-input",
            extensions: new Dictionary<string, object?> { ["errors"] = errors });

    public static IResult Invalid(string field, string reason, int status = StatusCodes.Status422UnprocessableEntity) => Invalid([new FieldError(field, reason)], status);

    public static IResult NotFound(string what, string id, string field = "id") =>
        Results.Problem(title: $"{what} not found.", detail: $"No {what.ToLowerInvariant()} has id '{id}'.", statusCode: StatusCodes.Status404NotFound,
            type: "https://cascade.dev/problems/not-found",
            extensions: new Dictionary<string, object?> { ["errors"] = new[] { new FieldError(field, $"no {what.ToLowerInvariant()} has id '{id}'") } });

    public static IResult TooLarge(string detail, string field = "$") =>
        Results.Problem(title: "The request is too large.", detail: detail, statusCode: StatusCodes.Status413PayloadTooLarge,
            type: "https://cascade.dev/problems/too-large",
            extensions: new Dictionary<string, object?> { ["errors"] = new[] { new FieldError(field, detail) } });
}
