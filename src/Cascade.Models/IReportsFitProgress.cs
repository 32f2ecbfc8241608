namespace Cascade.Models;

/// <summary>A recommender whose <see cref="IRecommender.Fit"/> is long enough to report its steps (model selection, say).</summary>
public interface IReportsFitProgress
{
    /// <summary>Receives (step, done, total) as fitting proceeds, or null.</summary>
    Action<string, int, int>? FitProgress { set; }
}
