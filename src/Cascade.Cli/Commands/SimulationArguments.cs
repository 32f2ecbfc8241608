using System.CommandLine;
using System.Globalization;

namespace Cascade.Cli.Commands;

/// <summary>
/// What the simulation verbs (<c>experiment</c>, <c>monitor</c>) share: flags read as text and parsed here, so a bad
/// value throws an <see cref="ArgumentException"/> naming its flag (the verb prints it and exits with code 2), results
/// written to a file atomically, and progress reported in order from worker threads.
/// </summary>
internal static class SimulationArguments
{
    /// <summary>The exit code of an argument that is missing or out of range.</summary>
    public const int BadArgument = 2;

    /// <summary>--seed, read as text.</summary>
    public static Option<string> SeedOption() => new("--seed") { Description = "Seed; the same seed and flags give the same figures. Default 1." };

    /// <summary>--output, the file the results are written to as JSON.</summary>
    public static Option<string?> OutputOption() => new("--output") { Description = "Write the results as JSON to this file." };

    /// <summary>Prints a refused argument (its message names the flag) on stderr and returns <see cref="BadArgument"/>.</summary>
    public static async Task<int> RefuseAsync(ArgumentException e)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return BadArgument;
    }

    /// <summary>A whole number of at least <paramref name="min"/>, or <paramref name="fallback"/> when the flag is absent.</summary>
    public static int ParseInt(string? text, string flag, int fallback, int min)
    {
        if (text is null)
        {
            return fallback;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min)
        {
            throw new ArgumentException($"{flag} '{text}' must be a whole number of at least {min}.");
        }
        return value;
    }

    /// <summary>A finite number, or <paramref name="fallback"/> when the flag is absent.</summary>
    public static double ParseDouble(string? text, string flag, double fallback)
    {
        if (text is null)
        {
            return fallback;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw new ArgumentException($"{flag} '{text}' must be a number, e.g. 0.02.");
        }
        return value;
    }

    /// <summary>The --seed flag: a whole number of at least 0; 1 when absent.</summary>
    public static ulong ParseSeed(string? text)
    {
        if (text is null)
        {
            return 1;
        }
        if (!ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value))
        {
            throw new ArgumentException($"--seed '{text}' must be a whole number of at least 0.");
        }
        return value;
    }

    /// <summary>
    /// Runs a simulation off the console thread, writes its JSON to <paramref name="output"/> (when given) and prints its
    /// one summary line; returns the verb's exit code (1 when cancelled or the file could not be written).
    /// </summary>
    public static async Task<int> RunAndReportAsync<T>(Func<T> simulate, string? output, Action<T, Stream> writeJson, Func<T, string> summary,
        CancellationToken cancellationToken)
    {
        T result;
        try
        {
            result = await Task.Run(simulate, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return CommonOptions.Fail("cancelled.");
        }
        if (output is { } path && await WriteOutputAsync(path, stream => writeJson(result, stream)) is var written and not 0)
        {
            return written;
        }
        Console.WriteLine(summary(result));
        return 0;
    }

    /// <summary>Writes --output through a temporary file moved into place; returns the verb's exit code (0, or 1 after printing why).</summary>
    public static async Task<int> WriteOutputAsync(string path, Action<Stream> write)
    {
        try
        {
            string temp = path + ".tmp";
            await using (var stream = File.Create(temp))
            {
                write(stream);
            }
            File.Move(temp, path, overwrite: true);
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return CommonOptions.Fail($"could not write --output '{path}': {e.Message}");
        }
    }

    /// <summary>Calls back on the reporting thread under a lock (Progress&lt;T&gt; would post to the thread pool and lose order).</summary>
    internal sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        private readonly Lock _gate = new();

        public void Report(int value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
