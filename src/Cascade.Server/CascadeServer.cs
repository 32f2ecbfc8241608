using System.Net;
using System.Text.Json.Serialization;
using Cascade.Core.Domain;
using Cascade.Features;
using Cascade.Pipeline;
using Cascade.Pipeline.Ranking;
using Cascade.Ranking;
using Cascade.Server.Endpoints;
using Cascade.Server.Infrastructure;
using Cascade.Serving;
using Cascade.Serving.Ingestion;
using Cascade.Storage.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cascade.Server;

/// <summary>Builds the Cascade HTTP server: configuration, the engine, the API and its safety limits.</summary>
public static class CascadeServer
{
    /// <summary>
    /// Creates the web application. Configuration comes from appsettings.json, CASCADE_-free standard sources
    /// (environment variables like <c>Cascade__DataDirectory</c>, <c>ASPNETCORE_URLS</c>), <paramref name="args"/>
    /// and finally <paramref name="overrides"/> (keys such as <c>Cascade:DataDirectory</c> or <c>urls</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The configuration is invalid, or it binds beyond loopback without an API key.</exception>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null, CascadeEngine? engine = null,
        Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
        if (builder.Configuration[ServerOptions.Section + ":ConfigFile"] is { Length: > 0 } configFile)
        {
            // An extra appsettings-shaped file (e.g. a pipeline for one deployment); flags given as overrides still win.
            string path = Path.GetFullPath(configFile);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"Configuration file '{path}' (Cascade:ConfigFile / --config) does not exist.");
            }
            builder.Configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
            if (overrides is not null)
            {
                builder.Configuration.AddInMemoryCollection(overrides);
            }
        }
        var options = ServerOptions.From(builder.Configuration);

        string urls = builder.Configuration["urls"] is { Length: > 0 } u ? u : ServerOptions.DefaultUrl;
        builder.WebHost.UseUrls(urls);
        if (options.ApiKeys.Count == 0)
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!IsLoopback(url))
                {
                    throw new InvalidOperationException(
                        $"Refusing to bind '{url}' without an API key: with no key the API is open, so it may only listen on loopback. " +
                        "Configure Cascade:ApiKeys (for example Cascade__ApiKeys__0__Key, __App, __Scopes__0) or bind 127.0.0.1.");
                }
            }
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            // Kestrel answers a request line over its limit with an empty 414; the application refuses targets over
            // MaxUrlLength itself (a problem document), so Kestrel's own limit only meets lines far beyond that.
            k.Limits.MaxRequestLineSize = Math.Max(k.Limits.MaxRequestLineSize, 8 * MaxUrlLength);
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(10));
            k.AddServerHeader = false;
        });
        // The console logger reads Logging:Console (FormatterName=json, systemd or simple, the default); the simple
        // formatter writes single timestamped lines.
        builder.Logging.AddConsole();
        string formatter = builder.Configuration["Logging:Console:FormatterName"] is { Length: > 0 } f ? f : Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Simple;
        builder.Services.PostConfigure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.FormatterName = formatter);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        // The pipeline waits (with budgets) on sources running on the thread pool; enough ready threads keep a burst of
        // requests from starving those sources while the pool slowly injects threads.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16 * Environment.ProcessorCount), io);
        if (engine is null)
        {
            // Opened here, so owned here: the container disposes it (stopping its applier, flushing the log) at shutdown.
            var opened = CascadeEngine.Open(options.ToEngineOptions());
            engine = opened;
            builder.Services.AddSingleton(_ => opened);
        }
        else
        {
            builder.Services.AddSingleton(engine);
        }
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(JsonLimits.Of(options));
        builder.Services.AddSingleton(new IngestService(engine));
        var recommendations = new RecommendationService(engine, options.ToRecommendationOptions());
        if (options.ServeFromBatch)
        {
            recommendations.Batch = new BatchStore(BatchStore.DefaultPath(options.DataDirectory));
        }
        // The log's changes since start-up in memory (history, hides, expiries): the request path reads no database.
        recommendations.TrackChanges();
        builder.Services.AddSingleton(recommendations);
        builder.Services.AddSingleton(new Experiments.ExperimentService(engine, recommendations, options.ExperimentHoldout, options.BundlesRoot));
        // The online feature store is a projection of the whole log, resumed from its checkpoint and caught up in the
        // background (readiness waits for it).
        var featureSet = new FeatureSet(options.Features);
        var features = OnlineFeatureStore.Open(engine.Options.CheckpointPathOf("features"), featureSet, engine.EventTypes, engine.Log.LastSequence);
        engine.Attach(features);
        recommendations.Bundles.FeatureStore = features; // a ranker with the store's definitions reads it (docs/pipeline.md)
        IRanker? ctrModel = null;
        if (options.CtrModelPath.Length > 0)
        {
            try
            {
                ctrModel = RankerCatalog.Load(options.CtrModelPath);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"Cascade:CtrModelPath '{options.CtrModelPath}' could not be loaded: {e.Message}", e);
            }
            if (!featureSet.Schema.Equals(ctrModel.Schema) || !ctrModel.OutputsProbability)
            {
                throw new InvalidOperationException($"Cascade:CtrModelPath '{options.CtrModelPath}' holds a '{ctrModel.Name}' model that was not trained on the online feature schema (cascade ctr --from-log) or does not output probabilities.");
            }
        }
        builder.Services.AddSingleton(features);
        builder.Services.AddSingleton(new AdRankingService(features, ctrModel));
        builder.Services.AddSingleton(new ApiKeyAuth(options.ApiKeys));
        builder.Services.AddHostedService<TrainingService>();
        builder.Services.AddHostedService<BoundAddressCheck>();
        builder.Services.AddCascadeLimits(options.RateLimits);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Cascade API";
            doc.Servers?.Clear(); // the document is checked into docs/, so it names no host
            doc.Info.Description = "Ingestion and recommendation API of Cascade. Errors are RFC 7807 problem documents naming the field and the reason.";
            return Task.CompletedTask;
        }));
        builder.Services.AddCascadeTelemetry(options.Telemetry, engine, recommendations);
        builder.Services.AddSingleton(provider => new Monitoring.DriftService(engine, recommendations, options.Drift,
            provider.GetRequiredService<ILogger<Monitoring.DriftService>>()));
        builder.Services.AddHostedService(provider => provider.GetRequiredService<Monitoring.DriftService>());
        Dashboard.DashboardSetup.AddCascadeDashboard(builder.Services, options, engine);
        services?.Invoke(builder.Services); // tests: e.g. an in-memory trace exporter
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });

        var app = builder.Build();
        // Every repair opening the data folder made (a torn tail truncated, a derived store rebuilt by recover) is
        // logged loudly and listed by /health/ready.
        var storage = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Cascade.Storage");
        foreach (var repair in engine.Repairs)
        {
            storage.LogWarning("Data folder repaired at open ({Kind}): {Detail} Records lost: {RecordsLost}; events lost: {EventsLost}; bytes dropped: {BytesDropped}",
                repair.Kind, repair.Detail, repair.RecordsLost, repair.EventsLost, repair.BytesDropped);
        }
        var serving = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Cascade.Serving");
        recommendations.Bundles.Compacted = c => serving.LogInformation(
            "Heap compacted after a bundle swap (#{Count}): working set {BeforeMb} MB -> {AfterMb} MB, managed heap {HeapMb} MB, pause {PauseMs} ms",
            c.Count, c.WorkingSetBefore >> 20, c.WorkingSetAfter >> 20, c.HeapAfter >> 20, (long)c.Pause.TotalMilliseconds);
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandled));
        app.UseStatusCodePages(WriteStatusProblem);
        app.Use(RefuseLongUrls);
        app.Use(RefuseDeclaredLargeBodies);
        app.UseCascadeTelemetry(options.Telemetry);
        app.Services.GetRequiredService<Monitoring.DriftService>().Export(app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        app.UseRateLimiter();
        Dashboard.DashboardSetup.UseCascadeDashboard(app);
        app.MapOpenApi();
        CatalogEndpoints.Map(app);
        EventEndpoints.Map(app);
        RecommendEndpoints.Map(app);
        RankEndpoints.Map(app);
        ExperimentEndpoints.Map(app);
        MonitoringEndpoints.Map(app);
        HealthEndpoints.Map(app);
        return app;
    }

    internal static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return false;
        }
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>Longest request target (path and query) the API reads, in characters.</summary>
    public const int MaxUrlLength = 8192;

    private static Task RefuseLongUrls(HttpContext http, RequestDelegate next)
    {
        int length = (http.Request.Path.Value?.Length ?? 0) + (http.Request.QueryString.Value?.Length ?? 0);
        if (length <= MaxUrlLength)
        {
            return next(http);
        }
        string field = http.Request.QueryString.Value?.Length > MaxUrlLength / 2 ? "query" : "path";
        string reason = $"the request target has {length} characters; the limit is {MaxUrlLength}";
        return Results.Problem(title: "The URL is too long.", detail: $"{field}: {reason}", statusCode: StatusCodes.Status414UriTooLong,
            type: "https://cascade.dev/problems/too-large",
            extensions: new Dictionary<string, object?> { ["errors"] = new[] { new FieldError(field, reason) } }).ExecuteAsync(http);
    }

    // A body whose declared length is over the limit is refused before a byte of it is read (a client that sent
    // Expect: 100-continue never sends it), and the connection closes after the answer instead of draining it.
    private static Task RefuseDeclaredLargeBodies(HttpContext http, RequestDelegate next)
    {
        long max = http.RequestServices.GetRequiredService<ServerOptions>().MaxRequestBodyBytes;
        if (http.Request.ContentLength is not { } length || length <= max)
        {
            return next(http);
        }
        http.Response.Headers.Connection = "close";
        return Problems.TooLarge($"The body has {length} bytes; the limit is {max} (Cascade:MaxRequestBodyBytes).").ExecuteAsync(http);
    }

    // A status the framework answered without a body (no route, wrong method, a content type routing refused): a
    // problem document naming what was wrong.
    private static async Task WriteStatusProblem(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        int status = http.Response.StatusCode;
        string path = http.Request.Path.Value ?? "";
        path = path.Length <= 200 ? path : path[..197] + "...";
        var (field, reason) = status switch
        {
            StatusCodes.Status404NotFound => ("path", $"no operation of the API has the path '{path}'"),
            StatusCodes.Status405MethodNotAllowed => ("method", $"{http.Request.Method} is not allowed on '{path}'"),
            StatusCodes.Status415UnsupportedMediaType => ("Content-Type", $"must be application/json, not '{http.Request.ContentType ?? "(none)"}'"),
            _ => ("$", Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)),
        };
        await Results.Problem(title: Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase + "." : "The request failed.",
            detail: $"{field}: {reason}", statusCode: status,
            extensions: new Dictionary<string, object?> { ["errors"] = new[] { new FieldError(field, reason) } }).ExecuteAsync(http);
    }

    // Client mistakes the framework detects (body too large, malformed request) keep their 4xx status and get a
    // problem body; anything else is a bug, logged with its stack and answered with a problem body too.
    private static async Task WriteUnhandled(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        int status = StatusCodes.Status500InternalServerError;
        string title = "Internal error.";
        string? detail = null;
        if (error is BadHttpRequestException bad)
        {
            status = bad.StatusCode;
            title = status == StatusCodes.Status413PayloadTooLarge ? "The request is too large." : "The request is malformed.";
            detail = bad.Message;
        }
        else if (error is OperationCanceledException)
        {
            status = 499;
            title = "The client closed the request.";
        }
        else if (error is TimeoutException timeout)
        {
            status = StatusCodes.Status503ServiceUnavailable;
            title = "The engine is busy; retry shortly.";
            detail = timeout.Message;
        }
        else
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Cascade.Server").LogError(error, "Unhandled error on {Path}", http.Request.Path);
        }
        http.Response.StatusCode = status;
        var errors = status < 500 ? new Dictionary<string, object?> { ["errors"] = new[] { new FieldError("$", detail ?? title) } } : null;
        await Results.Problem(title: title, detail: detail, statusCode: status, extensions: errors).ExecuteAsync(http);
    }
}

