using System.CommandLine;
using Cascade.Cli.Commands;
using Cascade.Models;
using Cascade.Pipeline;
using Cascade.Storage.Engine;
using Cascade.Storage.Log;

// Output that is not a terminal (a file, a pipe) gets plain text: no colour codes, no wrapping at 80 columns.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
    {
        Ansi = Spectre.Console.AnsiSupport.No,
        ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
        Interactive = Spectre.Console.InteractionSupport.No,
    });
    Spectre.Console.AnsiConsole.Profile.Width = 4096;
}

// The models `evaluate` and `tune` can build: those of Cascade.Models and the multi-stage pipeline.
var models = new ModelCatalog([PipelineConfiguration.ModelFactory]);
var root = new RootCommand("Cascade: a multi-stage recommendation and ranking engine. Run `cascade demo` to see it work end to end.");
root.Options.Add(CommonOptions.DataDir);
VersionInfo.Install(root);
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(RebuildCommand.Create());
root.Subcommands.Add(RecoverCommand.Create());
root.Subcommands.Add(BatchCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create(models));
root.Subcommands.Add(TuneCommand.Create(models));
root.Subcommands.Add(CtrCommand.Create());
root.Subcommands.Add(ExperimentCommand.Create());
root.Subcommands.Add(MonitorCommand.Create());
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is DataFolderLockedException or LogMismatchException or LogCorruptException)
{
    // A data folder that is in use or whose log cannot be trusted: the message says what to do; no stack trace.
    return CommonOptions.Fail(e.Message);
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync($"Unhandled error: {e}");
    return 1;
}
