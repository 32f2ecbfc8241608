using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline;

/// <summary>Score fusion (<see cref="PipelineOptions.Fusion"/> score): the merge's alternative to reciprocal-rank fusion.</summary>
public sealed partial class RecommendationPipeline
{
    // Score fusion: each source's scores standardised over the candidates (mean 0, sd 1) and summed with its weight. A
    // source that scores any item scores every candidate; for the others a candidate they did not propose counts their
    // lowest standardised score. A source that failed (no proposals) adds nothing.
    private void FuseScores(List<ScoredItem>?[] proposals, SourceRequest sourceRequest, List<Candidate> candidates, bool explain)
    {
        var scoresOfAll = ScoreAll(Sources, sourceRequest, candidates);
        int n = candidates.Count;
        var fused = new float[n];
        var values = new float[n];
        for (int s = 0; s < Sources.Count; s++)
        {
            float weight = (float)Sources[s].Weight;
            if (proposals[s] is null || weight == 0)
            {
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                values[i] = scoresOfAll[s] is { } all ? all[i] : HitScore(candidates[i], s);
            }
            Standardise(values);
            for (int i = 0; i < n; i++)
            {
                fused[i] += weight * values[i];
            }
        }
        for (int i = 0; i < n; i++)
        {
            candidates[i].Score = fused[i];
            if (explain)
            {
                candidates[i].Explain("fusion", $"standardised scores summed: {fused[i]:G4}");
            }
        }
    }

    private static float HitScore(Candidate candidate, int source)
    {
        foreach (var hit in candidate.Hits)
        {
            if (hit.Source == source)
            {
                return hit.Score;
            }
        }
        return float.NaN;
    }

    /// <summary>
    /// Standardises <paramref name="values"/> in place over its finite entries (mean 0, sd 1; all 0 when they do not
    /// vary); the others take the lowest standardised value (0 when none is finite). Score fusion's transform.
    /// </summary>
    /// <param name="values">Scores of one source, NaN where it has none.</param>
    public static void Standardise(Span<float> values)
    {
        double sum = 0, squares = 0;
        int finite = 0;
        foreach (float v in values)
        {
            if (float.IsFinite(v))
            {
                sum += v;
                squares += (double)v * v;
                finite++;
            }
        }
        double mean = finite == 0 ? 0 : sum / finite;
        double variance = finite == 0 ? 0 : Math.Max(0, (squares / finite) - (mean * mean));
        double inverseSd = variance > 1e-24 ? 1 / Math.Sqrt(variance) : 0;
        float lowest = float.PositiveInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i]))
            {
                values[i] = (float)((values[i] - mean) * inverseSd);
                lowest = Math.Min(lowest, values[i]);
            }
        }
        lowest = float.IsFinite(lowest) ? lowest : 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                values[i] = lowest;
            }
        }
    }
}
