using System.Globalization;
using System.Text;
using System.Text.Json;
using Cascade.Evaluation.Running;

namespace Cascade.Evaluation.Reporting;

/// <summary>Writes evaluation results as a console table, a Markdown report, or JSON keyed by model label.</summary>
public static class ReportWriter
{
    /// <summary>The metrics shown in tables (all are in the JSON).</summary>
    public static IReadOnlyList<string> TableMetrics(int k) =>
        ["map", $"ndcg@{k}", $"precision@{k}", $"recall@{k}", $"map@{k}", $"mrr@{k}", $"coverage@{k}", $"novelty@{k}", "rmse", "fit_seconds", "eval_seconds"];

    /// <summary>A fixed-width text table of the main metrics, one row per model.</summary>
    /// <param name="report">The report.</param>
    public static string FormatTable(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var columns = PresentColumns(report);
        var cells = new List<string[]>();
        cells.Add(["model", .. columns]);
        foreach (var result in report.Results)
        {
            cells.Add([result.Model, .. columns.Select(c => Format(Lookup(result, c)))]);
        }
        var widths = new int[cells[0].Length];
        foreach (var row in cells)
        {
            for (int c = 0; c < row.Length; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }
        var text = new StringBuilder();
        for (int r = 0; r < cells.Count; r++)
        {
            for (int c = 0; c < cells[r].Length; c++)
            {
                text.Append(c == 0 ? cells[r][c].PadRight(widths[c]) : cells[r][c].PadLeft(widths[c] + 2));
            }
            text.AppendLine();
            if (r == 0)
            {
                text.AppendLine(new string('-', widths.Sum() + (2 * (widths.Length - 1))));
            }
        }
        return text.ToString();
    }

    /// <summary>A Markdown report: the data, the protocol, and a table of every metric per model.</summary>
    /// <param name="report">The report.</param>
    /// <param name="command">The command line that produced it, quoted in the report.</param>
    public static string FormatMarkdown(EvaluationReport report, string? command = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine("# Cascade offline evaluation").AppendLine();
        if (command is not null)
        {
            text.AppendLine("```").AppendLine(command).AppendLine("```").AppendLine();
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"- Data: {report.Source}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- {report.Users} users, {report.Items} items; {report.TrainRows} train rows, {report.TestRows} test rows; {report.EvaluatedUsers} users evaluated");
        text.AppendLine(CultureInfo.InvariantCulture, $"- k = {report.K}; seen (train) items removed; every test item is relevant; metrics averaged over users with test and train rows (docs/metrics.md)");
        text.AppendLine();
        var names = new List<string>();
        foreach (var result in report.Results)
        {
            foreach (var pair in result.Metrics)
            {
                if (!names.Contains(pair.Key))
                {
                    names.Add(pair.Key);
                }
            }
        }
        text.Append("| model |");
        foreach (string name in names)
        {
            text.Append(' ').Append(name).Append(" |");
        }
        text.AppendLine().Append("|---|");
        foreach (string _ in names)
        {
            text.Append("---:|");
        }
        text.AppendLine();
        foreach (var result in report.Results)
        {
            text.Append("| ").Append(result.Model).Append(" |");
            foreach (string name in names)
            {
                text.Append(' ').Append(Format(Lookup(result, name))).Append(" |");
            }
            text.AppendLine();
        }
        return text.ToString();
    }

    /// <summary>Writes <c>{ "model label": { "metric": number, … }, … }</c>; NaN is written as null.</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="results">The results.</param>
    public static void WriteJson(Stream stream, IReadOnlyList<ModelResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        foreach (var result in results)
        {
            writer.WriteStartObject(result.Model);
            foreach (var pair in result.Metrics)
            {
                if (double.IsFinite(pair.Value))
                {
                    writer.WriteNumber(pair.Key, pair.Value);
                }
                else
                {
                    writer.WriteNull(pair.Key);
                }
            }
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private static List<string> PresentColumns(EvaluationReport report) =>
        TableMetrics(report.K).Where(c => report.Results.Any(r => r.Metrics.Any(m => m.Key == c))).ToList();

    private static double? Lookup(ModelResult result, string name)
    {
        foreach (var pair in result.Metrics)
        {
            if (pair.Key == name)
            {
                return pair.Value;
            }
        }
        return null;
    }

    private static string Format(double? value) => value switch
    {
        null => "",
        double v when double.IsNaN(v) => "n/a",
        double v when v == Math.Floor(v) && Math.Abs(v) < 1e9 => v.ToString("0", CultureInfo.InvariantCulture),
        double v => v.ToString("0.000000", CultureInfo.InvariantCulture),
    };
}
