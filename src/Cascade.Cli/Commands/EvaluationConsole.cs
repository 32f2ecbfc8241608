using Cascade.Core;
using Cascade.Evaluation.Running;
using Spectre.Console;

namespace Cascade.Cli.Commands;

/// <summary>Console plumbing shared by <c>cascade evaluate</c> and <c>cascade tune</c>: a progress bar per model and error reporting.</summary>
internal static class EvaluationConsole
{
    // The fit step in which the pipeline says what model selection chose: printed, not only drawn.
    private const string ChosenStage = "fit: " + Cascade.Pipeline.PipelineRecommender.ChosenStep;

    /// <summary>Runs <paramref name="work"/> on a worker thread while drawing one progress bar per model it reports on.</summary>
    public static async Task<T> WithProgressAsync<T>(Func<IProgress<EvaluationProgress>, T> work)
    {
        if (Console.IsOutputRedirected)
        {
            return await Task.Run(() => work(new Progress<EvaluationProgress>(p =>
            {
                if (p.Stage == "done")
                {
                    Console.Error.WriteLine($"{p.Model}: evaluated {p.Total} users");
                }
                else if (p.Stage.StartsWith(ChosenStage, StringComparison.Ordinal))
                {
                    Console.Error.WriteLine($"{p.Model}: {p.Stage["fit: ".Length..]}");
                }
            })));
        }
        T result = default!;
        var chosen = new List<string>();
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var gate = new Lock();
                var progress = new InlineProgress<EvaluationProgress>(p =>
                {
                    lock (gate)
                    {
                        if (!tasks.TryGetValue(p.Model, out var task))
                        {
                            task = context.AddTask(Markup.Escape(p.Model), maxValue: Math.Max(1, p.Total));
                            tasks[p.Model] = task;
                        }
                        task.Description = Markup.Escape($"{p.Model} ({p.Stage})");
                        task.MaxValue = Math.Max(1, p.Total); // fitting reports its own units (seconds of a search budget), then users
                        task.Value = p.Done;
                        if (p.Stage.StartsWith(ChosenStage, StringComparison.Ordinal))
                        {
                            chosen.Add($"{p.Model}: {p.Stage["fit: ".Length..]}");
                        }
                        if (p.Stage == "done")
                        {
                            task.StopTask();
                        }
                    }
                });
                result = await Task.Run(() => work(progress));
            });
        foreach (string line in chosen)
        {
            Console.Error.WriteLine(line);
        }
        return result;
    }

    /// <summary>Prints an error in red and returns exit code 1.</summary>
    public static int Fail(string message)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");
        return 1;
    }

}
