using System.CommandLine;
using System.Globalization;
using Cascade.Core.Domain;
using Cascade.Experiments;
using Cascade.Server.Experiments;
using static Cascade.Cli.Commands.SimulationArguments;

namespace Cascade.Cli.Commands;

/// <summary>
/// <c>cascade experiment ope</c>: a candidate pipeline's click-through estimated from the logged impressions and clicks
/// (IPS, SNIPS, doubly robust, with intervals), so a challenger can be screened before it gets traffic. The work is
/// done by <see cref="OffPolicyEvaluation"/>; this file parses, prints one summary line and writes the JSON.
/// </summary>
internal static class OpeCommand
{
    private static readonly System.Text.Json.JsonSerializerOptions SnakeCase = new() { WriteIndented = true, PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

    internal static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "The candidate: a JSON configuration file in appsettings shape ({\"Cascade\": {\"Pipeline\": …}}). Required." };
        var app = new Option<string>("--app") { Description = "The app. Default \"default\".", DefaultValueFactory = _ => Apps.Default };
        var variant = new Option<string?>("--variant") { Description = "Only requests served by this variant (experiment arm). Default all." };
        var since = new Option<string?>("--since") { Description = "Evaluate requests at or after this ISO 8601 time; the candidate is trained on the log before it. Default the median logged impression time." };
        var until = new Option<string?>("--until") { Description = "Evaluate requests before this ISO 8601 time. Default no end." };
        var k = new Option<string?>("--k") { Description = "Positions 0 … k − 1 of each logged list are evaluated. Default 10." };
        var maxRequests = new Option<string?>("--max-requests") { Description = "Evaluate at most this many requests (the earliest in the window); 0 for all. Default 0." };
        var clickTypes = new Option<string?>("--click-types") { Description = "Event types that count as clicks, comma-separated. Default click." };
        var seed = SeedOption();
        var output = OutputOption();
        var command = new Command("ope", "Estimate a candidate pipeline's click-through per impression from the logged impressions (with their propensities) and clicks: IPS, SNIPS and doubly robust, with 95 % intervals.")
        {
            config, app, variant, since, until, k, maxRequests, clickTypes, seed, output,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            OffPolicyOptions options;
            string configFile;
            try
            {
                configFile = parse.GetValue(config) ?? throw new ArgumentException("--config is required: the candidate's configuration file (appsettings shape).");
                if (!File.Exists(configFile))
                {
                    throw new ArgumentException($"--config '{configFile}' does not exist.");
                }
                long? sinceMs = ParseTime(parse.GetValue(since), "--since");
                long? untilMs = ParseTime(parse.GetValue(until), "--until");
                if (sinceMs is { } s && untilMs is { } u && s >= u)
                {
                    throw new ArgumentException("--since must come before --until.");
                }
                string? variantName = parse.GetValue(variant);
                if (variantName is not null && !FeedbackEvent.IsValidVariant(variantName))
                {
                    throw new ArgumentException($"--variant '{variantName}' is not 1–{FeedbackEvent.MaxVariantLength} letters, digits, '.', '_', '-' or ':'.");
                }
                var types = (parse.GetValue(clickTypes) ?? "click").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (types.Length == 0)
                {
                    throw new ArgumentException("--click-types must name at least one event type.");
                }
                options = new OffPolicyOptions(parse.GetValue(app)!, ParseInt(parse.GetValue(k), "--k", 10, 1), sinceMs, untilMs, variantName,
                    ParseInt(parse.GetValue(maxRequests), "--max-requests", 0, 0), types, ParseSeed(parse.GetValue(seed)));
            }
            catch (ArgumentException e)
            {
                return await RefuseAsync(e);
            }
            var (opened, service, error) = await CommonOptions.OpenServiceAsync(parse.GetValue(CommonOptions.DataDir)!, configFile);
            if (error is not null)
            {
                return CommonOptions.Fail(error);
            }
            using var engine = opened!;
            OffPolicyReport report;
            try
            {
                report = await Task.Run(() => OffPolicyEvaluation.Run(engine, service!, options, cancellationToken), cancellationToken);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                return CommonOptions.Fail(e.Message);
            }
            if (parse.GetValue(output) is { } path)
            {
                try
                {
                    await File.WriteAllTextAsync(path, System.Text.Json.JsonSerializer.Serialize(Json(report, options), SnakeCase), cancellationToken);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    return CommonOptions.Fail($"could not write --output '{path}': {e.Message}");
                }
            }
            Console.WriteLine(SummaryLine(report));
            return 0;
        });
        return command;
    }

    private static long? ParseTime(string? text, string flag)
    {
        if (text is null)
        {
            return null;
        }
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            throw new ArgumentException($"{flag} '{text}' must be an ISO 8601 time, e.g. 2025-03-01T00:00:00Z.");
        }
        return time.ToUnixTimeMilliseconds();
    }

    private static string Figure(OffPolicyEstimate e) =>
        string.Create(CultureInfo.InvariantCulture, $"{e.Value:0.00000} [{e.Interval.Lower:0.00000}, {e.Interval.Upper:0.00000}]");

    internal static string SummaryLine(OffPolicyReport r)
    {
        var e = r.Estimates;
        return string.Create(CultureInfo.InvariantCulture,
            $"ope: requests={e.Requests} impressions={e.Impressions} matches={e.Matches} skipped={r.SkippedImpressions} ess={e.Ips.EffectiveSampleSize:0.0} logged_ctr={Figure(e.LoggedCtr)} ips={Figure(e.Ips)} snips={Figure(e.SelfNormalizedIps)} dr={Figure(e.DoublyRobust)}");
    }

    private static object Json(OffPolicyReport r, OffPolicyOptions o)
    {
        var e = r.Estimates;
        static object Of(OffPolicyEstimate x) => new { value = x.Value, standard_error = x.StandardError, lower = x.Interval.Lower, upper = x.Interval.Upper };
        return new
        {
            app = o.App,
            variant = o.Variant,
            k = o.K,
            since = DateTimeOffset.FromUnixTimeMilliseconds(r.SinceMs).ToString("O", CultureInfo.InvariantCulture),
            until = r.UntilMs is { } u ? DateTimeOffset.FromUnixTimeMilliseconds(u).ToString("O", CultureInfo.InvariantCulture) : null,
            trained_up_to_sequence = r.TrainedUpTo,
            requests = e.Requests,
            impressions = e.Impressions,
            matches = e.Matches,
            impressions_in_window = r.ImpressionsInWindow,
            skipped_no_propensity = r.SkippedImpressions,
            dropped_requests = r.DroppedRequests,
            short_lists = r.ShortLists,
            effective_sample_size = e.Ips.EffectiveSampleSize,
            logged_ctr = Of(e.LoggedCtr),
            ips = Of(e.Ips),
            snips = Of(e.SelfNormalizedIps),
            doubly_robust = Of(e.DoublyRobust),
            seconds = r.Seconds,
        };
    }
}
