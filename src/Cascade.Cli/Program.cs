using System.CommandLine;
using Cascade.Cli.Commands;
using Cascade.Pipeline;

PipelineConfiguration.RegisterWithEvaluation();
var root = new RootCommand("Cascade: a multi-stage recommendation and ranking engine. Run `cascade demo` to see it work end to end.");
root.Options.Add(CommonOptions.DataDir);
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(RebuildCommand.Create());
root.Subcommands.Add(BatchCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(TuneCommand.Create());
root.Subcommands.Add(CtrCommand.Create());
return await root.Parse(args).InvokeAsync();
