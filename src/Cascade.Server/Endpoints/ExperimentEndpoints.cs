using Cascade.Experiments;
using Cascade.Server.Experiments;
using Cascade.Server.Infrastructure;
using Cascade.Serving.Ingestion;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Cascade.Server.Endpoints;

/// <summary>Online experiments: define, start, stop, list, report (admin scope).</summary>
internal static class ExperimentEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/v1/experiments").WithTags("Experiments").RequireScope(Scope.Admin);
        admin.MapPost("/", Create).WithJsonBody<ExperimentDefinition>(batch: false)
            .WithSummary("Define an experiment (a draft, version 1): arms (control first; each the serving pipeline or a pipeline configuration of its own), shares, layer, traffic, primary and secondary metrics, guardrails, outcome event types, attribution window. Stored in the event log; an existing id is refused (409).")
            .Accepts<ExperimentDefinition>("application/json").Produces<ExperimentView>(StatusCodes.Status201Created).ProducesProblem(400).ProducesProblem(409).ProducesProblem(422);
        admin.MapGet("/", List).WithSummary("Every experiment of the key's app, newest version each, with the arms' bundles.").Produces<ExperimentList>();
        admin.MapGet("/{id}", Get).WithSummary("One experiment's newest version.").Produces<ExperimentView>().ProducesProblem(404);
        admin.MapPost("/{id}/start", Start)
            .WithSummary("Start a draft: it takes a range of its layer's buckets and assigns units from now on (arms with pipelines of their own once their bundles are trained). 409 when it is not a draft or its layer has no room.")
            .Produces<ExperimentView>().ProducesProblem(404).ProducesProblem(409);
        admin.MapPost("/{id}/stop", Stop).WithSummary("Stop a running experiment: nobody is assigned any more; its report stays.")
            .Produces<ExperimentView>().ProducesProblem(404).ProducesProblem(409);
        admin.MapGet("/{id}/report", Report)
            .WithSummary("The experiment's report from the log: exposures per arm, each metric with fixed-horizon, CUPED and always-valid sequential results, SRM, multiple-testing correction, guardrails and a verdict.")
            .Produces<ExperimentReportResponse>().ProducesProblem(404);
    }

    private static async Task<IResult> Create(HttpContext http, ExperimentService experiments) =>
        await Refusable(async () =>
        {
            var (definition, version) = await experiments.CreateAsync(http.App(), http.Body<ExperimentDefinition>().Elements[0]!, http.RequestAborted);
            return Results.Created($"/v1/experiments/{definition.Id}", new ExperimentView(definition, version));
        });

    private static IResult List(HttpContext http, ExperimentService experiments)
    {
        string app = http.App();
        return Results.Ok(new ExperimentList([.. experiments.List(app).Select(x => new ExperimentView(x.Definition, x.Version))], experiments.ArmStatus(app)));
    }

    private static IResult Get(string id, HttpContext http, ExperimentService experiments) =>
        InputValidator.WhyNotId(id) is { } bad ? Problems.Invalid("id", bad)
        : experiments.Find(http.App(), id) is { } found ? Results.Ok(new ExperimentView(found.Definition, found.Version))
        : Problems.NotFound("Experiment", id);

    private static Task<IResult> Start(string id, HttpContext http, ExperimentService experiments) =>
        Refusable(async () =>
        {
            var (definition, version) = await experiments.StartAsync(http.App(), id, http.RequestAborted);
            return Results.Ok(new ExperimentView(definition, version));
        });

    private static Task<IResult> Stop(string id, HttpContext http, ExperimentService experiments) =>
        Refusable(async () =>
        {
            var (definition, version) = await experiments.StopAsync(http.App(), id, http.RequestAborted);
            return Results.Ok(new ExperimentView(definition, version));
        });

    // A report holds figures that can be undefined (a relative lift over a control of 0): they are written as null.
    private static readonly System.Text.Json.JsonSerializerOptions ReportJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase), new NonFiniteAsNull() },
    };

    private static Task<IResult> Report(string id, HttpContext http, ExperimentService experiments) =>
        Refusable(() => Task.Run(() => Results.Json(experiments.Report(http.App(), id, http.RequestAborted), ReportJson), http.RequestAborted));

    private static async Task<IResult> Refusable(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (ExperimentRefusedException e) when (e.Status == StatusCodes.Status404NotFound)
        {
            return Problems.Invalid(e.Field, e.Message, StatusCodes.Status404NotFound);
        }
        catch (ExperimentRefusedException e) when (e.Status == StatusCodes.Status409Conflict)
        {
            return Results.Problem(title: "The experiment cannot change that way.", detail: e.Message, statusCode: StatusCodes.Status409Conflict,
                type: "https://cascade.dev/problems/experiment-conflict",
                extensions: new Dictionary<string, object?> { ["errors"] = new[] { new FieldError(e.Field, e.Message) } });
        }
        catch (ExperimentRefusedException e)
        {
            return Problems.Invalid(e.Field, e.Message, e.Status);
        }
    }
}

/// <summary>An experiment as the API returns it: the definition and its state, and the version it is at.</summary>
/// <param name="Experiment">The definition and state.</param>
/// <param name="Version">The newest version.</param>
internal sealed record ExperimentView(ExperimentDefinition Experiment, int Version);

/// <summary>The app's experiments.</summary>
/// <param name="Experiments">Newest version of each, by id.</param>
/// <param name="Arms">The arms with pipelines of their own in running experiments, and their bundles.</param>
internal sealed record ExperimentList(IReadOnlyList<ExperimentView> Experiments, IReadOnlyList<Cascade.Serving.ArmBundleStatus> Arms);
