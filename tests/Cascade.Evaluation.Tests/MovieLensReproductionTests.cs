using System.Runtime.CompilerServices;
using Cascade.Evaluation.Running;

namespace Cascade.Evaluation.Tests;

/// <summary>Finds the shared data directory: CASCADE_DATA, else ../shared/data next to the repository.</summary>
internal static class DataLocation
{
    public static string Root([CallerFilePath] string sourceFile = "")
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("CASCADE_DATA");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }
        // This file lives in <repo>/tests/Cascade.Evaluation.Tests/.
        string repo = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(sourceFile) ?? ".", "..", ".."));
        return Path.Combine(repo, "..", "shared", "data");
    }

    public static string SplitDirectory => Path.Combine(Root(), "ml-100k", "recommenders-split-seed42");
}

/// <summary>A fact that is skipped, with the reason printed, when the MovieLens split is not on this machine.</summary>
public sealed class MovieLensFactAttribute : FactAttribute
{
    public MovieLensFactAttribute()
    {
        if (!File.Exists(Path.Combine(DataLocation.SplitDirectory, "train.tsv")))
        {
            Skip = $"MovieLens 100k split not found at {DataLocation.SplitDirectory}; set CASCADE_DATA to the data directory (see docs/benchmarks.md).";
        }
    }
}

public sealed class MovieLensReproductionTests
{
    [MovieLensFact]
    public void Sar_on_the_recommenders_split_reproduces_the_published_notebook_row()
    {
        var request = new EvaluationRequest
        {
            TrainPath = Path.Combine(DataLocation.SplitDirectory, "train.tsv"),
            TestPath = Path.Combine(DataLocation.SplitDirectory, "test.tsv"),
            Models = ["sar"],
            Options = new EvaluationOptions { K = 10, BeyondAccuracy = false },
        };
        var report = EvaluationJob.Run(request);
        Assert.Equal(75_066, report.TrainRows);
        Assert.Equal(24_934, report.TestRows);
        var sar = report.Results[0];
        // Microsoft Recommenders 06_benchmarks, latest executed run: MAP 0.114038, nDCG@10 0.393819, P@10 0.340615, R@10 0.185377.
        Assert.InRange(sar["map"], 0.1140 - 0.002, 0.1140 + 0.002);
        Assert.InRange(sar["ndcg@10"], 0.3938 - 0.002, 0.3938 + 0.002);
        Assert.InRange(sar["precision@10"], 0.3406 - 0.002, 0.3406 + 0.002);
        Assert.InRange(sar["recall@10"], 0.1854 - 0.002, 0.1854 + 0.002);
    }
}