/// <summary>
/// Trains the pipeline of every app at start and then periodically — the default app, every app with interactions in
/// the log and every app a bundle serves — swapping each bundle in after its smoke test. An app whose training inputs
/// did not change since its bundle's snapshot (impressions alone do not count) is not retrained.
/// </summary>
internal sealed class TrainingService(RecommendationService service, CascadeEngine engine, ServerOptions options, ILogger<TrainingService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Registered before the first await, so a readiness probe or request arriving meanwhile waits for the load
        // instead of starting a training.
        var startup = StartLoadingStartupBundle();
        await Task.Yield();
        string? loaded = startup is null ? null : await LoadedApp(startup.Value.App, startup.Value.Load);
        if (!options.TrainOnStart && !await Wait(TimeSpan.FromSeconds(options.TrainingIntervalSeconds), stoppingToken))
        {
            return;
        }
        bool first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            var apps = engine.Interactions.AppsWithEntries.Union(service.Bundles.ServedApps).Append(Apps.Default).Distinct(StringComparer.Ordinal).ToList();
            foreach (string app in apps)
            {
                if (first && app == loaded)
                {
                    logger.LogInformation("App {App} serves the start-up bundle {Name}; {Next}", app, options.StartupBundle,
                        options.TrainingIntervalSeconds > 0 ? $"its next training comes after {options.TrainingIntervalSeconds} s" : "it is not retrained (TrainingIntervalSeconds 0)");
                    continue;
                }
                if (!service.Bundles.HasNewInputs(app))
                {
                    logger.LogDebug("Nothing new for app {App} since its bundle's snapshot; not retrained", app);
                    continue;
                }
                try
                {
                    // The same background path a request without a bundle starts, so the two never train at once.
                    var s = await service.Bundles.TrainInBackground(app).WaitAsync(stoppingToken);
                    logger.LogInformation("Trained pipeline bundle {Version} for app {App}: {Users} users, {Items} items, {Interactions} interactions up to log sequence {Sequence} in {ElapsedMs} ms",
                        s.BundleVersion, s.App, s.Users, s.Items, s.Interactions, s.Sequence, (long)s.Elapsed.TotalMilliseconds);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "Training the pipeline failed for app {App}; the previous bundle keeps serving", app);
                }
            }
            first = false;
            if (!await Wait(TimeSpan.FromSeconds(options.TrainingIntervalSeconds), stoppingToken))
            {
                return;
            }
        }
    }

    // Starts loading Cascade:StartupBundle for the app its manifest names; null when none is configured or its
    // manifest cannot be read (logged: the app is then trained as usual).
    private (string App, Task<TrainingSummary> Load)? StartLoadingStartupBundle()
    {
        if (options.StartupBundle.Length == 0)
        {
            return null;
        }
        try
        {
            string directory = BundleFolders.Folder(options, options.StartupBundle)
                ?? throw new InvalidDataException("it is not a bundle folder in the bundles folder (Cascade:BundlesDirectory)");
            string app = PipelineBundle.ReadManifest(directory).App;
            logger.LogInformation("Loading the start-up bundle {Name} for app {App}", options.StartupBundle, app);
            return (app, service.Bundles.LoadInBackground(app, directory, TimeSpan.FromSeconds(options.BundleLoadTimeoutSeconds)));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            logger.LogError("The start-up bundle {Name} (Cascade:StartupBundle) cannot be loaded: {Reason}; its app is trained instead", options.StartupBundle, e.Message);
            return null;
        }
    }

    // Waits for the start-up bundle's load; the app it serves, or null when it was refused (logged).
    private async Task<string?> LoadedApp(string app, Task<TrainingSummary> load)
    {
        try
        {
            var s = await load;
            logger.LogInformation("Loaded the start-up bundle {Name} as {Version} for app {App}: {Users} users, {Items} items, {Interactions} interactions up to log sequence {Sequence} in {ElapsedMs} ms",
                options.StartupBundle, s.BundleVersion, s.App, s.Users, s.Items, s.Interactions, s.Sequence, (long)s.Elapsed.TotalMilliseconds);
            return s.App;
        }
        catch (Exception e)
        {
            logger.LogError("The start-up bundle {Name} (Cascade:StartupBundle) was refused: {Reason}; app {App} is trained instead", options.StartupBundle, e.GetBaseException().Message, app);
            return null;
        }
    }

    // Waits for the next training; false when there is none (interval 0) or the server stops.
    private static async Task<bool> Wait(TimeSpan interval, CancellationToken stoppingToken)
    {
        if (interval == TimeSpan.Zero)
        {
            return false;
        }
        try
        {
            await Task.Delay(interval, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
