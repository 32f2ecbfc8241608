using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Cascade.Core;
using Cascade.Models;
using Cascade.Pipeline.Ranking;
using Cascade.Ranking;
using Cascade.Ranking.Calibration;
using Cascade.Ranking.Data;
using Cascade.Ranking.Training;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>
/// <c>cascade ctr</c>: trains click models (any kind in <see cref="RankerCatalog"/>) on a CTR training file with early
/// stopping on a validation file, for one or more seeds, and reports AUC, logloss and expected calibration error
/// before and after calibration on valid (cross-fitted) and test. The measuring is done by <see cref="CtrExperiment"/>;
/// this file parses, loads, draws progress and prints.
/// </summary>
internal static class CtrCommand
{
    internal static Command Create()
    {
        var train = new Option<string?>("--train") { Description = "Training CSV: header row with a 'label' column (0/1) and categorical columns (BARS layout; CRLF or LF). Required unless --from-log." };
        var valid = new Option<string?>("--valid") { Description = "Validation CSV with the same columns: early stopping and calibration. Required unless --from-log." };
        var fromLog = new Option<bool>("--from-log") { Description = "Train on Cascade's own event log (--data-dir): point-in-time examples from impressions (or sampled negatives) with the online feature store's features; the last --valid-share of the time range is the validation split." };
        var app = new Option<string>("--app") { Description = "With --from-log: the app. Default \"default\".", DefaultValueFactory = _ => Cascade.Core.Domain.Apps.Default };
        var validShare = new Option<double>("--valid-share") { Description = "With --from-log: share of the time range (the newest) used as the validation split. Default 0.2.", DefaultValueFactory = _ => 0.2 };
        var save = new Option<string?>("--save") { Description = "Refit the first model (first seed) with its calibration and write it as a model file (with --from-log: usable as Cascade:CtrModelPath for POST /v1/rank)." };
        var test = new Option<string?>("--test") { Description = "Test CSV with the same columns (optional)." };
        var models = new Option<string[]>("--models")
        {
            Description = "Rankers, separated by spaces or commas, each 'name' or 'name:key=value,key=value'. Known: " + string.Join(", ", RankerCatalog.Names) + ".",
            DefaultValueFactory = _ => ["lr", "fm"],
            AllowMultipleArgumentsPerToken = true,
        };
        var seeds = new Option<string>("--seeds") { Description = "Seeds, comma-separated (e.g. 1,2,3); metrics are reported per seed and as mean ± sd.", DefaultValueFactory = _ => "1" };
        var calibrate = new Option<string>("--calibrate") { Description = "Calibration measured on valid (two-fold cross-fitted) and test: platt, isotonic or none.", DefaultValueFactory = _ => IsotonicCalibrator.KindName };
        var minCount = new Option<int>("--min-count") { Description = "Categorical values seen fewer times in train map to the 'unknown' code.", DefaultValueFactory = _ => 1 };
        var numeric = new Option<string?>("--numeric") { Description = "Columns to read as numbers (comma-separated); every other non-label column is categorical." };
        var label = new Option<string>("--label") { Description = "Name of the label column.", DefaultValueFactory = _ => "label" };
        var output = new Option<string?>("--output") { Description = "Write JSON keyed by model, then split (valid, test), then metric; with per-seed results under 'seeds'." };
        var command = new Command("ctr", "Train and compare click-through-rate rankers (lr, fm, ffm, gbdt, dcnv2, …) on CSV files: AUC, logloss, calibration.\nRankers:\n" + RankerCatalog.Describe())
        {
            train, valid, test, models, seeds, calibrate, minCount, numeric, label, output, fromLog, app, validShare, save,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            List<ModelSpec> specs;
            int[] seedList;
            string calibration = parse.GetValue(calibrate)!.Trim().ToLowerInvariant();
            try
            {
                specs = ParseModels(parse.GetValue(models) ?? []);
                seedList = ParseSeeds(parse.GetValue(seeds)!);
                if (calibration != CtrExperiment.NoCalibration && !Calibrators.Names.Contains(calibration))
                {
                    throw new ArgumentException($"--calibrate '{calibration}' is not one of platt, isotonic, none.");
                }
                if (parse.GetValue(minCount) < 1)
                {
                    throw new ArgumentException($"--min-count must be at least 1; got {parse.GetValue(minCount)}.");
                }
                if (!parse.GetValue(fromLog) && (parse.GetValue(train) is null || parse.GetValue(valid) is null))
                {
                    throw new ArgumentException("--train and --valid are required (or --from-log to train on the event log of --data-dir).");
                }
                if (parse.GetValue(validShare) is <= 0 or >= 1)
                {
                    throw new ArgumentException($"--valid-share {parse.GetValue(validShare)} must be between 0 and 1.");
                }
                foreach (string? path in new[] { parse.GetValue(train), parse.GetValue(valid), parse.GetValue(test) })
                {
                    if (path is not null && !File.Exists(path))
                    {
                        throw new FileNotFoundException($"CTR data file '{path}' does not exist.");
                    }
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException)
            {
                return CommonOptions.Fail(e.Message);
            }

            CtrData data;
            try
            {
                string[] numericColumns = parse.GetValue(numeric)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
                data = parse.GetValue(fromLog)
                    ? LoadLog(parse.GetValue(CommonOptions.DataDir)!, parse.GetValue(app)!, parse.GetValue(validShare))
                    : LoadCsv(parse.GetValue(train)!, parse.GetValue(valid)!, parse.GetValue(test), parse.GetValue(label)!, numericColumns, parse.GetValue(minCount));
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException or IOException or UnauthorizedAccessException)
            {
                return CommonOptions.Fail(e.Message);
            }
            Console.WriteLine(data.Description);

            List<CtrRun> runs;
            try
            {
                runs = await RunWithProgressAsync(specs, seedList, data, calibration, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return CommonOptions.Fail("cancelled.");
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or InvalidOperationException or OutOfMemoryException)
            {
                return CommonOptions.Fail(e.Message);
            }

            PrintTable(specs, runs, data.Test is not null, calibration);
            if (parse.GetValue(save) is { } savePath)
            {
                try
                {
                    var ranker = RankerCatalog.Create(specs[0].Name, specs[0].Parameters, seedList[0]);
                    IRanker model = calibration == CtrExperiment.NoCalibration ? ranker : new CalibratedRanker(ranker, Calibrators.Create(calibration));
                    model.Fit(data.Train, data.Valid, null, cancellationToken);
                    string temp = savePath + ".tmp";
                    await using (var stream = File.Create(temp))
                    {
                        model.Save(stream);
                    }
                    File.Move(temp, savePath, overwrite: true);
                    Console.WriteLine($"Saved {specs[0].Name} (seed {seedList[0]}, calibration {calibration}) to {Path.GetFullPath(savePath)}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
                {
                    return CommonOptions.Fail($"could not save --save '{savePath}': {e.Message}");
                }
            }
            string? jsonPath = parse.GetValue(output);
            if (jsonPath is not null)
            {
                try
                {
                    await using var stream = File.Create(jsonPath);
                    WriteJson(stream, specs, runs, data, calibration);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
                {
                    return CommonOptions.Fail($"could not write --output '{jsonPath}': {e.Message}");
                }
                Console.WriteLine($"JSON results: {Path.GetFullPath(jsonPath)}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>The data of one run: train, valid and optional test in one schema, and a line describing them.</summary>
    internal sealed record CtrData(RankingDataset Train, RankingDataset Valid, RankingDataset? Test, string Description);

    /// <summary>
    /// Loads the CSV splits: the vocabulary is built on train (values seen fewer than <paramref name="minCount"/> times
    /// map to code 0) and applied to valid and test. The one place data enters the command.
    /// </summary>
    internal static CtrData LoadCsv(string trainPath, string validPath, string? testPath, string labelColumn, IReadOnlyCollection<string> numericColumns, int minCount)
    {
        var vocabulary = CtrVocabulary.Build(trainPath, labelColumn, numericColumns, minCount);
        var trainSet = vocabulary.Read(trainPath);
        var validSet = vocabulary.Read(validPath);
        var testSet = testPath is null ? null : vocabulary.Read(testPath);
        string description = string.Create(CultureInfo.InvariantCulture,
            $"train {trainSet.Rows:N0} rows, valid {validSet.Rows:N0}{(testSet is null ? "" : $", test {testSet.Rows:N0}")}; {vocabulary.Schema.FieldCount} categorical fields ({vocabulary.Schema.TotalCardinality:N0} codes), {vocabulary.Schema.NumericCount} numeric");
        return new CtrData(trainSet, validSet, testSet, description);
    }

    /// <summary>
    /// Loads examples from the event log of <paramref name="dataDirectory"/>: the point-in-time training set of the
    /// online feature schema (the one POST /v1/rank hydrates), cut by time so the newest share is the validation split.
    /// </summary>
    internal static CtrData LoadLog(string dataDirectory, string app, double validShare)
    {
        if (!Directory.Exists(Path.Combine(dataDirectory, "log")))
        {
            throw new ArgumentException($"'{dataDirectory}' holds no event log; pass --data-dir.");
        }
        using var engine = CommonOptions.OpenEngine(dataDirectory);
        var features = Cascade.Features.FeatureSet.Default;
        var set = new Cascade.Features.TrainingSetBuilder(features, engine.EventTypes).Build(engine.Log, app);
        if (set.Data.Rows < 100)
        {
            throw new InvalidDataException($"The log of app '{app}' gives only {set.Data.Rows} examples; at least 100 are needed.");
        }
        var times = set.TimestampsMs.Order().ToArray();
        long cut = times[(int)((times.Length - 1) * (1 - validShare))];
        var (trainSet, validSet) = set.SplitByTime(cut);
        string description = string.Create(CultureInfo.InvariantCulture,
            $"event log of app '{app}' ({set.Source}): train {trainSet.Data.Rows:N0} rows, valid {validSet.Data.Rows:N0} (from {DateTimeOffset.FromUnixTimeMilliseconds(cut):u}); {features.Schema.FieldCount} categorical fields, {features.Schema.NumericCount} numeric");
        return new CtrData(trainSet.Data, validSet.Data, null, description);
    }

    private static List<ModelSpec> ParseModels(IEnumerable<string> tokens)
    {
        var specs = ModelSpec.ParseList(tokens);
        if (specs.Count == 0)
        {
            throw new ArgumentException("--models names no ranker; known rankers: " + string.Join(", ", RankerCatalog.Names) + ".");
        }
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            if (!RankerCatalog.Names.Contains(spec.Name))
            {
                throw new ArgumentException($"Unknown ranker '{spec.Name}'. Known rankers: {string.Join(", ", RankerCatalog.Names)}.");
            }
            if (!labels.Add(spec.ToString()))
            {
                throw new ArgumentException($"--models lists '{spec}' twice.");
            }
            // Refuse bad parameters before any data is read.
            _ = RankerCatalog.Create(spec.Name, spec.Parameters, 1);
        }
        return [.. specs];
    }

    private static int[] ParseSeeds(string text)
    {
        var seeds = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed))
            {
                throw new FormatException($"--seeds: '{part}' is not an integer (expected e.g. 1,2,3).");
            }
            if (seeds.Contains(seed))
            {
                throw new ArgumentException($"--seeds lists {seed} twice.");
            }
            seeds.Add(seed);
        }
        return seeds.Count > 0 ? [.. seeds] : throw new ArgumentException("--seeds lists no seed.");
    }

    private static async Task<List<CtrRun>> RunWithProgressAsync(IReadOnlyList<ModelSpec> specs, int[] seeds, CtrData data, string calibration, CancellationToken cancellationToken)
    {
        var runs = new List<CtrRun>();
        void Work(Func<string, IProgress<RankerProgress>> progressFor, Action<string, CtrRun> done)
        {
            foreach (var spec in specs)
            {
                foreach (int seed in seeds)
                {
                    string key = seeds.Length > 1 ? $"{spec} (seed {seed})" : spec.ToString();
                    var ranker = RankerCatalog.Create(spec.Name, spec.Parameters, seed);
                    var run = CtrExperiment.Run(spec.ToString(), ranker, seed, data.Train, data.Valid, data.Test, calibration, progressFor(key), cancellationToken);
                    runs.Add(run);
                    done(key, run);
                }
            }
        }

        if (Console.IsOutputRedirected)
        {
            await Task.Run(() => Work(
                key => new InlineProgress<RankerProgress>(p => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}: step {p.Step}/{p.TotalSteps} train loss {p.TrainLoss:0.0000} valid {p.ValidMetricName} {p.ValidMetric:0.0000}"))),
                (key, run) => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}: valid AUC {run.Valid.Auc:0.0000}, fitted in {run.FitSeconds:0.0} s"))), cancellationToken);
            return runs;
        }
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var gate = new Lock();
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                ProgressTask TaskFor(string key)
                {
                    if (!tasks.TryGetValue(key, out var task))
                    {
                        task = context.AddTask(Markup.Escape(key), maxValue: 1);
                        tasks[key] = task;
                    }
                    return task;
                }
                await Task.Run(() => Work(
                    key => new InlineProgress<RankerProgress>(p =>
                    {
                        lock (gate)
                        {
                            var task = TaskFor(key);
                            task.MaxValue = Math.Max(1, p.TotalSteps);
                            task.Value = p.Step;
                            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{key}: step {p.Step}, valid {p.ValidMetricName} {p.ValidMetric:0.0000}"));
                        }
                    }),
                    (key, run) =>
                    {
                        lock (gate)
                        {
                            var task = TaskFor(key);
                            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{key}: AUC {run.Valid.Auc:0.0000}, {run.FitSeconds:0.0} s"));
                            task.Value = task.MaxValue;
                            task.StopTask();
                        }
                    }), cancellationToken);
            });
        return runs;
    }

    /// <summary>Prints a Markdown table: one row per model, mean ± sample sd over seeds.</summary>
    private static void PrintTable(IReadOnlyList<ModelSpec> specs, List<CtrRun> runs, bool hasTest, string calibration)
    {
        bool calibrated = calibration != CtrExperiment.NoCalibration;
        var header = new List<string> { "model", "seeds", "valid AUC", "valid logloss", "valid ECE" };
        if (calibrated)
        {
            header.Add($"valid ECE, {calibration}");
            header.Add($"valid logloss, {calibration}");
        }
        if (hasTest)
        {
            header.Add("test AUC");
            header.Add("test logloss");
            if (calibrated)
            {
                header.Add($"test ECE, {calibration}");
            }
        }
        header.Add("fit s");
        header.Add("epochs");
        var lines = new List<string> { "| " + string.Join(" | ", header) + " |", "|" + string.Concat(header.Select(_ => "---|")) };
        foreach (var spec in specs)
        {
            var mine = runs.Where(r => r.Model == spec.ToString()).ToList();
            if (mine.Count == 0)
            {
                continue;
            }
            var cells = new List<string> { spec.ToString(), mine.Count.ToString(CultureInfo.InvariantCulture) };
            cells.Add(Format(mine.Select(r => r.Valid.Auc)));
            cells.Add(Format(mine.Select(r => r.Valid.LogLoss)));
            cells.Add(Format(mine.Select(r => r.Valid.Ece)));
            if (calibrated)
            {
                cells.Add(Format(mine.Select(r => r.Valid.CalibratedEce)));
                cells.Add(Format(mine.Select(r => r.Valid.CalibratedLogLoss)));
            }
            if (hasTest)
            {
                cells.Add(Format(mine.Select(r => r.Test!.Auc)));
                cells.Add(Format(mine.Select(r => r.Test!.LogLoss)));
                if (calibrated)
                {
                    cells.Add(Format(mine.Select(r => r.Test!.CalibratedEce)));
                }
            }
            cells.Add(Format(mine.Select(r => r.FitSeconds), "0.0"));
            cells.Add(Format(mine.Select(r => (double)r.Steps), "0.#"));
            lines.Add("| " + string.Join(" | ", cells) + " |");
        }
        Console.WriteLine();
        foreach (string line in lines)
        {
            Console.WriteLine(line);
        }
        Console.WriteLine();
        if (calibrated)
        {
            Console.WriteLine($"Valid calibration is two-fold cross-fitted ({calibration} fitted on one half of valid, measured on the other); test uses a calibrator fitted on all of valid. ECE: 10 equal-width bins.");
        }
    }

    private static string Format(IEnumerable<double> values, string format = "0.0000")
    {
        var list = values.ToList();
        var (mean, sd) = CtrExperiment.MeanAndSd(list);
        if (double.IsNaN(mean))
        {
            return "–";
        }
        return list.Count > 1
            ? mean.ToString(format, CultureInfo.InvariantCulture) + " ± " + sd.ToString(format, CultureInfo.InvariantCulture)
            : mean.ToString(format, CultureInfo.InvariantCulture);
    }

    private static void WriteJson(Stream stream, IReadOnlyList<ModelSpec> specs, List<CtrRun> runs, CtrData data, string calibration)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        foreach (var spec in specs)
        {
            var mine = runs.Where(r => r.Model == spec.ToString()).ToList();
            writer.WriteStartObject(spec.ToString());
            writer.WriteString("calibration", calibration);
            WriteSummary(writer, "valid", mine.Select(r => r.Valid).ToList());
            if (data.Test is not null)
            {
                WriteSummary(writer, "test", mine.Select(r => r.Test!).ToList());
            }
            WriteNumber(writer, "fit_seconds", CtrExperiment.MeanAndSd(mine.Select(r => r.FitSeconds)).Mean);
            if (mine.Count > 1)
            {
                WriteNumber(writer, "fit_seconds_sd", CtrExperiment.MeanAndSd(mine.Select(r => r.FitSeconds)).Sd);
            }
            writer.WriteStartObject("seeds");
            foreach (var run in mine)
            {
                writer.WriteStartObject(run.Seed.ToString(CultureInfo.InvariantCulture));
                WriteNumber(writer, "fit_seconds", run.FitSeconds);
                writer.WriteNumber("steps", run.Steps);
                WriteSummary(writer, "valid", [run.Valid]);
                if (run.Test is not null)
                {
                    WriteSummary(writer, "test", [run.Test]);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>Writes each metric's mean (and, over several seeds, its sample standard deviation as metric_sd).</summary>
    private static void WriteSummary(Utf8JsonWriter writer, string split, List<CtrMetrics> metrics)
    {
        writer.WriteStartObject(split);
        writer.WriteNumber("rows", metrics[0].Rows);
        (string Name, Func<CtrMetrics, double> Get)[] fields =
        [
            ("auc", m => m.Auc), ("logloss", m => m.LogLoss), ("ece", m => m.Ece),
            ("auc_calibrated", m => m.CalibratedAuc), ("logloss_calibrated", m => m.CalibratedLogLoss), ("ece_calibrated", m => m.CalibratedEce),
        ];
        foreach (var (name, get) in fields)
        {
            var (mean, sd) = CtrExperiment.MeanAndSd(metrics.Select(get));
            WriteNumber(writer, name, mean);
            if (metrics.Count > 1)
            {
                WriteNumber(writer, name + "_sd", sd);
            }
        }
        writer.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, Math.Round(value, 6));
        }
        else
        {
            writer.WriteNull(name);
        }
    }

}
