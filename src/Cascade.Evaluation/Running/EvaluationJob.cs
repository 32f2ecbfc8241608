using Cascade.Evaluation.Data;
using Cascade.Evaluation.Splitting;
using Cascade.Models;

namespace Cascade.Evaluation.Running;

/// <summary>What <c>cascade evaluate</c> was asked to do; either <see cref="TrainPath"/> and <see cref="TestPath"/>, or <see cref="DataPath"/> and <see cref="Split"/>.</summary>
public sealed record EvaluationRequest
{
    /// <summary>Predefined training file (<c>user item rating time</c>).</summary>
    public string? TrainPath { get; init; }

    /// <summary>Predefined test file.</summary>
    public string? TestPath { get; init; }

    /// <summary>One interaction file to split.</summary>
    public string? DataPath { get; init; }

    /// <summary>Split of <see cref="DataPath"/> (see <see cref="Splitter.Apply"/>; default stratified-item:0.75).</summary>
    public string Split { get; init; } = "stratified-item:0.75";

    /// <summary>Model specs (see <see cref="ModelSpec"/>), each a model of the catalog the job is run with.</summary>
    public IReadOnlyList<string> Models { get; init; } = ["mostpop", "sar"];

    /// <summary>Seed of the split and of randomised models (default 42).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Evaluation options (k and so on).</summary>
    public EvaluationOptions Options { get; init; } = new();

    /// <summary>Checks that exactly one data source is given and the files exist.</summary>
    public EvaluationRequest Validate()
    {
        bool predefined = TrainPath is not null || TestPath is not null;
        if (predefined == (DataPath is not null))
        {
            throw new ArgumentException("Give either --train and --test (a predefined split) or --data with --split, not both and not neither.");
        }
        if (predefined && (TrainPath is null || TestPath is null))
        {
            throw new ArgumentException("A predefined split needs both --train and --test.");
        }
        foreach (string? path in new[] { TrainPath, TestPath, DataPath })
        {
            if (path is not null && !File.Exists(path))
            {
                throw new FileNotFoundException($"Data file '{path}' does not exist. Set CASCADE_DATA or pass the path of the MovieLens files (see docs/benchmarks.md).", path);
            }
        }
        if (Models.Count == 0)
        {
            throw new ArgumentException("Give at least one model with --models.");
        }
        Options.Validate();
        return this;
    }
}

/// <summary>Loads the data of an <see cref="EvaluationRequest"/>, runs each model and collects the results.</summary>
public static class EvaluationJob
{
    /// <summary>Loads the table and split a request describes.</summary>
    /// <param name="request">The request.</param>
    public static (InteractionData Data, DataSplit Split) Load(EvaluationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (request.DataPath is not null)
        {
            var data = InteractionData.Load(request.DataPath);
            return (data, Splitter.Apply(data, data.AllRows(), request.Split, request.Seed));
        }
        var table = new InteractionData();
        int[] train = table.Append(request.TrainPath!);
        int[] test = table.Append(request.TestPath!);
        return (table, new DataSplit(train, test));
    }

    /// <summary>Evaluates every model of the request in turn (each fit and scored in parallel over users).</summary>
    /// <param name="request">The request.</param>
    /// <param name="progress">Receives progress.</param>
    /// <param name="catalog">Builds the models (default: <see cref="ModelCatalog.Default"/>).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public static EvaluationReport Run(EvaluationRequest request, IProgress<EvaluationProgress>? progress = null, ModelCatalog? catalog = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        catalog ??= ModelCatalog.Default;
        var specs = ModelSpec.ParseList(request.Models).ToArray();
        foreach (var spec in specs)
        {
            _ = catalog.Create(spec, request.Seed); // fail on a bad spec before loading data
        }
        var (data, split) = Load(request);
        var set = EvaluationSet.Create(data, split);
        var results = new List<ModelResult>();
        foreach (var spec in specs)
        {
            var model = catalog.Create(spec, request.Seed);
            results.Add(EvaluationRunner.Evaluate(model, spec.ToString(), set, request.Options, progress, cancellationToken));
        }
        string source = request.DataPath is not null
            ? $"{request.DataPath}, split {request.Split}, seed {request.Seed}"
            : $"train {request.TrainPath}, test {request.TestPath}";
        return new EvaluationReport(source, split.Train.Length, split.Test.Length, set.Users.Length, data.Users.Count, data.Items.Count, request.Options.K, results);
    }
}
