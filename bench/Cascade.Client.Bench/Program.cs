using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Cascade.Client.Bench;

// In process: BenchmarkDotNet measures here, without generating and building a project of its own per benchmark.
// The server is a separate `cascade serve` process (LoopbackServer), so allocations are the client side's alone.
var job = Job.Default
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithWarmupCount(5)
    .WithIterationCount(30);
var config = DefaultConfig.Instance
    .AddJob(job)
    .WithArtifactsPath(Path.Combine(LoopbackServer.RepoRoot(), "artifacts", "bench", "client"));
BenchmarkSwitcher.FromAssembly(typeof(ClientOverheadBench).Assembly).Run(args, config);
