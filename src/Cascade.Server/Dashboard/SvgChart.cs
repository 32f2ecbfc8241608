using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Components;

namespace Cascade.Server.Dashboard;

/// <summary>One line of a chart: a name and its values (NaN: no point).</summary>
/// <param name="Name">The legend's text.</param>
/// <param name="Values">One value per x position.</param>
/// <param name="Dashed">Drawn dashed (thresholds, interval bounds).</param>
internal sealed record ChartSeries(string Name, IReadOnlyList<double> Values, bool Dashed = false);

/// <summary>
/// Charts drawn on the server as inline SVG: no script, no external asset, readable with JavaScript off. Each chart
/// is an <c>svg role="img"</c> whose <c>aria-label</c> and <c>title</c> say what it shows, followed on the page by
/// the figures in a table, so the numbers are there for a screen reader too.
/// </summary>
internal static class SvgChart
{
    private const int Width = 640, Height = 220, Left = 56, Right = 12, Top = 14, Bottom = 46;
    private static readonly string[] Colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04"];

    /// <summary>A line chart of <paramref name="series"/> over <paramref name="labels"/> (x positions, evenly spaced).</summary>
    public static MarkupString Line(string title, IReadOnlyList<string> labels, IReadOnlyList<ChartSeries> series)
    {
        var (min, max) = Range(series.SelectMany(s => s.Values));
        var svg = Open(title);
        Axes(svg, labels, min, max, bars: false);
        int n = Math.Max(labels.Count, 1);
        for (int s = 0; s < series.Count; s++)
        {
            var points = new StringBuilder();
            var values = series[s].Values;
            for (int i = 0; i < values.Count && i < n; i++)
            {
                if (double.IsFinite(values[i]))
                {
                    points.Append(Num(X(i, n))).Append(',').Append(Num(Y(values[i], min, max))).Append(' ');
                }
            }
            string color = Colors[s % Colors.Length];
            string dash = series[s].Dashed ? " stroke-dasharray=\"5 4\"" : "";
            svg.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash} points=\"{points.ToString().TrimEnd()}\"/>");
            if (n == 1 && values.Count > 0 && double.IsFinite(values[0]))
            {
                svg.Append($"<circle cx=\"{Num(X(0, n))}\" cy=\"{Num(Y(values[0], min, max))}\" r=\"3\" fill=\"{color}\"/>");
            }
        }
        Legend(svg, series.Select(s => s.Name).ToList());
        return Close(svg);
    }

    /// <summary>A bar chart: one group per label, one bar per series in each group.</summary>
    public static MarkupString Bars(string title, IReadOnlyList<string> labels, IReadOnlyList<ChartSeries> series)
    {
        var (_, max) = Range(series.SelectMany(s => s.Values).Append(0));
        var svg = Open(title);
        Axes(svg, labels, 0, max, bars: true);
        int n = Math.Max(labels.Count, 1);
        double slot = (Width - Left - Right) / (double)n;
        double bar = slot * 0.8 / Math.Max(series.Count, 1);
        for (int s = 0; s < series.Count; s++)
        {
            for (int i = 0; i < series[s].Values.Count && i < n; i++)
            {
                double v = series[s].Values[i];
                if (!double.IsFinite(v) || v <= 0)
                {
                    continue;
                }
                double x = Left + i * slot + slot * 0.1 + s * bar, y = Y(v, 0, max);
                svg.Append($"<rect x=\"{Num(x)}\" y=\"{Num(y)}\" width=\"{Num(Math.Max(bar - 1, 1))}\" height=\"{Num(Height - Bottom - y)}\" fill=\"{Colors[s % Colors.Length]}\"/>");
            }
        }
        Legend(svg, series.Select(s => s.Name).ToList());
        return Close(svg);
    }

    private static StringBuilder Open(string title)
    {
        string t = WebUtility.HtmlEncode(title);
        return new StringBuilder($"<svg class=\"chart\" role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>");
    }

    private static MarkupString Close(StringBuilder svg) => new(svg.Append("</svg>").ToString());

    private static void Axes(StringBuilder svg, IReadOnlyList<string> labels, double min, double max, bool bars)
    {
        svg.Append($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"#9ca3af\"/>");
        svg.Append($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"#9ca3af\"/>");
        foreach (double v in (double[])[min, (min + max) / 2, max])
        {
            double y = Y(v, min, max);
            svg.Append($"<text x=\"{Left - 4}\" y=\"{Num(y + 4)}\" font-size=\"10\" text-anchor=\"end\" fill=\"#374151\">{WebUtility.HtmlEncode(Short(v))}</text>");
            svg.Append($"<line x1=\"{Left}\" y1=\"{Num(y)}\" x2=\"{Width - Right}\" y2=\"{Num(y)}\" stroke=\"#e5e7eb\"/>");
        }
        int n = Math.Max(labels.Count, 1), step = Math.Max(1, (int)Math.Ceiling(n / 8.0));
        for (int i = 0; i < labels.Count; i += step)
        {
            double x = bars ? Left + (i + 0.5) * (Width - Left - Right) / n : X(i, n);
            svg.Append($"<text x=\"{Num(x)}\" y=\"{Height - Bottom + 14}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#374151\">{WebUtility.HtmlEncode(labels[i])}</text>");
        }
    }

    private static void Legend(StringBuilder svg, List<string> names)
    {
        double x = Left;
        for (int s = 0; s < names.Count; s++)
        {
            svg.Append($"<rect x=\"{Num(x)}\" y=\"{Height - 16}\" width=\"10\" height=\"10\" fill=\"{Colors[s % Colors.Length]}\"/>");
            svg.Append($"<text x=\"{Num(x + 14)}\" y=\"{Height - 7}\" font-size=\"11\" fill=\"#111827\">{WebUtility.HtmlEncode(names[s])}</text>");
            x += 24 + 6.5 * names[s].Length;
        }
    }

    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (double.IsFinite(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }
        if (!double.IsFinite(min))
        {
            return (0, 1);
        }
        return max > min ? (min, max) : (min - 0.5, max + 0.5);
    }

    private static double X(int i, int n) => n == 1 ? (Left + Width - Right) / 2.0 : Left + i * (Width - Left - Right) / (double)(n - 1);

    private static double Y(double v, double min, double max) => Top + (max - v) / (max - min) * (Height - Top - Bottom);

    private static string Num(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>A number in a few characters (1.2k, 3.4M, 0.123).</summary>
    public static string Short(double v) => Math.Abs(v) switch
    {
        >= 1e9 => (v / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1e4 => (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        >= 100 => v.ToString("0", CultureInfo.InvariantCulture),
        _ => v.ToString("0.###", CultureInfo.InvariantCulture),
    };
}
