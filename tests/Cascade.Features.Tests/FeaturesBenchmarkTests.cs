namespace Cascade.Features.Tests;

public class FeaturesBenchmarkTests
{
    [Fact]
    public void The_benchmark_runs_end_to_end_on_a_small_app()
    {
        var result = FeaturesBenchmark.Run(users: 200, items: 500, events: 5_000, candidates: 50, requests: 20, trainingEvents: 2_000);
        Assert.Equal(5_000, result.Events);
        Assert.Equal(500, result.Items);
        Assert.True(result.TrainingRows > 500, $"{result.TrainingRows} rows");
        Assert.Equal(FeatureSet.Default.Schema.FieldCount + FeatureSet.Default.Schema.NumericCount, result.Columns);
    }
}
